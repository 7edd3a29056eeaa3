"""Backup and restore exactly as the README's production section says, on a database with the demo data."""
from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest

from portal.ops.readiness import migration_heads
from tests.ops.dbtools import ROOT, flask, fresh_database, libpq


def _server_major(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        return conn.info.server_version // 10000


def _pg_dump_major() -> int:
    out = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1].split(".")[0])


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_pg_dump_custom_format_restores_into_a_new_database_that_checks_clean(tmp_path):
    with fresh_database("backup_src") as source, fresh_database("backup_restored") as restored:
        if _server_major(source) > _pg_dump_major():
            pytest.skip("pg_dump is older than the test server")
        flask(source, "db", "upgrade")
        flask(source, "demo", "load")
        with psycopg.connect(libpq(source)) as conn:
            ledger_rows = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
            users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        assert ledger_rows > 0 and users > 0

        backup = subprocess.run([str(ROOT / "deploy" / "backup.sh"), libpq(source), str(tmp_path)],
                                capture_output=True, text=True, check=True)
        dump = backup.stdout.strip().splitlines()[-1]
        assert dump.endswith(".dump")
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq(restored), dump], check=True,
                       capture_output=True, text=True)

        current = flask(restored, "db", "current")
        head = next(iter(migration_heads(str(ROOT / "migrations"))))
        assert f"{head} (head)" in current.stdout
        check = flask(restored, "integrity", "check")
        assert "0 mismatch(es)" in check.stdout
        with psycopg.connect(libpq(restored)) as conn:
            assert conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0] == ledger_rows
            assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == users
