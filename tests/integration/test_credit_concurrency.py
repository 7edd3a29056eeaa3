"""Two credit memos of one invoice posted at once from two connections: together they never credit more
than the invoice line drew (posting locks the invoice before it reads what is left to credit)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Document, DocumentLine, LedgerEntry, User
from portal.services import documents, integrity, posting
from tests.integration.test_posting import draft, line, post, world  # noqa: F401  (fixture)
from tests.integration.test_source_concurrency import _race

D = Decimal


def test_two_credit_memos_of_one_invoice_posted_at_once_credit_no_more_than_it_drew(app, world):
    """The invoice line draws on no PO, so no PO lock serialises the two postings: only the invoice's lock
    does. The first posting holds its transaction open; the second must wait for it, then see its credit
    and refuse (70 + 70 would take back 140 of 100)."""
    s = world["session"]
    invoice = draft(world, "Sales Invoice", [line(world, "100")])  # no job, no PO: draws on no budget
    assert post(world, invoice).posted and invoice.lines[0].po_id is None
    credit_type = world["types"]["Credit Memo"].id
    first, second = (documents.derive(s, world["user"], invoice.id, credit_type, quantities={invoice.lines[0].id: D("0.7")})
                     for _ in range(2))
    first_id, second_id, user_id = first.id, second.id, world["user"].id
    s.commit()
    def hold(session):  # written, not committed: this transaction holds the invoice's row lock
        assert posting.post(session, session.get(User, user_id), first_id, confirmed=True, commit=False).posted

    def post_second(session):
        result = posting.post(session, session.get(User, user_id), second_id, confirmed=True, override=True)
        return "posted" if result.posted else "refused" if result.refused else "asked"

    outcome = {"second": _race(app, hold, post_second)}
    assert outcome == {"second": "refused"}
    s.expire_all()
    assert [d.status for d in s.scalars(select(Document).where(Document.id.in_([first_id, second_id])).order_by(Document.id))] \
        == ["posted", "draft"]
    credited = s.scalar(select(db.func.sum(DocumentLine.amount)).join(Document).where(
        DocumentLine.source_line_id == invoice.lines[0].id, Document.status == "posted"))
    assert credited == D("70.00")
    assert s.scalar(select(db.func.count()).select_from(LedgerEntry)) == 0  # no PO: nothing on any budget
    assert integrity.check(s) == []
