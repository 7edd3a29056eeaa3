"""An opportunity is computed (PO Amount − Used − Commitments) and won at zero (DESIGN, seed 000): an invoice
that takes the balance to zero wins it at once, and a credit that gives value back reopens it, in the posting's
transaction (found from outside: both waited for the nightly scan)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from portal.domain.contracts import Delivery as DeliveryInput
from portal.models import BillCode, Opportunity, debtor_relationship_leads
from portal.services import contracts, documents, integrity, posting
from tests import factories

DAY = date(2026, 3, 2)


def _contract_po(s, number: str, year: int):
    """A billing admin, a debtor with a relationship lead, its 1,000.00 PO running through `year`, and TRN."""
    lead, billing = factories.user(s, role_name="Relationship Lead"), factories.user(s, role_name="Billing Admin")
    debtor = factories.debtor(s)
    po = factories.po(s, debtor, number, amount="1000.00", effective=date(year, 1, 1), expiration=date(year, 12, 31))
    code = BillCode(code="TRN")
    s.add(code)
    s.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    s.commit()
    return billing, debtor, po, code


def test_an_invoice_to_zero_wins_the_opportunity_and_its_credit_reopens_it(db_session):
    s = db_session
    billing, debtor, po, code = _contract_po(s, "PRB-3", 2026)
    contracts.enter_contract(s, billing, contracts.ContractInput(debtor.id, po.id, "Zero test", None, None, (
        DeliveryInput(code.id, DAY, "Class", D("1"), D("400")),)), today=DAY, confirmed=True)
    invoice_type = factories.document_types(s)["Sales Invoice"]

    def status():
        s.expire_all()
        return s.scalars(select(Opportunity.status).where(Opportunity.po_id == po.id)).one()

    assert status() == "open"
    invoice = documents.save_draft(s, billing, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice_type.id, number="", doc_date=DAY,
        lines=(documents.LineInput(None, code.id, D("1"), D("600"), explicit_po_id=po.id),)))
    assert posting.post(s, billing, invoice.id, confirmed=True, today=DAY).posted
    assert status() == "won"
    credit = documents.derive(s, billing, invoice.id, factories.document_types(s)["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.5")})
    assert posting.post(s, billing, credit.id, confirmed=True, today=DAY).posted
    assert status() == "open"
    assert contracts.figures(s, po).unscheduled == D("300.00")
    assert integrity.check(s) == [] and contracts.integrity_problems(s) == []


def test_nothing_is_scheduled_on_an_expired_po(db_session):
    """Found from outside: a contract was entered, and classes scheduled, on an expired PO without a word (its
    opportunity born expired). The rule was in the code (po_current) and unused."""
    import pytest

    from portal.services.errors import ValidationFailed

    s = db_session
    billing, debtor, po, code = _contract_po(s, "4400999", 2025)
    data = contracts.ContractInput(debtor.id, po.id, "Old course", None, None,
                                   (DeliveryInput(code.id, date(2025, 6, 1), "Class", D("1"), D("100")),))
    with pytest.raises(ValidationFailed) as refused:
        contracts.enter_contract(s, billing, data, today=date(2026, 1, 5), confirmed=True)
    assert refused.value.errors == {"po_id": ["PO 4400999 expired on 2025-12-31: nothing more can be scheduled "
                                              "against it."]}
    made = contracts.enter_contract(s, billing, data, today=date(2025, 6, 1), confirmed=True).contract
    with pytest.raises(ValidationFailed) as later:
        contracts.schedule_more(s, billing, made.id, data.deliveries, today=date(2026, 1, 5), confirmed=True)
    assert later.value.errors == {"deliveries": refused.value.errors["po_id"]}
    assert contracts.scheduled_total(s, made.id) == D("100.00")
