"""Where a page's time goes in Python: renders it in-process as the billing admin under cProfile.

    DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.profile [--repeat N] [--sort tottime] path …

Prints the in-process time per request (after one warm-up) and the profile's top functions.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import logging
import os
import pstats
import time
from contextlib import contextmanager


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--post", type=int, default=0, help="also draft and post this many 20-line invoices")
    parser.add_argument("--plain", action="store_true", help="post without the profiler (the time as served)")
    parser.add_argument("--sql", action="store_true", help="print each statement of one more request, with its time")
    args = parser.parse_args()
    from portal import create_app

    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ.setdefault("PORTAL_COOKIE_SECURE", "0")
    logging.disable(logging.INFO)
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": os.environ.get("BENCH_USER", "billing"), "password": "demo-pass-2026"})
    gc.collect()  # as gunicorn.conf.py's post_worker_init does: else collections of the whole heap, charged
    gc.freeze()  # to whichever function allocated last, make up a tenth of each page's time in the profile
    gc.set_threshold(int(os.environ.get("PORTAL_GC_THRESHOLD", 20000)), 20, 20)
    for path in args.paths:
        client.get(path)
        started = time.perf_counter()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            status = client.get(path).status_code
        profiler.disable()
        elapsed = (time.perf_counter() - started) * 1000 / args.repeat
        print(f"\n## {path}: {status}, {elapsed:.1f} ms per request under the profiler")
        plain = time.perf_counter()
        for _ in range(args.repeat):
            client.get(path)
        print(f"   {(time.perf_counter() - plain) * 1000 / args.repeat:.1f} ms per request without it")
        if args.sql:
            with _statements(app) as last:
                client.get(path)
            print("\n".join(last))
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    if args.post:
        posting(app, client, args)


@contextmanager
def _statements(app):
    """Each statement run inside the block: its time, rows and text (shortened)."""
    from sqlalchemy import event

    from portal.extensions import db

    last: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        last.append(f"{(time.perf_counter() - conn.info['t0']) * 1000:6.2f} ms {cursor.rowcount:5} rows "
                    f"{' '.join(statement.split())[:150]}")

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield last
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)


def posting(app, client, args) -> None:
    """Draft `--post` invoices like bench.http does, then post them one by one under the profiler, timing the SQL."""
    from datetime import date

    from sqlalchemy import event

    from bench.http import targets
    from portal.extensions import db

    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    t = targets(dsn, bulk=False) | _posting_targets(dsn)
    debtor_id, jobs = t["posting"][0]
    day = date.today().isoformat()
    form = {"debtor_id": str(debtor_id), "document_type_id": str(t["invoice_type"]), "number": "", "doc_date": day,
            "bill_from": day, "bill_to": day, "po_number": "", "notes": "",
            "line_key": [str(j) for j in jobs], "line_job": [str(j) for j in jobs],
            "line_code": [str(t["ordinary"])] * len(jobs), "line_date": [""] * len(jobs),
            "line_description": ["Hours"] * len(jobs), "line_quantity": ["8"] * len(jobs),
            "line_rate": ["41.50"] * len(jobs), "line_po": [""] * len(jobs)}
    drafts = [client.post("/documents/new", data=form).headers["Location"].rstrip("/").split("/")[-1]
              for _ in range(args.post + 1)]
    client.post(f"/documents/{drafts.pop()}/post", data={"confirmed": "1"})
    sql = {"n": 0, "s": 0.0}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    last: list[str] = []

    def after(conn, cursor, statement, parameters, context, executemany):
        sql["n"] += 1
        sql["s"] += time.perf_counter() - conn.info["t0"]
        last.append(f"{(time.perf_counter() - conn.info['t0']) * 1000:6.2f} ms {cursor.rowcount:5} rows "
                    f"{' '.join(statement.split())[:150]}")

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    started = time.perf_counter()
    profiler = cProfile.Profile()
    if not args.plain:
        profiler.enable()
    for doc_id in drafts:
        last.clear()
        status = client.post(f"/documents/{doc_id}/post", data={"confirmed": "1"}).status_code
    profiler.disable()
    elapsed = (time.perf_counter() - started) * 1000 / len(drafts)
    print(f"\n## posting {len(drafts)} invoices: last {status}, {elapsed:.1f} ms each "
          f"{'without' if args.plain else 'under'} the profiler, "
          f"{sql['n'] / len(drafts):.1f} statements and {sql['s'] * 1000 / len(drafts):.1f} ms in SQL each")
    print("\n".join(last))
    if not args.plain:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


def _posting_targets(dsn: str) -> dict:
    import psycopg

    with psycopg.connect(dsn) as conn:
        debtor_id = conn.execute("SELECT debtor_id FROM job_po_assignments WHERE debtor_id NOT IN "
                                 "(SELECT id FROM debtors WHERE code LIKE 'BULK%') GROUP BY debtor_id "
                                 "HAVING count(*) >= 20 ORDER BY debtor_id DESC LIMIT 1").fetchone()[0]
        jobs = [r[0] for r in conn.execute("SELECT job_id FROM job_po_assignments WHERE debtor_id = %s "
                                           "ORDER BY job_id LIMIT 20", (debtor_id,))]
        return {"posting": [(debtor_id, jobs)],
                "invoice_type": conn.execute("SELECT id FROM document_types WHERE name = 'Sales Invoice'").fetchone()[0],
                "ordinary": conn.execute("SELECT id FROM bill_codes WHERE code = 'ORD'").fetchone()[0]}


if __name__ == "__main__":
    main()
