"""Pages, posting and bulk assignment measured over HTTP against a floor (`make bench-http`).

Serves the portal and the floor app (bench/floor.py: a bare SELECT 1 route, same stack) with
gunicorn (2 sync workers each) on 127.0.0.1, signs in 8 keep-alive clients as the billing admin and
drives each page for a few seconds, measuring the floor right before and after each page. Needs a
database loaded by `flask demo scale` (DATABASE_URL or BENCH_DATABASE_URL).

    DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.http [--seconds 4] [--only name,…]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import psycopg

CLIENTS = 8
FLOOR_PORT, PORTAL_PORT = int(os.environ.get("BENCH_PORT", 6701)), int(os.environ.get("BENCH_PORT", 6701)) + 1
PASSWORD = "demo-pass-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client:
    """One keep-alive connection with its own cookies (a signed-in user's browser, minus the rendering)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, dict, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt == 2:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v
        return resp.status, dict(resp.getheaders()), data

    def csrf(self, path: str) -> str:
        status, _, body = self.request("GET", path)
        match = CSRF.search(body.decode())
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1)

    def sign_in(self, username: str) -> None:
        token = self.csrf("/login")
        status, headers, _ = self.request("POST", "/login", [("csrf_token", token), ("username", username),
                                                             ("password", PASSWORD)])
        if status != 302:
            raise RuntimeError(f"sign-in as {username} failed ({status})")


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


def drive(clients: list[Client], name: str, paths: list[str], seconds: float, method: str = "GET",
          forms=None) -> Run:
    """Each client requests its next path until the time is up (at least once)."""
    run, lock = Run(name), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(i: int, c: Client):
        n = i
        while True:
            path = paths[n % len(paths)]
            form = forms[n % len(forms)] if forms else None
            n += len(clients)
            t0 = time.perf_counter()
            try:
                status, _, body = c.request(method, path, form)
            except (OSError, http.client.HTTPException):
                c.conn.close()
                status, body = 599, b""
            dt = time.perf_counter() - t0
            with lock:
                run.latencies.append(dt)
                run.sizes.append(len(body))
                run.errors += status >= 400
            if time.perf_counter() >= deadline or (forms and n >= len(forms)):
                return

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - started
    return run


@contextmanager
def served(app: str, port: int, env: dict):
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                             "warning", "--timeout", "600", app], env=env, start_new_session=True)
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/health")
                break
            except OSError:
                time.sleep(0.1)  # waiting for the server to listen, not for a result
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def targets(dsn: str, bulk: bool = True) -> dict:
    """Ids of the scale data set's biggest things, and a fresh debtor with 10,000 unassigned jobs."""
    with psycopg.connect(dsn) as conn:
        one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
        big_po = one("SELECT po_id FROM ledger_entries GROUP BY po_id ORDER BY count(*) DESC LIMIT 1")
        big_debtor = one("SELECT debtor_id FROM job_orders GROUP BY debtor_id ORDER BY count(*) DESC LIMIT 1")
        most_pos = one("SELECT debtor_id FROM purchase_orders GROUP BY debtor_id ORDER BY count(*) DESC LIMIT 1")
        small_po = one("SELECT po_id FROM ledger_entries GROUP BY po_id ORDER BY count(*) LIMIT 1")
        # posting: each client invoices jobs of its own debtor, each job assigned to a PO of that debtor
        posting = []
        # (not an earlier run's bulk debtor: its 10,000 jobs all draw on one PO)
        for (debtor_id,) in conn.execute("SELECT debtor_id FROM job_po_assignments WHERE debtor_id NOT IN "
                                         "(SELECT id FROM debtors WHERE code LIKE 'BULK%%') GROUP BY debtor_id "
                                         "HAVING count(*) >= 20 ORDER BY debtor_id DESC LIMIT %s", (CLIENTS,)):
            jobs = [r[0] for r in conn.execute("SELECT job_id FROM job_po_assignments WHERE debtor_id = %s "
                                               "ORDER BY job_id LIMIT 20", (debtor_id,))]
            posting.append((debtor_id, jobs))
        invoice_type = one("SELECT id FROM document_types WHERE name = 'Sales Invoice'")
        ordinary = one("SELECT id FROM bill_codes WHERE code = 'ORD'")
        # the pages beyond the table: a job and a posted invoice of the debtor with the most POs,
        # and the debtor with the fewest documents (a filter matching few rows)
        more = dict(
            po_debtor_job=one("SELECT min(id) FROM job_orders WHERE debtor_id = %s", most_pos),
            po_debtor_unassigned_job=one(
                "SELECT min(j.id) FROM job_orders j WHERE j.debtor_id = %s AND j.start_date <= current_date AND "
                "NOT EXISTS (SELECT 1 FROM job_po_assignments a LEFT JOIN purchase_orders p ON p.id = a.po_id "
                "WHERE a.job_id = j.id AND a.start_date <= current_date AND coalesce(a.manual_end, p.expiration, "
                "'infinity') >= current_date)", most_pos),
            po_debtor_invoice=one("SELECT max(d.id) FROM documents d JOIN document_types t ON t.id = d.document_type_id "
                                  "WHERE d.debtor_id = %s AND d.status = 'posted' AND t.name = 'Sales Invoice'", most_pos),
            few_documents=one("SELECT debtor_id FROM documents GROUP BY debtor_id ORDER BY count(*), debtor_id LIMIT 1"))
        if not bulk:
            return dict(big_po=big_po, small_po=small_po, big_debtor=big_debtor, most_pos=most_pos, **more)
        # bulk assignment: a new debtor with 10,000 jobs nobody assigned, and one PO
        code = f"BULK{int(time.time()) % 1_000_000}"
        bulk_debtor = one("INSERT INTO debtors (code, name, enforce_purchase_orders, over_budget_policy, active, notes)"
                          " VALUES (%s, %s, false, 'warn', true, '') RETURNING id", code, f"Bulk bench {code}")
        branch = one("SELECT min(id) FROM branches")
        # numbered after the data set's own jobs in the job list's order (J… sorts above B…): numbered by the
        # portal they were the newest 10,000 jobs, so every run put 10,000 "Bulk job" rows at the top of
        # every job list and search window the pages were measured on (not the data set the issue gives)
        conn.execute("INSERT INTO job_orders (number, title, debtor_id, site, branch_id, start_date) "
                     "SELECT %s || '-' || lpad(i::text, 5, '0'), 'Bulk job ' || i, %s, '', %s, current_date - 30 "
                     "FROM generate_series(1, 10000) i", (code, bulk_debtor, branch))
        bulk_po = one("INSERT INTO purchase_orders (debtor_id, number, kind, description, notes, effective, "
                      "expiration, amount) VALUES (%s, %s, 'single_line', '', '', current_date - 60, "
                      "current_date + 300, 1000000) RETURNING id", bulk_debtor, f"{code}-PO")
        conn.execute("INSERT INTO po_balances (po_id) VALUES (%s)", (bulk_po,))
        conn.execute("INSERT INTO po_eligible_types (po_id, document_type_id, debtor_id, number_key) "
                     "SELECT %s, id, %s, %s FROM document_types", (bulk_po, bulk_debtor, f"{code}-PO"))
        conn.commit()
    return dict(big_po=big_po, small_po=small_po, big_debtor=big_debtor, most_pos=most_pos, posting=posting,
                invoice_type=invoice_type, ordinary=ordinary, bulk_debtor=bulk_debtor, bulk_po=bulk_po, **more)


def pages(t: dict) -> list[tuple[str, list[str]]]:
    return [
        ("PO detail summary (big PO)", [f"/purchase-orders/{t['big_po']}"]),
        ("PO detail summary (small PO)", [f"/purchase-orders/{t['small_po']}"]),
        ("PO list", ["/purchase-orders/"]),
        ("job orders list", ["/job-orders/"]),
        ("job orders search", ["/job-orders/?q=weld", "/job-orders/?q=J1234", "/job-orders/?q=forklift+driver+12"]),
        ("PO search", ["/purchase-orders/?q=SP0012", "/purchase-orders/?q=sp00999"]),
        ("documents list", ["/documents/", "/documents/?q=SD00123"]),
        ("notifications", ["/notifications/"]),
        ("start page", ["/"]),
        ("a debtor's PO tab", [f"/debtors/{t['most_pos']}?tab=purchase_orders"]),
        ("big PO's documents tab", [f"/purchase-orders/{t['big_po']}?tab=documents"]),
        ("big PO's spend by bill code", [f"/purchase-orders/{t['big_po']}?tab=spend"]),
        ("assignment grid (biggest debtor)", [f"/assignments/?debtor_id={t['big_debtor']}"]),
        ("spend by PO number report", ["/documents/report"]),
    ]


def more_pages(t: dict) -> list[tuple[str, list[str]]]:
    """Pages beyond the issue's table, each once slow at this size (the tenth round's sweep of every page)."""
    return [
        ("a job of the debtor with 1,000 POs", [f"/job-orders/{t['po_debtor_job']}"]),
        ("an unassigned job of that debtor (its picker)", [f"/job-orders/{t['po_debtor_unassigned_job']}"]),
        ("new job form, that debtor's PO picker", [f"/job-orders/new?debtor_id={t['most_pos']}"]),
        ("the picker's search as the user types", [f"/job-orders/po-picker?debtor_id={t['most_pos']}&po_search=SP0001",
                                                   f"/job-orders/po-picker?debtor_id={t['most_pos']}&po_search=sp00005"]),
        ("new invoice for that debtor", [f"/documents/new?debtor_id={t['most_pos']}"]),
        ("a posted invoice of that debtor", [f"/documents/{t['po_debtor_invoice']}"]),
        ("documents of the debtor with the fewest", [f"/documents/?debtor_id={t['few_documents']}"]),
        ("documents by PO number", ["/documents/?po=SP0012"]),
        ("start page's count of unassigned jobs", ["/start/unassigned-jobs"]),
        # the eighteenth round's sweep: what a search box sends after its first key, and the PO list's orders
        ("job search, first key typed", ["/job-orders/?q=j", "/job-orders/?q=w"]),
        ("PO search, first key typed", ["/purchase-orders/?q=s"]),
        ("PO list by number, by remaining", ["/purchase-orders/?sort=number", "/purchase-orders/?sort=remaining"]),
        ("PO list by runs out first", ["/purchase-orders/?sort=runs_out"]),
        ("bulk assignment page (biggest debtor)", [f"/assignments/bulk?debtor_id={t['big_debtor']}"]),
    ]


def vacuum_unless_autovacuum(dsn: str) -> bool:
    """VACUUM (ANALYZE) the database when the server runs without autovacuum (a test server, say), as
    autovacuum would have kept it: otherwise each run's 8,000 balance updates and forecasts pile up as
    dead rows every balance read walks past, and the tables' statistics go stale. True when it ran."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
            return False
        conn.execute("VACUUM (ANALYZE)")
        return True


def row(name: str, run: Run, floor_p50: float) -> str:
    size = statistics.median(run.sizes) / 1024 if run.sizes else 0
    return (f"| {name} | {len(run.latencies)} | {run.rps:,.1f} | {run.pct(0.5):,.1f} | {run.pct(0.99):,.1f} | "
            f"{run.pct(0.5) / floor_p50:,.1f}× | {size:,.1f} KB | {run.errors} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--only", default="", help="comma-separated words: pages whose name holds one")
    parser.add_argument("--invoices", type=int, default=400, help="20-line invoices to post")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to a database loaded by `flask demo scale`.")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret"),
           "PORTAL_COOKIE_SECURE": "0", "LOGIN_RATE_LIMIT": "1000 per minute", "PYTHONPATH": os.getcwd(),
           # gunicorn.conf.py restarts a worker every 2,000 requests or so: a restart mid-page stalled the
           # requests queued behind it for about a second (a p99 near 1.3 s on whichever page it met)
           "PORTAL_MAX_REQUESTS": "0"}
    t = targets(dsn)
    cleaned = vacuum_unless_autovacuum(dsn)
    only = [w.strip().lower() for w in args.only.split(",") if w.strip()]
    print(f"# {date.today()} — {CLIENTS} clients, gunicorn 2 sync workers each, {args.seconds:.0f} s per page"
          + ("; autovacuum is off on this server, so the run began with VACUUM (ANALYZE)" if cleaned else "") + "\n")
    print("| page | requests | req/s | p50 ms | p99 ms | × floor p50 | response | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with served("bench.floor:app", FLOOR_PORT, env), served("portal:create_app()", PORTAL_PORT, env):
        floor_clients = [Client(FLOOR_PORT) for _ in range(CLIENTS)]
        clients = [Client(PORTAL_PORT) for _ in range(CLIENTS)]
        for c in clients:
            c.sign_in("billing")

        def floor() -> Run:
            return drive(floor_clients, "floor", ["/"], 1.5)

        first = floor()
        print(row("floor (SELECT 1)", first, first.pct(0.5)), flush=True)
        for name, paths in pages(t) + [("", [])] + more_pages(t):
            if not name:  # the pages beyond the table follow
                print("| *beyond the issue's table* | | | | | | | |", flush=True)
                continue
            if only and not any(w in name.lower() for w in only):
                continue
            before = floor()
            run = drive(clients, name, paths, args.seconds)
            after = floor()
            print(row(name, run, (before.pct(0.5) + after.pct(0.5)) / 2), flush=True)
        if not only or "post" in only:
            posting(clients, t, args.invoices, floor)
        if not only or "bulk" in only:
            bulk(clients[0], t)


def posting(clients: list[Client], t: dict, invoices: int, floor) -> None:
    """Draft `invoices` 20-line invoices (each client its own debtor), then post them from 8 clients."""
    per_client = max(1, invoices // CLIENTS)
    day = date.today().isoformat()
    drafts: list[list[str]] = [[] for _ in clients]
    path = "/documents/new"
    tokens = [c.csrf(path) for c in clients]
    forms = []
    for i, c in enumerate(clients):
        debtor_id, jobs = t["posting"][i % len(t["posting"])]
        form = [("csrf_token", tokens[i]), ("debtor_id", str(debtor_id)), ("document_type_id", str(t["invoice_type"])),
                ("number", ""), ("doc_date", day), ("bill_from", day), ("bill_to", day), ("po_number", ""),
                ("notes", "")]
        for j in jobs:
            form += [("line_key", str(j)), ("line_job", str(j)), ("line_code", str(t["ordinary"])), ("line_date", ""),
                     ("line_description", "Hours"), ("line_quantity", "8"), ("line_rate", "41.50"), ("line_po", "")]
        forms.append(form)
    started = time.perf_counter()
    errors = []

    def make(i: int, c: Client):
        for _ in range(per_client):
            status, headers, body = c.request("POST", path, forms[i])
            location = headers.get("Location", "")
            if status != 302 or "/documents/" not in location:
                errors.append(status)
                continue
            drafts[i].append(location.rstrip("/").split("/")[-1])

    threads = [threading.Thread(target=make, args=(i, c)) for i, c in enumerate(clients)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    made = sum(len(d) for d in drafts)
    drafting = time.perf_counter() - started
    before = floor()
    run, lock = Run("post"), threading.Lock()

    def post(i: int, c: Client):
        token = tokens[i]
        for doc_id in drafts[i]:
            t0 = time.perf_counter()
            status, headers, _ = c.request("POST", f"/documents/{doc_id}/post", [("csrf_token", token),
                                                                                 ("confirmed", "1")])
            with lock:
                run.latencies.append(time.perf_counter() - t0)
                run.errors += status != 302

    started = time.perf_counter()
    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate(clients)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    run.seconds = time.perf_counter() - started
    after = floor()
    floor_rps = (before.rps + after.rps) / 2
    print(f"\nDrafted {made} 20-line invoices in {drafting:.1f} s ({len(errors)} refused).")
    print(f"Posting from {CLIENTS} clients: {run.rps:.1f} invoices/s ({run.rps * 20:.0f} lines/s), "
          f"p50 {run.pct(0.5):.0f} ms, p99 {run.pct(0.99):.0f} ms, {run.errors} not posted; "
          f"{100 * run.rps / floor_rps:.1f}% of the floor's {floor_rps:,.0f} req/s.")


def bulk(c: Client, t: dict) -> None:
    """Preview and apply one PO to the 10,000 jobs of the bulk debtor, over HTTP."""
    path = f"/assignments/bulk?debtor_id={t['bulk_debtor']}"
    token = c.csrf(path)
    form = [("csrf_token", token), ("debtor_id", str(t["bulk_debtor"])), ("start", date.today().isoformat()),
            ("target", f"po:{t['bulk_po']}"), ("mode", "all")]
    timings = {}
    for action in ("preview", "apply"):
        t0 = time.perf_counter()
        status, _, body = c.request("POST", "/assignments/bulk", form + [("action", action)])
        timings[action] = (time.perf_counter() - t0, status, len(body))
    print("Bulk assignment of 10,000 jobs over HTTP: " + "; ".join(
        f"{a} {s:.2f} s ({st}, {n / 1024:.0f} KB)" for a, (s, st, n) in timings.items()))


if __name__ == "__main__":
    main()
