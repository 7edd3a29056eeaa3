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


def test_an_invoice_to_zero_wins_the_opportunity_and_its_credit_reopens_it(db_session):
    s = db_session
    lead, billing = factories.user(s, role_name="Relationship Lead"), factories.user(s, role_name="Billing Admin")
    debtor = factories.debtor(s, "DELL")
    po = factories.po(s, debtor, "PRB-3", amount="1000.00", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    code = BillCode(code="TRN")
    s.add(code)
    s.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    s.commit()
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
