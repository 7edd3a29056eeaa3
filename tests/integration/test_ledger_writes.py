"""How posting reads and moves the balance rows (services/posting.py's lock_pos, balances_of, write_entries):
the checks use the figures as they are once the POs are locked, and the session sees the new figures after."""
from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (Alert, AuditEntry, Delivery, Document, LedgerEntry, POBalance, POForecast,
                           POLineBalance, PurchaseOrder, User)
from portal.services import contracts, posting
from portal.services.errors import Conflict, NotFound, ValidationFailed
from tests import factories
from tests.integration.test_contracts import dell, enter  # noqa: F401  (fixture)
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _post_elsewhere(app, user_id, doc_id):
    """Post a document from another connection (another user's request), committed."""
    with app.app_context(), Session(db.engine) as other:
        assert posting.post(other, other.get(User, user_id), doc_id, confirmed=True).posted


def test_after_posting_without_committing_the_session_reads_the_new_balances(world):
    """A caller that goes on in the same transaction (a CSV import, a contract) reads the moved rows,
    not the figures the posting read before writing."""
    s = world["session"]
    po, lines = _master(s, world["debtor"])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "100", job), line(world, "50", job),
                                         line(world, "80", job, code="OT")])  # two lines on line A
    assert posting.post(s, world["user"], doc.id, confirmed=True, commit=False).posted
    assert (s.get(POBalance, po.id).used, s.get(POLineBalance, lines[0].id).used,
            s.get(POLineBalance, lines[1].id).used) == (D("230"), D("150"), D("80"))
    s.rollback()


def test_posting_checks_the_po_as_locked_not_as_read_earlier_in_its_transaction(app, world):
    """Read in this transaction first, then cut to 700 and drawn 400 by others: 500 more is past the
    amount (block) though the figures read first (1,000, nothing drawn) would have let it through."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    po = factories.po(s, world["debtor"], "B1", amount="1000")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    theirs = draft(world, "Sales Invoice", [line(world, "400", job)])
    ours = draft(world, "Sales Invoice", [line(world, "500", job)])
    assert (po.amount, po.balance.used) == (D("1000"), D("0"))  # this transaction has read them
    _post_elsewhere(app, world["user"].id, theirs.id)
    with app.app_context(), Session(db.engine) as other:
        other.execute(update(PurchaseOrder).where(PurchaseOrder.id == po.id).values(amount=D("700")))
        other.commit()
    result = posting.post(s, world["user"], ours.id, confirmed=True)
    assert result.refused and [w.code for w in result.check.warnings if w.blocks] == ["over_po"]
    s.expire_all()
    assert s.get(POBalance, po.id).used == D("400")


def test_posting_checks_a_master_line_as_locked_not_as_read_earlier_in_its_transaction(app, world):
    """Line A (budget 200) read in this transaction, then drawn 150 by another posting: 100 more on it
    is past the line's budget (block)."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    po, lines = _master(s, world["debtor"], budgets=("200", "1000"))
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    theirs = draft(world, "Sales Invoice", [line(world, "150", job)])
    ours = draft(world, "Sales Invoice", [line(world, "100", job)])
    assert (lines[0].budget, lines[0].balance.used) == (D("200"), D("0"))  # this transaction has read them
    _post_elsewhere(app, world["user"].id, theirs.id)
    result = posting.post(s, world["user"], ours.id, confirmed=True)
    assert result.refused and [w.code for w in result.check.warnings if w.blocks] == ["over_line"]


def test_posting_locks_its_pos_in_id_order_whatever_order_the_database_reads_them_in(app, world):
    """Two postings take the POs they share in the same order, so neither holds one the other waits on
    (no deadlock). PO 2 is held elsewhere; PO 1's rows now sit after PO 2's (edited since) and the posting's
    connection reads without indexes: it must take PO 1 first, then wait on PO 2 holding it."""
    s = world["session"]
    first, second = factories.po(s, world["debtor"], "P1"), factories.po(s, world["debtor"], "P2")
    s.execute(update(PurchaseOrder).where(PurchaseOrder.id == first.id).values(description="edited"))
    s.execute(update(POBalance).where(POBalance.po_id == first.id).values(estimates=POBalance.estimates))
    s.commit()
    doc = draft(world, "Sales Invoice", [line(world, "10", po=second), line(world, "10", po=first)])
    first_id, second_id, doc_id, user_id = first.id, second.id, doc.id, world["user"].id
    outcome: dict[str, object] = {}

    def post_it():
        with app.app_context(), Session(db.engine) as session:
            session.execute(text("SET enable_indexscan = off"))
            session.execute(text("SET enable_bitmapscan = off"))
            try:
                outcome["posted"] = posting.post(session, session.get(User, user_id), doc_id, confirmed=True).posted
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                outcome["posted"] = repr(error)

    with Session(db.engine) as holder:
        holder.execute(select(PurchaseOrder.id).where(PurchaseOrder.id == second_id).with_for_update()).all()
        holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        racer = threading.Thread(target=post_it)
        racer.start()
        deadline = time.monotonic() + 60
        with db.engine.connect() as watcher:
            while racer.is_alive() and time.monotonic() < deadline:
                if watcher.execute(text("SELECT count(*) FROM pg_stat_activity "
                                        "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": holder_pid}).scalar_one():
                    break
        with db.engine.connect() as probe:
            try:
                probe.execute(text("SELECT id FROM purchase_orders WHERE id = :id FOR UPDATE NOWAIT"), {"id": first_id})
                first_free = True
            except OperationalError:
                first_free = False
            probe.rollback()
        holder.commit()
    racer.join(timeout=60)
    assert not racer.is_alive()
    assert (first_free, outcome) == (False, {"posted": True})


# ----- voiding some lines of an open order (a contract's cancelled deliveries) -----

def _order(world, po, *amounts):
    order = draft(world, "Sales Order", [line(world, a, po=po) for a in amounts])
    assert post(world, order).posted
    return order


def test_voiding_lines_of_a_missing_document_is_not_found(world):
    with pytest.raises(NotFound) as exc:
        posting.void_lines(world["session"], world["user"], 999, [1])
    assert str(exc.value) == "No such document."


def test_voiding_lines_refuses_anything_but_an_open_order_and_says_what_it_is(world):
    """A posted invoice's Used is never taken back this way (credit it), nor a voided order's lines again."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "V1", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "40", po=po)])
    assert post(world, invoice).posted
    voided = _order(world, po, "25")
    posting.void(s, world["user"], voided.id)
    for doc, status in ((invoice, "posted"), (voided, "void")):
        with pytest.raises(Conflict) as exc:
            posting.void_lines(s, world["user"], doc.id, [doc.lines[0].id])
        assert str(exc.value) == f"Only lines of an open (posted) order can be voided; {doc.number} is {status}."
    assert balance(s, po) == (D("40"), D("0"), D("0"))


def test_voiding_lines_refuses_a_line_of_another_document_among_them_and_voids_none(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "V1", amount="1000")
    order, other = _order(world, po, "25", "10"), _order(world, po, "5")
    with pytest.raises(ValidationFailed) as exc:
        posting.void_lines(s, world["user"], order.id, [order.lines[0].id, other.lines[0].id])
    assert exc.value.errors == {"lines": ["Choose lines of this order."]}
    assert balance(s, po) == (D("0"), D("40"), D("0"))


def test_voiding_lines_takes_back_only_those_lines_and_commits(app, world):
    """What another connection reads: the commitment of the voided line is gone, the rest of the order stays."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "V1", amount="1000")
    order = _order(world, po, "25", "10")
    assert posting.void_lines(s, world["user"], order.id, [order.lines[0].id]) == D("25")
    with app.app_context(), Session(db.engine) as other:
        assert other.get(POBalance, po.id).commitments == D("10")
        assert other.get(Document, order.id).status == "posted"


def test_voiding_a_line_on_a_master_line_takes_its_commitment_off_that_line(world):
    s = world["session"]
    po, lines = _master(s, world["debtor"])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    order = draft(world, "Sales Order", [line(world, "150", job), line(world, "80", job, code="OT")])
    assert post(world, order).posted
    assert posting.void_lines(s, world["user"], order.id, [order.lines[0].id]) == D("150")
    s.expire_all()
    assert (s.get(POLineBalance, lines[0].id).commitments, s.get(POLineBalance, lines[1].id).commitments,
            s.get(POBalance, po.id).commitments) == (D("0"), D("80"), D("80"))


def test_cancelling_a_contracts_delivery_records_the_user_in_every_history_entry(dell):
    """Voiding the order's line in the middle of the cancellation keeps the user as the author of what follows."""
    w = dell
    contract = enter(w, "12000.00", "6000.00").contract
    delivery = w["s"].scalar(select(Delivery).where(Delivery.amount == D("6000.00")))
    before = w["s"].scalar(select(func.max(AuditEntry.id)))
    contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [delivery.id], today=date(2026, 3, 5))
    entries = w["s"].scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    assert entries and {e.actor_id for e in entries} == {w["lc"].id}


def test_the_ledger_rows_of_voided_lines_say_void_and_name_the_user(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "V1", amount="1000")
    order = _order(world, po, "25", "10")
    posting.void_lines(s, world["user"], order.id, [order.lines[0].id])
    rows = s.scalars(select(LedgerEntry).where(LedgerEntry.document_line_id == order.lines[0].id)
                     .order_by(LedgerEntry.id)).all()
    assert [(r.event, r.actor_id, r.bucket, r.amount) for r in rows] == [
        ("post", world["user"].id, "commitment", D("25.00")), ("void", world["user"].id, "commitment", D("-25.00"))]


def test_voiding_lines_back_below_a_threshold_re_arms_it(world):
    """Voided back below a threshold, the threshold fires again at the next crossing."""
    s = world["session"]
    template = factories.threshold_template(s, "Lines", ["50"])
    po = factories.po(s, world["debtor"], "V4", amount="1000", alert_template_id=template.id)
    order = _order(world, po, "400", "200")
    [alert] = s.scalars(select(Alert).where(Alert.po_id == po.id)).all()
    assert not alert.armed
    posting.void_lines(s, world["user"], order.id, [order.lines[0].id])
    s.expire_all()
    assert s.get(Alert, alert.id).armed


def test_a_posting_that_moves_used_stores_the_pos_forecast_and_one_that_does_not_leaves_it(world):
    """The PO lists filter on the stored forecast ("runs out within"), so a posting moving Used refreshes it."""
    s = world["session"]
    ordered, invoiced = factories.po(s, world["debtor"], "O1"), factories.po(s, world["debtor"], "I1")
    _order(world, ordered, "25")
    assert post(world, draft(world, "Sales Invoice", [line(world, "40", po=invoiced)])).posted
    s.expire_all()
    assert s.get(POForecast, ordered.id) is None
    assert s.get(POForecast, invoiced.id).as_of == date.today()
