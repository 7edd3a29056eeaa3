"""Contracts and opportunities (seed 000) through the services, on PostgreSQL: the ledger link."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.domain.contracts import Delivery as DeliveryInput
from portal.domain.purchase_orders import POInput
from portal.models import (BillCode, Contract, ContractNote, Delivery, Document, DocumentLine, LedgerEntry,
                           Opportunity, POBalance, debtor_relationship_leads)
from portal.services import contracts, documents, integrity, opportunities, posting, purchase_orders
from portal.services.errors import Conflict, NotFound, ValidationFailed
from tests import factories

DAY = date(2026, 2, 10)


@pytest.fixture
def dell(db_session):
    lead = factories.user(db_session, "lee", role_name="Relationship Lead")
    lc = factories.user(db_session, "connie", role_name="Consultant")
    admin = factories.user(db_session, "bill", role_name="Billing Admin")
    debtor = factories.debtor(db_session, "DELL")
    po = factories.po(db_session, debtor, "4500123", amount="150000.00", effective=date(2026, 1, 1),
                      expiration=date(2026, 12, 31), created_by=admin)
    code = BillCode(code="TRN", description="Training")
    db_session.add(code)
    db_session.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    db_session.commit()
    return {"lead": lead, "lc": lc, "admin": admin, "debtor": debtor, "po": po, "code": code, "s": db_session}


def deliveries(w, *amounts, day=date(2026, 3, 10)):
    return tuple(DeliveryInput(w["code"].id, day, f"Class {n}", D("1"), D(a)) for n, a in enumerate(amounts, start=1))


def enter(w, *amounts, user=None, **kw):
    data = contracts.ContractInput(debtor_id=w["debtor"].id, po_id=w["po"].id, title="Data centre course",
                                   owner_id=kw.pop("owner_id", None), job_id=kw.pop("job_id", None),
                                   deliveries=deliveries(w, *amounts, **kw))
    return contracts.enter_contract(w["s"], user or w["lc"], data, today=DAY, confirmed=True)


def opp_amount(w):
    w["s"].expire_all()
    return contracts.figures(w["s"], w["po"]).unscheduled


def notes(w, contract_id):
    return [n.text for n in contracts.notes_of(w["s"], contract_id)]


def opportunity(w):
    w["s"].expire_all()
    return w["s"].scalar(select(Opportunity).where(Opportunity.po_id == w["po"].id))


def test_the_dell_story_moves_value_between_contract_and_opportunity(dell):
    w = dell
    result = enter(w, "12000.00", "6000.00")
    contract = result.contract
    assert result.amount == D("18000.00")
    assert w["s"].get(POBalance, w["po"].id).commitments == D("18000.00")
    assert opp_amount(w) == D("132000.00")
    assert notes(w, contract.id) == ["PO 4500123: PO amount 150,000.00; scheduled 18,000.00; balance 132,000.00"]
    opp = opportunity(w)
    assert (opp.status, opp.owner_id, opp.contract_id) == ("open", w["lead"].id, contract.id)
    order = w["s"].scalar(select(Document).join(Document.lines).where(
        Document.lines.any(id=w["s"].scalar(select(Delivery.document_line_id).limit(1)))))
    assert order.document_type.name == "Sales Order" and order.status == "posted"
    assert all(l.po_id == w["po"].id for l in order.lines)

    contracts.schedule_more(w["s"], w["lead"], contract.id, deliveries(w, "12000.00"), today=date(2026, 3, 2),
                            confirmed=True)
    assert opp_amount(w) == D("120000.00")
    assert notes(w, contract.id)[-1] == "2026-03-02: classes added 12,000.00; PO balance remaining 120,000.00"
    assert contracts.scheduled_total(w["s"], contract.id) == D("30000.00")

    two_k = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "2000.00"), today=date(2026, 3, 3),
                                    confirmed=True)
    assert opp_amount(w) == D("118000.00")
    delivery = w["s"].scalar(select(Delivery).where(Delivery.amount == D("2000.00")))
    given = contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [delivery.id], today=date(2026, 3, 5))
    assert given == D("2000.00") and two_k.amount == D("2000.00")
    assert opp_amount(w) == D("120000.00")
    assert notes(w, contract.id)[-1] == "2026-03-05: classes cancelled 2,000.00; PO balance remaining 120,000.00"
    assert contracts.scheduled_total(w["s"], contract.id) == D("30000.00")
    assert opportunity(w).status == "open"

    contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "100000.00", "20000.00"),
                            today=date(2026, 4, 1), confirmed=True)
    assert opp_amount(w) == 0
    opp = opportunity(w)
    assert opp.status == "won"
    assert notes(w, contract.id)[-2:] == [
        "2026-04-01: classes added 120,000.00; PO balance remaining 0.00",
        "2026-04-01: opportunity won: the PO balance is fully scheduled"]
    assert integrity.check(w["s"]) == [] and contracts.integrity_problems(w["s"]) == []


def test_invoicing_from_the_contracts_order_leaves_the_opportunity_unchanged(dell):
    w = dell
    contract = enter(w, "12000.00", "6000.00").contract
    order_id = w["s"].scalar(select(Document.id).where(Document.status == "posted"))
    invoice = documents.derive(w["s"], w["admin"], order_id, factories.document_types(w["s"])["Sales Invoice"].id,
                               doc_date=date(2026, 3, 31))
    assert posting.post(w["s"], w["admin"], invoice.id, confirmed=True, today=date(2026, 3, 31)).posted
    balance = w["s"].get(POBalance, w["po"].id)
    w["s"].refresh(balance)
    assert (balance.used, balance.commitments) == (D("18000.00"), D("0.00"))
    assert opp_amount(w) == D("132000.00")
    assert opportunity(w).status == "open"
    assert contracts.integrity_problems(w["s"]) == []
    # an invoiced delivery is credited, not cancelled
    first = w["s"].scalar(select(Delivery).order_by(Delivery.id).limit(1))
    with pytest.raises(ValidationFailed, match="invoiced"):
        contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [first.id], today=date(2026, 4, 1))
    assert opp_amount(w) == D("132000.00")


def test_bad_input_writes_nothing(dell):
    w = dell
    for amounts in (("0",), ("-100",)):
        with pytest.raises(ValidationFailed, match="more than zero"):
            enter(w, *amounts)
    other = factories.debtor(w["s"], "ACME")
    data = contracts.ContractInput(debtor_id=other.id, po_id=w["po"].id, title="x", owner_id=None, job_id=None,
                                   deliveries=deliveries(w, "100"))
    with pytest.raises(ValidationFailed, match="not one of this debtor"):
        contracts.enter_contract(w["s"], w["lc"], data, today=DAY, confirmed=True)
    foreign_job = factories.job(w["s"], other)
    with pytest.raises(ValidationFailed, match="job orders"):
        enter(w, "100", job_id=foreign_job.id)
    assert w["s"].scalar(select(func.count()).select_from(Contract)) == 0
    assert w["s"].scalar(select(func.count()).select_from(Document)) == 0
    assert w["s"].scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_a_second_contract_or_open_opportunity_on_one_po_is_refused(dell):
    w = dell
    enter(w, "18000")
    with pytest.raises(ValidationFailed, match="already has a contract"):
        enter(w, "100")
    # the database holds it too: a second open opportunity on the PO
    opp = opportunity(w)
    w["s"].add(Opportunity(po_id=w["po"].id, contract_id=opp.contract_id, owner_id=w["lead"].id, status="open"))
    with pytest.raises(Exception, match="uq_opportunities_open_po"):
        w["s"].commit()
    w["s"].rollback()
    assert opp_amount(w) == D("132000.00")


def test_the_owner_is_the_debtors_lead_chosen_when_more_than_one(dell):
    w = dell
    second = factories.user(w["s"], "rita", role_name="Relationship Lead")
    w["s"].execute(debtor_relationship_leads.insert().values(debtor_id=w["debtor"].id, user_id=second.id))
    w["s"].commit()
    with pytest.raises(ValidationFailed, match="Choose which"):
        enter(w, "100")
    with pytest.raises(ValidationFailed, match="Choose which"):
        enter(w, "100", owner_id=w["lc"].id)  # not one of the debtor's leads
    enter(w, "100", owner_id=second.id)
    assert opportunity(w).owner_id == second.id


def test_no_lead_on_the_debtor_is_a_clear_message(dell):
    w = dell
    w["s"].execute(debtor_relationship_leads.delete())
    w["s"].commit()
    with pytest.raises(ValidationFailed, match="no relationship lead"):
        enter(w, "100")


def test_warn_and_block_policies_apply_exactly_as_posting(dell):
    w = dell
    contract = enter(w, "18000").contract
    result = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "140000"), today=DAY)
    assert result.needs_confirmation and any(x.code == "over_po" for x in result.posting.check.warnings)
    assert opp_amount(w) == D("132000.00") and len(notes(w, contract.id)) == 1
    outside = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "100", day=date(2027, 2, 1)),
                                      today=DAY)
    assert outside.needs_confirmation and [x.code for x in outside.posting.check.warnings] == ["outside_dates"]
    assert contracts.scheduled_total(w["s"], contract.id) == D("18000.00")
    w["debtor"].over_budget_policy = "block"
    w["s"].commit()
    refused = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "140000"), today=DAY, confirmed=True)
    assert refused.refused and refused.contract is None
    assert opp_amount(w) == D("132000.00")
    overridden = contracts.schedule_more(w["s"], w["admin"], contract.id, deliveries(w, "140000"), today=DAY,
                                         confirmed=True, override=True)
    assert overridden.contract is not None and opp_amount(w) == D("-8000.00")
    assert opportunity(w).status == "won"


def test_po_amount_change_writes_a_note_and_the_opportunity_follows(dell):
    w = dell
    contract = enter(w, "18000").contract
    po = w["po"]

    def edit(amount, expiration=date(2026, 12, 31)):
        data = purchase_orders.snapshot(w["s"].get(type(po), po.id))
        data = POInput(**{**data.__dict__, "amount": D(amount), "expiration": expiration})
        purchase_orders.update_po(w["s"], po.id, data, actor=w["admin"])

    edit("160000.00")
    assert notes(w, contract.id)[-1] == "PO amount changed 150,000.00 → 160,000.00; balance 142,000.00"
    assert opp_amount(w) == D("142000.00")
    edit("18000.00")
    assert opportunity(w).status == "won"
    edit("20000.00")
    assert opportunity(w).status == "open"
    assert notes(w, contract.id)[-1].endswith("opportunity reopened")


def test_lost_reopened_and_expired(dell):
    w = dell
    enter(w, "18000")
    opp = opportunity(w)
    other_lead = factories.user(w["s"], "otto", role_name="Relationship Lead")
    with pytest.raises(Exception, match="owner"):
        opportunities.lose(w["s"], other_lead, opp.id, "no budget", today=DAY)
    with pytest.raises(ValidationFailed, match="why"):
        opportunities.lose(w["s"], w["lead"], opp.id, "  ", today=DAY)
    opportunities.lose(w["s"], w["lead"], opp.id, "Client froze training budgets", today=DAY)
    assert opportunity(w).status == "lost" and opportunity(w).lost_reason == "Client froze training budgets"
    assert opportunities.scan(w["s"], DAY) == []  # lost stays lost
    opportunities.reopen(w["s"], w["lead"], opp.id, today=DAY)
    assert opportunity(w).status == "open"
    assert opportunities.scan(w["s"], date(2027, 1, 1)) == ["Opportunity on PO 4500123: open → expired"]
    assert opportunity(w).status == "expired"
    with pytest.raises(ValidationFailed, match="expired"):
        opportunities.reopen(w["s"], w["lead"], opp.id, today=date(2027, 1, 2))
    history = w["s"].execute(text("SELECT count(*) FROM audit_entries WHERE entity_type = 'opportunities' "
                                  "AND entity_id = :id"), {"id": opp.id}).scalar()
    assert history >= 4  # created, lost, reopened, expired


def test_notes_are_append_only(dell):
    w = dell
    contract = enter(w, "18000").contract
    contracts.add_note(w["s"], w["lc"], contract.id, "Client confirmed the March dates")
    assert notes(w, contract.id)[-1] == "Client confirmed the March dates"
    for sql in ("UPDATE contract_notes SET text = 'rewritten'", "DELETE FROM contract_notes"):
        with pytest.raises(DBAPIError, match="append-only"):
            w["s"].execute(text(sql))
        w["s"].rollback()
    assert len(notes(w, contract.id)) == 2
    with pytest.raises(ValidationFailed):
        contracts.add_note(w["s"], w["lc"], contract.id, "   ")


def test_branch_security_applies_to_contracts_on_jobs(dell):
    w = dell
    north, south = factories.branch(w["s"], "NTH"), factories.branch(w["s"], "STH")
    job = factories.job(w["s"], w["debtor"], north)
    contract = enter(w, "18000", job_id=job.id).contract
    southerner = factories.user(w["s"], "sam", role_name="Consultant", branches=[south])
    with pytest.raises(NotFound):
        contracts.get_contract(w["s"], southerner, contract.id)
    with pytest.raises(NotFound):
        contracts.schedule_more(w["s"], southerner, contract.id, deliveries(w, "100"), today=DAY, confirmed=True)
    page, _ = opportunities.pipeline(w["s"], southerner, opportunities.PipelineFilter())
    assert page.items == []
    assert contracts.integrity_problems(w["s"]) == []


def test_integrity_check_catches_a_contract_out_of_step_with_the_ledger(dell):
    w = dell
    contract = enter(w, "18000").contract
    w["s"].execute(text("UPDATE contract_deliveries SET amount = amount + 1"))
    w["s"].commit()
    assert contracts.integrity_problems(w["s"]) == [f"contract {contract.number}: scheduled 18001.00 ≠ ledger 18000.00"]
    assert ContractNote


def test_a_contracts_order_is_not_voided_from_documents_and_an_invoice_from_it_skips_cancelled_deliveries(dell):
    """Voiding the whole order outside the contract left its deliveries 'scheduled'; an invoice made
    from the order offered a cancelled delivery at its full quantity."""
    from portal.services.errors import Conflict

    w = dell
    contract = enter(w, "12000.00", "6000.00").contract
    order_id = w["s"].scalar(select(Document.id).join(Document.lines).where(
        Document.lines.any(id=w["s"].scalar(select(Delivery.document_line_id).order_by(Delivery.id).limit(1)))))
    with pytest.raises(Conflict, match=f"contract {contract.number}"):
        posting.void(w["s"], w["admin"], order_id)
    assert w["s"].get(POBalance, w["po"].id).commitments == D("18000.00")
    second = w["s"].scalars(select(Delivery).order_by(Delivery.id)).all()[1]
    contracts.cancel_deliveries(w["s"], w["lead"], contract.id, [second.id], today=date(2026, 3, 3))
    invoice_type = factories.document_types(w["s"])["Sales Invoice"]
    draft = documents.derive(w["s"], w["admin"], order_id, invoice_type.id)
    assert [(l.quantity, l.amount) for l in draft.lines] == [(D("1"), D("12000.00"))]
    assert posting.post(w["s"], w["admin"], draft.id, confirmed=True).posted
    w["s"].expire_all()
    # all of it invoiced or cancelled: nothing is left to carry
    with pytest.raises(ValidationFailed):
        documents.derive(w["s"], w["admin"], order_id, invoice_type.id)
    assert w["s"].get(POBalance, w["po"].id).commitments == D("0.00")
    assert w["s"].get(POBalance, w["po"].id).used == D("12000.00")


def _balanced(w, contract):
    """Seed 000 on a PO with only the contract's documents: Scheduled + the opportunity == the PO's amount."""
    scheduled = contracts.scheduled_total(w["s"], contract.id)
    assert scheduled + opp_amount(w) == D("150000.00")
    assert contracts.integrity_problems(w["s"]) == [] and integrity.check(w["s"]) == []
    return scheduled


def _invoice(w, order_id, quantities, day):
    draft = documents.derive(w["s"], w["admin"], order_id, factories.document_types(w["s"])["Sales Invoice"].id,
                             quantities=quantities, doc_date=day)
    assert posting.post(w["s"], w["admin"], draft.id, confirmed=True, today=day).posted
    return draft


def _credit(w, invoice, day, quantities=None):
    draft = documents.derive(w["s"], w["admin"], invoice.id, factories.document_types(w["s"])["Credit Memo"].id,
                             quantities=quantities, doc_date=day)
    assert posting.post(w["s"], w["admin"], draft.id, confirmed=True, today=day).posted
    return draft


def _state(w, delivery):
    w["s"].expire_all()
    delivery = w["s"].get(Delivery, delivery.id)
    state = contracts.invoicing(w["s"], [delivery.document_line_id])
    return state.state(delivery), state.may_cancel(delivery)


def test_a_delivery_whose_invoice_is_credited_leaves_the_schedule_and_can_then_be_cancelled(dell):
    """Found from outside: a delivery invoiced from the contract's order and credited in full still read
    'invoiced', could not be cancelled, and still counted as scheduled, while the opportunity had the credit
    back: Scheduled + opportunity came to more than the PO."""
    w = dell
    data = contracts.ContractInput(w["debtor"].id, w["po"].id, "Data centre course", None, None, (
        DeliveryInput(w["code"].id, date(2026, 3, 10), "Five days", D("5"), D("1000.00")),
        DeliveryInput(w["code"].id, date(2026, 3, 20), "Workshop", D("1"), D("6000.00"))))
    contract = contracts.enter_contract(w["s"], w["lc"], data, today=DAY, confirmed=True).contract
    five, workshop = w["s"].scalars(select(Delivery).order_by(Delivery.id)).all()
    order_id = w["s"].scalar(select(DocumentLine.document_id).where(DocumentLine.id == five.document_line_id))
    assert _balanced(w, contract) == D("11000.00")

    invoice = _invoice(w, order_id, {five.document_line_id: D("5"), workshop.document_line_id: D("0")},
                       date(2026, 3, 31))
    assert _balanced(w, contract) == D("11000.00") and opp_amount(w) == D("139000.00")
    assert _state(w, five) == ("invoiced", False)

    _credit(w, invoice, date(2026, 4, 1), {invoice.lines[0].id: D("2")})
    assert _balanced(w, contract) == D("9000.00") and opp_amount(w) == D("141000.00")
    assert _state(w, five) == ("5 of 5 invoiced, 2,000.00 credited", False)
    assert notes(w, contract.id)[-1] == ("2026-04-01: invoiced classes credited 2,000.00; "
                                         "PO balance remaining 141,000.00")
    with pytest.raises(ValidationFailed) as refused:
        contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [five.id], today=date(2026, 4, 2))
    assert refused.value.errors == {"deliveries": [
        "2026-03-10 Five days has 3,000.00 invoiced and not credited: credit the rest of the invoice instead."]}

    _credit(w, invoice, date(2026, 4, 3), {invoice.lines[0].id: D("3")})  # the rest
    assert _balanced(w, contract) == D("6000.00") and opp_amount(w) == D("144000.00")
    assert contracts.scheduled_by_delivery(w["s"], [five, workshop]) == {five.id: 0, workshop.id: D("6000.00")}
    assert _state(w, five) == ("5 of 5 invoiced, credited in full", True)
    assert notes(w, contract.id)[-1] == ("2026-04-03: invoiced classes credited 3,000.00; "
                                         "PO balance remaining 144,000.00")

    assert contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [five.id], today=date(2026, 4, 4)) == 0
    assert _balanced(w, contract) == D("6000.00") and opp_amount(w) == D("144000.00")
    assert _state(w, five) == ("cancelled 2026-04-04 (5 of 5 invoiced, credited in full)", False)
    assert notes(w, contract.id)[-1] == ("2026-04-04: classes cancelled 0.00 (invoiced and credited before: "
                                         "5,000.00); PO balance remaining 144,000.00")
    # the cancelled delivery is not invoiced again from the order
    draft = documents.derive(w["s"], w["admin"], order_id, factories.document_types(w["s"])["Sales Invoice"].id,
                             quantities={five.document_line_id: D("5"), workshop.document_line_id: D("0")})
    assert posting.post(w["s"], w["admin"], draft.id, confirmed=True).refused
    contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "4000.00"), today=date(2026, 4, 5),
                            confirmed=True)
    assert _balanced(w, contract) == D("10000.00") and opp_amount(w) == D("140000.00")


def test_a_partly_invoiced_delivery_credited_and_cancelled_keeps_only_what_stays_invoiced(dell):
    """A partial invoice credited in part: the delivery keeps what is still committed and what stays invoiced;
    cancelled, it gives back what was committed and keeps the invoiced part until that is credited too."""
    w = dell
    data = contracts.ContractInput(w["debtor"].id, w["po"].id, "Data centre course", None, None, (
        DeliveryInput(w["code"].id, date(2026, 3, 10), "Five days", D("5"), D("1000.00")),))
    contract = contracts.enter_contract(w["s"], w["lc"], data, today=DAY, confirmed=True).contract
    five = w["s"].scalar(select(Delivery))
    order_id = w["s"].scalar(select(DocumentLine.document_id).where(DocumentLine.id == five.document_line_id))

    invoice = _invoice(w, order_id, {five.document_line_id: D("2")}, date(2026, 3, 31))
    assert _balanced(w, contract) == D("5000.00") and opp_amount(w) == D("145000.00")
    assert _state(w, five) == ("2 of 5 invoiced", True)

    _credit(w, invoice, date(2026, 4, 1), {invoice.lines[0].id: D("1")})
    assert _balanced(w, contract) == D("4000.00") and opp_amount(w) == D("146000.00")
    assert _state(w, five) == ("2 of 5 invoiced, 1,000.00 credited", True)

    given = contracts.cancel_deliveries(w["s"], w["lc"], contract.id, [five.id], today=date(2026, 4, 2))
    assert given == D("3000.00")
    assert _balanced(w, contract) == D("1000.00") and opp_amount(w) == D("149000.00")
    assert _state(w, five) == ("cancelled 2026-04-02 (2 of 5 invoiced, 1,000.00 credited)", False)
    assert notes(w, contract.id)[-1] == "2026-04-02: classes cancelled 3,000.00; PO balance remaining 149,000.00"

    _credit(w, invoice, date(2026, 4, 3), {invoice.lines[0].id: D("1")})  # the rest of the invoice
    assert _balanced(w, contract) == 0 and opp_amount(w) == D("150000.00")
    assert _state(w, five) == ("cancelled 2026-04-02 (2 of 5 invoiced, credited in full)", False)
    assert notes(w, contract.id)[-1] == ("2026-04-03: invoiced classes credited 1,000.00; "
                                         "PO balance remaining 150,000.00")


def test_cancelling_a_delivery_locks_its_order_before_the_po_as_posting_does(app, dell):
    """Posting an invoice made from the contract's order locks the order, then the PO; cancelling a delivery
    of that order took the PO first, then the order, and the two deadlocked (a 503 for one user). With the
    order's lock held, a cancel now waits for it holding nothing, so the PO is still free to lock."""
    import threading
    import time

    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from portal.extensions import db
    from portal.models import User

    w = dell
    contract = enter(w, "2000.00", "3000.00").contract
    order_id = w["s"].scalar(select(Document.id).where(Document.status == "posted"))
    first = w["s"].scalar(select(Delivery.id).order_by(Delivery.id).limit(1))
    contract_id, user_id, po_id = contract.id, w["lc"].id, w["po"].id
    w["s"].commit()
    outcome = {}

    def cancel():
        with app.app_context(), Session(db.engine) as session:
            outcome["given"] = contracts.cancel_deliveries(session, session.get(User, user_id), contract_id, [first],
                                                           today=DAY)

    with Session(db.engine) as holder:  # as posting an invoice of the order: the order's lock first
        holder.execute(text("SELECT id FROM documents WHERE id = :id FOR UPDATE"), {"id": order_id})
        pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        racer = threading.Thread(target=cancel)
        racer.start()
        deadline = time.monotonic() + 60
        with db.engine.connect() as watcher:
            while racer.is_alive() and time.monotonic() < deadline and not watcher.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                    {"pid": pid}).scalar_one():
                pass
        try:  # then the PO, as posting does next: free, since the cancel holds nothing yet
            holder.execute(text("SELECT id FROM purchase_orders WHERE id = :id FOR UPDATE NOWAIT"), {"id": po_id})
            took_po = True
        except OperationalError:
            took_po = False
        holder.rollback()
    racer.join(timeout=60)
    assert took_po and outcome == {"given": D("2000.00")}
    assert contracts.integrity_problems(w["s"]) == []


def test_the_same_schedule_more_form_sent_twice_schedules_once(dell):
    """A double click or a second tab: the form carries the contract's row version, so the second is refused."""
    w = dell
    contract = enter(w, "2000.00").contract
    version = contract.row_version
    more = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "700.00"), confirmed=True, today=DAY,
                                   expected_version=version)
    assert more.amount == D("700.00")
    with pytest.raises(Conflict, match="changed by someone else"):
        contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "700.00"), confirmed=True, today=DAY,
                                expected_version=version)
    assert w["s"].scalar(select(func.count()).select_from(Delivery)) == 2
    assert opp_amount(w) == D("147300.00")
    again = contracts.schedule_more(w["s"], w["lc"], contract.id, deliveries(w, "100.00"), confirmed=True, today=DAY,
                                    expected_version=w["s"].get(Contract, contract.id).row_version)
    assert again.amount == D("100.00")


def _one_class(w, quantity="1", rate="4000.00"):
    """A contract of one delivery (`quantity` × `rate`) and the id of the order line it posted."""
    data = contracts.ContractInput(w["debtor"].id, w["po"].id, "Data centre course", None, None, (
        DeliveryInput(w["code"].id, date(2026, 3, 10), "Workshop", D(quantity), D(rate)),))
    contract = contracts.enter_contract(w["s"], w["lc"], data, today=DAY, confirmed=True).contract
    return contract, w["s"].scalar(select(Delivery.document_line_id))


def test_an_invoice_billing_another_rate_than_its_order_says_so_in_the_contracts_notes(dell):
    """Found from outside: an invoice line made from the contract's order at another rate moved the opportunity by
    the difference (the order's commitment is released at its rate) and no note said why."""
    w = dell
    contract, order_line_id = _one_class(w, "2", "1000.00")
    order = w["s"].get(DocumentLine, order_line_id).document
    draft = documents.derive(w["s"], w["admin"], order.id, factories.document_types(w["s"])["Sales Invoice"].id,
                             doc_date=date(2026, 3, 31))
    draft.lines[0].rate, draft.lines[0].amount = D("5000"), D("10000.00")
    w["s"].commit()
    assert posting.post(w["s"], w["admin"], draft.id, confirmed=True, today=date(2026, 3, 31)).posted
    assert opp_amount(w) == D("140000.00")
    assert notes(w, contract.id)[-1] == (
        f"2026-03-31: invoiced classes drew 8,000.00 more than was scheduled ({draft.number} billed 5,000.00 where "
        f"{order.number} line 1 ordered 1,000.00); PO balance remaining 140,000.00")
    assert len(notes(w, contract.id)) == 2 and contracts.integrity_problems(w["s"]) == []


def test_a_second_invoice_of_the_whole_order_says_so_in_the_contracts_notes(dell):
    """Found from outside: two invoices of the whole order, both posted (the second after its over_ordered warning),
    the second released nothing and took its whole amount off the opportunity without a note."""
    w = dell
    contract, order_line_id = _one_class(w)
    order = w["s"].get(DocumentLine, order_line_id).document
    invoice_type = factories.document_types(w["s"])["Sales Invoice"].id
    drafts = [documents.derive(w["s"], w["admin"], order.id, invoice_type, doc_date=date(2026, 3, 31)) for _ in "12"]
    assert posting.post(w["s"], w["admin"], drafts[0].id, confirmed=True, today=date(2026, 3, 31)).posted
    before = notes(w, contract.id)
    assert opp_amount(w) == D("146000.00") and len(before) == 1  # invoiced as ordered: nothing moved, no note
    asked = posting.post(w["s"], w["admin"], drafts[1].id, today=date(2026, 4, 2))
    assert "over_ordered" in [x.code for x in asked.check.warnings]
    assert posting.post(w["s"], w["admin"], drafts[1].id, confirmed=True, today=date(2026, 4, 2), seen=asked.seen).posted
    assert opp_amount(w) == D("142000.00")
    assert notes(w, contract.id)[1:] == [
        f"2026-04-02: invoiced classes drew 4,000.00 more than was scheduled ({drafts[1].number} invoiced 2 of "
        f"{order.number} line 1, which ordered 1); PO balance remaining 142,000.00"]


def test_reassigning_a_contracts_invoice_line_off_its_po_and_back_writes_dated_notes(dell):
    """Found from outside: the invoice's reassign action moved a contract's invoiced classes to another PO (the
    opportunity grew by them) and back (it shrank again) without a note on the contract."""
    w = dell
    contract, order_line_id = _one_class(w)
    other = factories.po(w["s"], w["debtor"], "4500999", amount="9000.00", effective=date(2026, 1, 1),
                         expiration=date(2026, 12, 31))
    order_id = w["s"].get(DocumentLine, order_line_id).document_id
    invoice = _invoice(w, order_id, None, date(2026, 3, 31))
    line_id = invoice.lines[0].id
    assert posting.reassign(w["s"], w["admin"], invoice.id, [line_id], other.id, None, reason="wrong PO",
                            confirmed=True, today=date(2026, 4, 1)).moved == 1
    assert opp_amount(w) == D("150000.00")
    assert notes(w, contract.id)[-1] == (f"2026-04-01: {invoice.number} line 1 reassigned: 4,000.00 invoiced moved "
                                         "off this PO to PO 4500999; PO balance remaining 150,000.00")
    assert posting.reassign(w["s"], w["admin"], invoice.id, [line_id], w["po"].id, None, reason="right PO after all",
                            confirmed=True, today=date(2026, 4, 2)).moved == 1
    assert opp_amount(w) == D("146000.00")
    assert notes(w, contract.id)[-1] == (f"2026-04-02: {invoice.number} line 1 reassigned: 4,000.00 invoiced moved "
                                         "onto this PO; PO balance remaining 146,000.00")
    assert len(notes(w, contract.id)) == 3
    assert contracts.integrity_problems(w["s"]) == [] and integrity.check(w["s"]) == []
