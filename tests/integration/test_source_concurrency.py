"""Documents made from another posted at the same moment as a change to that other: two invoices made from
one order, a credit memo while its invoice line moves to another PO. Posting locks the source documents
before it reads what an order line still commits or which PO an invoice line draws on, so the second
change waits for the first and reads what it left (seen from outside: commitments went negative, and a
credit memo landed on the PO its invoice line had left)."""
from __future__ import annotations

import threading
import time
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Document, DocumentLine, User
from portal.services import documents, integrity, posting
from tests import factories
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _race(app, hold, second) -> object:
    """Run `hold(session)` in a transaction left open, start `second(session)` on another connection, wait
    until it blocks on the first's locks (or finishes), commit the first; return what the second returned."""
    outcome: dict[str, object] = {}

    def run_second():
        with app.app_context(), Session(db.engine) as session:
            try:
                outcome["second"] = second(session)
            except Exception as error:  # noqa: BLE001  (reported by the caller's assertion)
                outcome["second"] = repr(error)

    with Session(db.engine) as holder:
        hold(holder)
        holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        racer = threading.Thread(target=run_second)
        racer.start()
        deadline = time.monotonic() + 60
        with db.engine.connect() as watcher:
            while racer.is_alive() and time.monotonic() < deadline:
                if watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                                   {"pid": holder_pid}).scalar_one():
                    break
        holder.commit()
    racer.join(timeout=60)
    assert not racer.is_alive()
    return outcome["second"]


def test_two_invoices_made_from_one_order_posted_at_once_release_its_commitment_once(app, world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "SO1", amount="1000")
    order = draft(world, "Sales Order", [line(world, "100", po=po, qty="10")])
    assert post(world, order).posted and balance(s, po) == (D("0"), D("1000.00"), D("0"))
    invoice_type = world["types"]["Sales Invoice"].id
    first, second = (documents.derive(s, world["user"], order.id, invoice_type) for _ in range(2))
    first_id, second_id, user_id = first.id, second.id, world["user"].id
    s.commit()

    def hold(session):
        assert posting.post(session, session.get(User, user_id), first_id, confirmed=True, commit=False).posted

    def post_second(session):
        result = posting.post(session, session.get(User, user_id), second_id, confirmed=True)
        return "posted" if result.posted else "refused" if result.refused else "asked"

    assert _race(app, hold, post_second) == "posted"  # the warn policy: over the PO, confirmed
    # the order's 1,000 released once: the second invoice draws 1,000 more on Used and releases nothing
    assert balance(s, po) == (D("2000.00"), D("0.00"), D("0"))
    assert integrity.check(s) == []


def test_a_credit_memo_posted_while_its_invoice_line_moves_follows_the_line(app, world):
    s = world["session"]
    old, new = factories.po(s, world["debtor"], "OLD", amount="5000"), factories.po(s, world["debtor"], "NEW",
                                                                                   amount="5000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=old, qty="10")])
    assert post(world, invoice).posted
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("4")})
    invoice_id, line_id, credit_id, new_id, user_id = invoice.id, invoice.lines[0].id, credit.id, new.id, world["user"].id
    s.commit()

    def hold(session):  # the line moves, not yet committed: the credit memo's posting must wait for it
        moved = posting.reassign(session, session.get(User, user_id), invoice_id, [line_id], new_id, None,
                                 reason="wrong PO", confirmed=True, commit=False)
        assert moved.moved == 1

    def post_credit(session):
        result = posting.post(session, session.get(User, user_id), credit_id, confirmed=True)
        return "posted" if result.posted else "refused" if result.refused else "asked"

    assert _race(app, hold, post_credit) == "posted"
    assert balance(s, old)[0] == D("0.00") and balance(s, new)[0] == D("600.00")  # 1,000 less the 400 credited
    assert {l.po_id for l in s.scalars(select(DocumentLine).join(Document).where(
        Document.id.in_([invoice_id, credit_id])))} == {new_id}
    assert integrity.check(s) == []


def test_an_invoice_from_an_order_posted_while_the_order_is_voided_releases_only_what_the_void_left(app, world):
    """Seen from outside once in three runs: Commitments -1,000 after the two at once."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "SO2", amount="5000")
    order = draft(world, "Sales Order", [line(world, "100", po=po, qty="10")])
    assert post(world, order).posted
    invoice = documents.derive(s, world["user"], order.id, world["types"]["Sales Invoice"].id,
                               quantities={order.lines[0].id: D("4")})
    order_id, invoice_id, user_id = order.id, invoice.id, world["user"].id
    s.commit()

    def hold(session):  # the invoice posts (releasing 400 of the order's 1,000), not yet committed
        assert posting.post(session, session.get(User, user_id), invoice_id, confirmed=True, commit=False).posted

    def void_order(session):
        posting.void(session, session.get(User, user_id), order_id)
        return "voided"

    assert _race(app, hold, void_order) == "voided"
    assert balance(s, po) == (D("400.00"), D("0.00"), D("0"))  # the void gave back the 600 left, not 1,000
    assert integrity.check(s) == []
