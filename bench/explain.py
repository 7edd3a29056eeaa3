"""EXPLAIN (ANALYZE, BUFFERS) of every query a page runs, on a database loaded by `flask demo scale`.

Renders each page in-process as the billing admin, records its SQL, then explains each statement
and flags sequential scans of the big tables (ledger_entries, document_lines, documents).

    DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.explain [path …]
"""
from __future__ import annotations

import os
import re
import sys
import time

from sqlalchemy import event

BIG = ("ledger_entries", "document_lines", "documents")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main(paths: list[str]) -> None:
    from bench.http import pages, targets
    from portal import create_app
    from portal.extensions import db

    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ.setdefault("PORTAL_COOKIE_SECURE", "0")  # served over plain HTTP here
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    if not paths:
        paths = [p for _, ps in pages(targets(dsn, bulk=False)) for p in ps[:1]]
    client = app.test_client()
    client.post("/login", data={"username": os.environ.get("BENCH_USER", "billing"), "password": "demo-pass-2026"})
    with app.app_context():
        statements: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not executemany:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        for path in paths:
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            captured = list(statements)
            print(f"\n## {path} — {response.status_code}, {len(response.data) / 1024:.1f} KB, "
                  f"{elapsed:.0f} ms in-process, {len(captured)} queries\n")
            event.remove(db.engine, "before_cursor_execute", record)
            plans = []
            with db.engine.connect() as conn:
                raw = conn.connection.driver_connection
                for statement, parameters in captured:
                    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue  # reads (a WITH too: the slowest search is one); all rolled back below
                    with raw.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        plan = "\n".join(r[0] for r in cur.fetchall())
                    ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
                    plans.append((ms, statement, plan))
                raw.rollback()
            event.listen(db.engine, "before_cursor_execute", record)
            for ms, statement, plan in sorted(plans, key=lambda p: -p[0])[:3]:
                seq = [t for t in BIG if re.search(rf"Seq Scan on {t}\b", plan)]
                print(f"- {ms:.2f} ms{'  SEQ SCAN: ' + ', '.join(seq) if seq else ''}: "
                      f"{' '.join(statement.split())[:160]}…")
            if plans:
                ms, statement, plan = max(plans, key=lambda p: p[0])
                print("\n```\n" + plan + "\n```")
            for ms, statement, plan in plans:
                for t in BIG:
                    if re.search(rf"Seq Scan on {t}\b", plan):
                        print(f"!! sequential scan of {t} ({ms:.1f} ms): {' '.join(statement.split())[:200]}")


if __name__ == "__main__":
    main(sys.argv[1:])
