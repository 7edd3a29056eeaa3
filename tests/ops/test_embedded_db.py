"""`make run`'s private PostgreSQL stops when the portal stops (also on SIGTERM), and its data survive."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.ops.dbtools import FLASK, ROOT
from tests.ports import free_port


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",) and not k.startswith(("PYTEST", "FLASK_"))}
    env.update(EMBEDDED_PG_DIR=str(tmp_path / "pgdata"), PORTAL_INSTANCE_PATH=str(tmp_path / "instance"),
               SECRET_KEY="embedded-test", PASSWORD_TIME_COST="1", PASSWORD_MEMORY_COST="64",
               PORTAL_ADMIN_PASSWORD="embedded-admin-1")
    return env


def _flask(tmp_path, *args):
    return subprocess.run([*FLASK, *args], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=300)


def _running(tmp_path) -> bool:
    return (tmp_path / "pgdata" / "postmaster.pid").exists()


@pytest.fixture
def data_dir(tmp_path):
    yield tmp_path
    pid_file = tmp_path / "pgdata" / "postmaster.pid"
    if pid_file.exists():  # a failed run must not leave a server behind
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


@pytest.mark.skipif(sys.platform != "linux", reason="pgserver's binaries")
def test_embedded_server_stops_with_the_portal_and_keeps_its_data(data_dir):
    tmp_path = data_dir
    first = _flask(tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr[-2000:]
    setup = _flask(tmp_path, "setup")
    assert "Administrator admin: created." in setup.stdout, setup.stderr[-2000:]
    assert not _running(tmp_path)  # stopped when the command ended

    # `make run`'s server, stopped as a service manager or `kill` stops it
    port = free_port(28800 + os.getpid() % 400, 29800)
    server = subprocess.Popen([*FLASK, "run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                              env={**_env(tmp_path), "PORTAL_COOKIE_SECURE": "0"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        if "Running on" in line:
            break
    assert _running(tmp_path)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    server.stderr.close()
    assert not _running(tmp_path), "the embedded PostgreSQL outlived the portal"

    again = _flask(tmp_path, "setup")
    assert "Administrator: already present." in again.stdout, again.stdout + again.stderr[-2000:]
    assert not _running(tmp_path)
