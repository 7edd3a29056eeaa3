"""A line may name only a PO eligible for its document's type (DESIGN "Resolution"), and a credit memo line
keeps the job and bill code of the invoice line it takes back (it "reverses against the original invoice
line"): found from outside, each test failed before its fix."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from portal.domain import budget
from portal.models import DocumentLine, POBillCodeTotal
from portal.services import documents, integrity, posting
from portal.services.documents import DocumentInput, LineInput
from portal.services.errors import ValidationFailed
from tests import factories
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _split(world):
    """Seed 001's split PO: one number, the sales types on one PO and the service types on the other."""
    s, types = world["session"], world["types"]
    sales = factories.po(s, world["debtor"], "SPLIT", amount="4000",
                         types=[types[t] for t in ("Estimate", "Sales Order", "Sales Invoice", "Credit Memo")])
    service = factories.po(s, world["debtor"], "SPLIT", amount="2500",
                           types=[types[t] for t in ("Repair Order", "Service Invoice")])
    return sales, service


def test_a_line_may_not_name_a_po_not_eligible_for_its_type(world):
    s = world["session"]
    sales, service = _split(world)
    with pytest.raises(ValidationFailed) as refused:
        draft(world, "Service Invoice", [line(world, "100", po=sales)])
    assert refused.value.errors["lines"] == [
        "Line 1: PO SPLIT is not eligible for Service Invoice: choose a PO eligible for this document type."]
    assert post(world, draft(world, "Service Invoice", [line(world, "100", po=service)])).posted
    assert balance(s, sales) == (D("0"), D("0"), D("0")) and balance(s, service) == (D("100"), D("0"), D("0"))


def test_posting_refuses_a_named_po_no_longer_eligible_even_with_an_override(world):
    """A draft saved while its PO was eligible (or edited outside the form) is refused outright on posting;
    a PO found for the job's assignment with no eligible twin still only warns."""
    s = world["session"]
    sales, service = _split(world)
    doc = draft(world, "Sales Invoice", [line(world, "100", po=sales)])
    s.execute(update(DocumentLine).where(DocumentLine.document_id == doc.id).values(po_id=service.id))
    s.commit()
    result = posting.post(s, world["user"], doc.id, confirmed=True, override=True)
    assert result.refused and not result.posted
    assert budget.Warning("not_eligible", "Line 1: PO SPLIT is not eligible for Sales Invoice: choose a PO eligible "
                                          "for this document type.", True, True) in result.check.warnings
    assert balance(s, service) == (D("0"), D("0"), D("0"))
    job = factories.job(s, world["debtor"])
    only_sales = factories.po(s, world["debtor"], "ONLY", types=[world["types"]["Sales Invoice"]])
    factories.assignment(s, job, po=only_sales, start=doc.doc_date)
    found = posting.post(s, world["user"], draft(world, "Service Invoice", [line(world, "40", job)]).id)
    assert found.needs_confirmation and [w.code for w in found.check.warnings] == ["not_eligible"]
    assert not found.check.forbidden


def test_a_credit_memo_line_keeps_its_invoice_lines_bill_code_and_job(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "BC1", amount="1000")
    job, other_job = factories.job(s, world["debtor"]), factories.job(s, world["debtor"])
    invoice = draft(world, "Sales Invoice", [line(world, "100", job, po=po), line(world, "50", job, code="OT", po=po)])
    assert post(world, invoice).posted
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("1"), invoice.lines[1].id: D("0")})
    [kept] = credit.lines
    for job_id, code in ((job.id, "OT"), (other_job.id, "ORD")):
        edited = DocumentInput(debtor_id=world["debtor"].id, document_type_id=world["types"]["Credit Memo"].id,
                               number=credit.number, doc_date=credit.doc_date, lines=(LineInput(
                                   job_id, world[code].id, D("1"), D("100"), source_line_id=kept.source_line_id),))
        with pytest.raises(ValidationFailed) as refused:
            documents.save_draft(s, world["user"], credit.id, edited)
        assert refused.value.errors["lines"] == [
            f"Line 1: a credit memo line keeps the job and bill code of {invoice.number} line 1 (ORD), the line it "
            "takes back."]
        s.rollback()
    # edited outside the form: posting refuses it outright
    s.execute(update(DocumentLine).where(DocumentLine.id == kept.id).values(bill_code_id=world["OT"].id))
    s.commit()
    result = posting.post(s, world["user"], credit.id, confirmed=True, override=True)
    assert result.refused and budget.Warning(
        "credit_line", "Line 1: a credit memo line keeps the job and bill code of the invoice line it takes back "
                       "(line 1).", True, True) in result.check.warnings
    s.execute(update(DocumentLine).where(DocumentLine.id == kept.id).values(bill_code_id=world["ORD"].id))
    s.commit()
    assert post(world, credit).posted
    totals = dict(s.execute(select(POBillCodeTotal.bill_code_id, POBillCodeTotal.used)
                            .where(POBillCodeTotal.po_id == po.id)).all())
    assert totals == {world["ORD"].id: D("0"), world["OT"].id: D("50")}
    assert balance(s, po) == (D("50"), D("0"), D("0")) and integrity.check(s) == []
