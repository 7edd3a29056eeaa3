"""The embedded PostgreSQL used when DATABASE_URL is unset (the `pgserver` package).

It keeps its data under the instance folder and stops when the last process using it exits,
so `make run` on a fresh machine needs no database set-up. pgserver stops it from an atexit hook,
which Python skips on SIGTERM and SIGHUP (a closed terminal, `kill`, a service manager): those
signals are turned into a normal exit here, so the server stops whichever way the portal stops.
"""
from __future__ import annotations

import fcntl
import os
import threading

_servers: dict[str, object] = {}
_lock = threading.Lock()


def embedded_database_url(data_dir: str) -> str:
    """Start (or join) the private server in `data_dir` and return its SQLAlchemy URL."""
    import pgserver  # imported here: production with DATABASE_URL never needs it

    data_dir = os.path.abspath(data_dir)
    with _lock:
        server = _servers.get(data_dir)
        if server is None:
            os.makedirs(os.path.dirname(data_dir), exist_ok=True)
            # one process at a time: pgserver makes the folder before it checks it is there, so a second
            # process starting alongside (the other test worker, another portal worker) failed on it
            with open(f"{data_dir}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                server = pgserver.get_server(data_dir, cleanup_mode="stop")
            _servers[data_dir] = server  # held so the server lives as long as this process
            _exit_cleanly_on_signals()
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def _exit_cleanly_on_signals() -> None:
    """SIGTERM / SIGHUP exit through SystemExit (atexit hooks run) where nothing else handles them."""
    import signal
    import sys

    def _exit(signum, frame):
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _exit)
        except ValueError:  # not the main thread: the process's own handlers stay
            pass


def throwaway_server_url(env_vars: tuple[str, ...], name: str) -> str:
    """The server for throwaway databases (tests, benchmarks): the first of `env_vars` set, else a
    private embedded server under the temp folder named `name`."""
    import tempfile

    for var in env_vars:
        url = os.environ.get(var)
        if url:
            return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return embedded_database_url(os.path.join(tempfile.gettempdir(), f"{name}-{os.getuid()}"))
