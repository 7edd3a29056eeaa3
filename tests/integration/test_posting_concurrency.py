"""8 threads posting 50 invoices each against one PO: nothing is lost, nothing passes a block."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import BillCode, Document, DocumentLine, POBalance, User
from portal.services import integrity, posting
from tests import factories

THREADS, EACH = 8, 50


def _drafts(session, debtor, po, invoice_type, code):
    ids = session.execute(insert(Document).returning(Document.id), [
        {"debtor_id": debtor.id, "document_type_id": invoice_type.id, "number": f"CC-{n:04d}", "doc_date": date(2026, 3, 1),
         "status": "draft", "total": Decimal("10.00"), "notes": "", "override_used": False}
        for n in range(THREADS * EACH)]).scalars().all()
    session.execute(insert(DocumentLine), [
        {"document_id": i, "line_no": 1, "bill_code_id": code.id, "quantity": Decimal("1"), "rate": Decimal("10"),
         "amount": Decimal("10.00"), "po_id": po.id, "explicit_po": True, "description": ""} for i in ids])
    session.commit()
    return ids


@pytest.mark.parametrize("policy,expected_posted", [("block", 300), ("warn", 400)])
def test_concurrent_postings(app, db_session, policy, expected_posted):
    debtor = factories.debtor(db_session, over_budget_policy=policy)
    user_id = factories.user(db_session, role_name="Consultant").id  # no override
    po = factories.po(db_session, debtor, "RACE", amount="3000.00")
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    ids = _drafts(db_session, debtor, po, factories.document_types(db_session)["Sales Invoice"], code)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker(chunk):
        with app.app_context():
            with Session(db.engine) as session:
                user = session.get(User, user_id)
                barrier.wait()
                for doc_id in chunk:
                    result = posting.post(session, user, doc_id, confirmed=True, today=date(2026, 3, 1))
                    with lock:
                        outcomes.append("posted" if result.posted else "refused")

    threads = [threading.Thread(target=worker, args=(ids[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == THREADS * EACH
    assert outcomes.count("posted") == expected_posted
    db_session.expire_all()
    assert db_session.get(POBalance, po.id).used == Decimal("10.00") * expected_posted
    assert integrity.check(db_session) == []
    posted = db_session.scalars(select(Document).where(Document.status == "posted")).all()
    assert len(posted) == expected_posted
