"""Two people scheduling against one PO at once never leave the opportunity or the notes wrong."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.contracts import Delivery as DeliveryInput
from portal.extensions import db
from portal.models import BillCode, ContractNote, Opportunity, User, debtor_relationship_leads
from portal.services import contracts, integrity
from tests import factories

DAY = date(2026, 3, 2)


def _world(s, policy, amount):
    lead = factories.user(s, role_name="Relationship Lead")
    lc = factories.user(s, role_name="Consultant")
    debtor = factories.debtor(s, over_budget_policy=policy)
    po = factories.po(s, debtor, "RACE", amount=amount, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    code = BillCode(code="TRN")
    s.add(code)
    s.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    s.commit()
    result = contracts.enter_contract(s, lc, contracts.ContractInput(
        debtor.id, po.id, "Race", None, None, (DeliveryInput(code.id, DAY, "First", D("1"), D("1000")),)),
        today=DAY, confirmed=True)
    return {"lead": lead.id, "lc": lc.id, "po": po, "code": code.id, "contract": result.contract.id}


def _race(app, w, amounts_per_thread):
    outcomes, lock = [], threading.Lock()
    barrier = threading.Barrier(len(amounts_per_thread))

    def worker(user_id, amounts):
        with app.app_context():
            with Session(db.engine) as session:
                user = session.get(User, user_id)
                barrier.wait()
                for amount in amounts:
                    result = contracts.schedule_more(
                        session, user, w["contract"], (DeliveryInput(w["code"], DAY, "Class", D("1"), D(amount)),),
                        today=DAY, confirmed=True)
                    with lock:
                        outcomes.append("posted" if result.contract else "refused")

    threads = [threading.Thread(target=worker, args=(uid, amounts))
               for uid, amounts in zip([w["lead"], w["lc"]], amounts_per_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _notes(s, contract_id):
    s.expire_all()
    return [n.text for n in s.scalars(select(ContractNote).where(ContractNote.contract_id == contract_id)
                                      .order_by(ContractNote.id))]


def test_two_users_scheduling_at_once(app, db_session):
    w = _world(db_session, "warn", "150000.00")
    outcomes = _race(app, w, [["1000"] * 15, ["2000"] * 15])
    assert outcomes.count("posted") == 30
    figs = contracts.figures(db_session, w["po"])
    assert figs.unscheduled == D("150000") - D("1000") - 15 * D("1000") - 15 * D("2000")
    assert contracts.scheduled_total(db_session, w["contract"]) == figs.commitments
    # each dated note carries the balance after its own scheduling: strictly falling, none repeated
    balances = [D(t.rsplit(" ", 1)[1].replace(",", "")) for t in _notes(db_session, w["contract"])[1:]]
    assert len(balances) == 30 and balances == sorted(balances, reverse=True) and len(set(balances)) == 30
    assert balances[-1] == figs.unscheduled
    assert integrity.check(db_session) == [] and contracts.integrity_problems(db_session) == []


def test_racing_for_the_last_of_a_blocked_po(app, db_session):
    w = _world(db_session, "block", "6000.00")
    outcomes = _race(app, w, [["3000"], ["3000"]])
    assert sorted(outcomes) == ["posted", "refused"]
    db_session.expire_all()
    assert contracts.figures(db_session, w["po"]).unscheduled == D("2000.00")
    assert db_session.scalar(select(Opportunity.status)) == "open"


@pytest.mark.parametrize("run", range(2))
def test_racing_to_zero_wins_exactly_once(app, db_session, run):
    w = _world(db_session, "warn", "3000.00")
    outcomes = _race(app, w, [["1000"], ["1000"]])
    assert outcomes == ["posted", "posted"]
    db_session.expire_all()
    assert db_session.scalar(select(Opportunity.status)) == "won"
    notes = _notes(db_session, w["contract"])
    assert sum("opportunity won" in n for n in notes) == 1
    assert notes[-2].endswith("PO balance remaining 0.00")


def test_a_contract_entered_meanwhile_on_the_same_po_is_a_form_message_not_an_error(db_session, monkeypatch):
    """Two "Enter contract" submits on one PO (a double click): the second found no contract before it locked the PO,
    and its insert failed on the PO's unique contract (a 500). It asks again under the lock: the form's message."""
    from portal.services.errors import ValidationFailed

    w = _world(db_session, "warn", "150000.00")  # the first contract is on the PO
    asked = []  # before it locked the PO, the second submit found nothing yet; under the lock, what is there
    real = contracts._po_taken
    monkeypatch.setattr(contracts, "_po_taken", lambda s, po_id: real(s, po_id) if asked.append(po_id) or
                        len(asked) > 1 else [])
    lc = db_session.get(User, w["lc"])
    with pytest.raises(ValidationFailed) as refused:
        contracts.enter_contract(db_session, lc, contracts.ContractInput(
            w["po"].debtor_id, w["po"].id, "Again", None, None, (DeliveryInput(w["code"], DAY, "First", D("1"),
                                                                               D("500")),)), today=DAY, confirmed=True)
    assert refused.value.errors == {"po_id": ["This PO already has a contract: schedule more on it instead.",
                                              "This PO already has an open opportunity."]}
    assert len(asked) == 2
    assert integrity.check(db_session) == [] and contracts.integrity_problems(db_session) == []
