"""Postings per second (20-line invoices, 8 concurrent clients) and PO detail latency with
1,000,000 ledger entries on the PO.

    .venv/bin/python -m bench.posting [invoices_per_client] [ledger_entries]
"""
from __future__ import annotations

import sys
import threading
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.common import bench_app

CLIENTS, LINES = 8, 20


def main(per_client: int = 25, ledger_rows: int = 1_000_000) -> None:
    with bench_app() as (app, db):
        from portal.models import (BillCode, Branch, Debtor, Document, DocumentLine, DocumentType, JobOrder,
                                   JobPOAssignment, POBalance, PurchaseOrder, Role, User)
        from portal.services import integrity, posting

        s = db.session
        role = s.scalar(select(Role).where(Role.name == "Billing Admin"))
        user = User(username="bench", full_name="Bench", password_hash="x", roles=[role])
        debtor, branch, code = Debtor(code="BENCH", name="Bench"), Branch(code="B", name="B"), BillCode(code="ORD")
        s.add_all([user, debtor, branch, code])
        s.flush()
        po = PurchaseOrder(debtor_id=debtor.id, number="P-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                           amount=Decimal("999999999.00"), balance=POBalance())
        s.add(po)
        s.flush()
        from portal.models import POEligibleType
        for t in s.scalars(select(DocumentType)):
            s.add(POEligibleType(po_id=po.id, document_type_id=t.id, debtor_id=debtor.id, number_key="P-1"))
        job = JobOrder(title="Job", debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1))
        s.add(job)
        s.flush()
        s.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=po.id, start_date=date(2026, 1, 1)))
        invoice_type = s.scalar(select(DocumentType).where(DocumentType.name == "Sales Invoice"))
        total = CLIENTS * per_client
        doc_ids = s.execute(insert(Document).returning(Document.id), [
            {"debtor_id": debtor.id, "document_type_id": invoice_type.id, "number": f"B-{i}", "doc_date": date(2026, 3, 1),
             "status": "draft", "total": Decimal("2000"), "notes": "", "override_used": False} for i in range(total)]).scalars().all()
        s.execute(insert(DocumentLine), [
            {"document_id": d, "line_no": n, "job_id": job.id, "bill_code_id": code.id, "quantity": Decimal("1"),
             "rate": Decimal("100"), "amount": Decimal("100.00"), "description": "", "explicit_po": False}
            for d in doc_ids for n in range(1, LINES + 1)])
        s.commit()
        user_id = user.id

        def client(chunk):
            with app.app_context():
                with Session(db.engine) as session:
                    actor = session.get(User, user_id)
                    for doc_id in chunk:
                        posting.post(session, actor, doc_id, confirmed=True, today=date(2026, 3, 1))

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(doc_ids[i::CLIENTS],)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        print(f"posted {total} invoices x {LINES} lines with {CLIENTS} clients in {elapsed:.2f}s: "
              f"{total / elapsed:.1f} invoices/s ({total * LINES / elapsed:.0f} lines/s); "
              f"integrity mismatches: {len(integrity.check(s))}")
        # PO detail with a long history: one document line carrying `ledger_rows` entries
        line_id = s.scalar(select(DocumentLine.id).limit(1))
        started = time.perf_counter()
        s.execute(text("INSERT INTO ledger_entries (document_id, document_line_id, po_id, bill_code_id, bucket, amount, event, at) "
                       "SELECT :doc, :line, :po, :code, 'used', 0.01, 'bench', now() FROM generate_series(1, :n)"),
                  {"doc": doc_ids[0], "line": line_id, "po": po.id, "code": code.id, "n": ledger_rows})
        s.execute(text("UPDATE po_balances SET used = used + :n * 0.01 WHERE po_id = :po"), {"n": ledger_rows, "po": po.id})
        s.commit()
        s.execute(text("ANALYZE ledger_entries"))
        print(f"inserted {ledger_rows:,} ledger entries in {time.perf_counter() - started:.1f}s")
        client_ = app.test_client()
        from portal.services.security import create_user
        admin = create_user(s, actor=None, username="benchadmin", full_name="B", password="bench-password-1",
                            role_ids=[role.id])
        app.config["WTF_CSRF_ENABLED"] = False
        client_.post("/login", data={"username": admin.username, "password": "bench-password-1"})
        for tab in ("summary", "documents"):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                response = client_.get(f"/purchase-orders/{po.id}?tab={tab}")
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            print(f"PO detail ({tab} tab) with {ledger_rows:,} ledger entries: median {sorted(times)[2] * 1000:.0f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
