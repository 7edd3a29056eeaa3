"""Fresh databases on the test server and `flask` run as an operator would (a subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "portal"]


def server_url() -> str:
    from conftest import _server_url

    return _server_url()


@contextmanager
def fresh_database(tag: str):
    """A new empty database on the test server; its SQLAlchemy URL; dropped afterwards."""
    server = make_url(server_url())
    name = f"portal_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump / pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def operator_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": "operator-test-secret", "PASSWORD_TIME_COST": "1",
                "PASSWORD_MEMORY_COST": "64", "PORTAL_INSTANCE_PATH": str(ROOT / "instance"), **extra})
    return env


def flask(database_url: str, *args: str, check: bool = True, timeout: float = 300, **extra: str):
    result = subprocess.run([*FLASK, *args], cwd=ROOT, env=operator_env(database_url, **extra),
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result
