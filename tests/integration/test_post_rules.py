"""Posting a draft as its callers see it: the result's flags, the document, the ledger rows, the history,
and that a refusal or a question writes nothing."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, Document, LedgerEntry, POLineBalance
from portal.services import documents, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def written(s) -> tuple[int, int]:
    """How many ledger rows and history entries exist (a refusal or a question adds none)."""
    s.expire_all()
    count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
    return count(LedgerEntry), count(AuditEntry)


def ledger_of(s, doc) -> list[tuple]:
    return [tuple(r) for r in s.execute(
        select(LedgerEntry.document_line_id, LedgerEntry.po_id, LedgerEntry.po_line_id, LedgerEntry.bucket,
               LedgerEntry.amount, LedgerEntry.event, LedgerEntry.actor_id)
        .where(LedgerEntry.document_id == doc.id).order_by(LedgerEntry.id))]


def test_a_draft_without_warnings_posts_without_asking_and_commits(world):
    """The poster (not the one who drafted it) is recorded on the document, its history and the ledger."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "P1", amount="1000")
    doc = draft(world, "Sales Invoice", [line(world, "250", po=po)])
    poster = factories.user(s, role_name="Billing Admin")
    start = datetime.now(timezone.utc)
    result = posting.post(s, poster, doc.id)
    end = datetime.now(timezone.utc)
    assert (result.posted, result.refused, result.needs_confirmation, result.overridden) == (True, False, False, False)
    assert result.check.warnings == [] and result.alerts == [] and result.number == doc.number != ""
    s.rollback()  # committed: nothing is left to roll back
    s.expire_all()
    got = s.get(Document, doc.id)
    assert (got.status, got.posted_by_id, got.override_used) == ("posted", poster.id, False)
    assert start <= got.posted_at <= end
    assert ledger_of(s, doc) == [(doc.lines[0].id, po.id, None, "used", D("250.00"), "post", poster.id)]
    assert balance(s, po) == (D("250"), D("0"), D("0"))
    entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "documents", AuditEntry.entity_id == doc.id)
                      .order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.reason) == ("update", poster.id, None)
    assert entry.changes["status"] == ["draft", "posted"]


def test_warnings_ask_first_by_default_and_write_nothing(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "P2", amount="100")
    doc = draft(world, "Sales Invoice", [line(world, "120", po=po)])
    before = written(s)
    result = posting.post(s, world["user"], doc.id)
    assert (result.posted, result.refused, result.needs_confirmation, result.overridden) == (False, False, True, False)
    assert [w.message for w in result.check.warnings] == [
        "PO P2 would be over its amount by 20.00 (Subtotal 120.00 of 100.00)."]
    assert written(s) == before
    assert s.get(Document, doc.id).status == "draft" and balance(s, po) == (D("0"), D("0"), D("0"))


def test_the_check_before_posting_never_posts_even_a_draft_without_warnings(world):
    """The check page asks with check_only: it shows the warnings (here none) and writes nothing, confirmed or not."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "P3", amount="1000")
    doc = draft(world, "Sales Invoice", [line(world, "10", po=po)])
    before = written(s)
    for confirmed in (False, True):
        result = posting.post(s, world["user"], doc.id, check_only=True, confirmed=confirmed)
        assert result.needs_confirmation and not result.posted and result.check.warnings == []
    assert written(s) == before
    assert s.get(Document, doc.id).status == "draft" and balance(s, po) == (D("0"), D("0"), D("0"))


def test_a_block_refusal_writes_nothing(world):
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    s.commit()
    po = factories.po(s, world["debtor"], "P4", amount="100")
    doc = draft(world, "Sales Invoice", [line(world, "120", po=po)])
    no_grant = factories.user(s, role_name="Relationship Lead")  # may not override
    before = written(s)
    for user, asks in ((world["user"], {}), (no_grant, {"override": True})):  # overriding is asked for, never assumed
        result = posting.post(s, user, doc.id, confirmed=True, **asks)
        flags = (result.posted, result.refused, result.needs_confirmation, result.overridden)
        assert flags == (False, True, False, False)
        assert [w.message for w in result.check.warnings] == [_over("P4", "20.00", "120.00", "100.00")]
    assert written(s) == before
    s.expire_all()
    got = s.get(Document, doc.id)
    assert (got.status, got.posted_at, got.posted_by_id, got.override_used) == ("draft", None, None, False)
    assert balance(s, po) == (D("0"), D("0"), D("0"))


def _over(po, by, subtotal, amount):
    return (f"PO {po} would be over its amount by {by} (Subtotal {subtotal} of {amount}). Blocked: Used + Commitments "
            f"with this document come to {subtotal} of {amount} (over by {by}); estimates do not count toward "
            "the block.")


def test_an_override_is_recorded_on_the_document_and_on_each_po_it_passed(world):
    """The document's history says why (every blocking warning), and each PO's history has its own row."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    s.commit()
    first = factories.po(s, world["debtor"], "OV1", amount="100")
    second = factories.po(s, world["debtor"], "OV2", amount="100")
    doc = draft(world, "Sales Invoice", [line(world, "150", po=first), line(world, "10"),
                                         line(world, "120", po=second)])
    poster = factories.user(s, role_name="Billing Admin")
    result = posting.post(s, poster, doc.id, confirmed=True, override=True)
    assert (result.posted, result.refused, result.needs_confirmation, result.overridden) == (True, False, False, True)
    why = ("Posted past a blocked PO budget (po_override_budget): " + _over("OV1", "50.00", "150.00", "100.00")
           + " " + _over("OV2", "20.00", "120.00", "100.00"))
    s.expire_all()
    assert s.get(Document, doc.id).override_used is True
    entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "documents", AuditEntry.entity_id == doc.id)
                      .order_by(AuditEntry.id.desc())).first()
    assert (entry.actor_id, entry.reason, entry.changes["override_used"]) == (poster.id, why, [False, True])
    rows = s.execute(select(AuditEntry.actor_id, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.scope_type,
                            AuditEntry.scope_id, AuditEntry.action, AuditEntry.changes, AuditEntry.reason,
                            AuditEntry.summary).where(AuditEntry.action == "override").order_by(AuditEntry.id)).all()
    summary = f"Sales Invoice {doc.number} posted past the blocked budget"
    assert [tuple(r) for r in rows] == [
        (poster.id, "purchase_orders", first.id, None, None, "override", {}, why, summary),
        (poster.id, "purchase_orders", second.id, None, None, "override", {}, why, summary)]
    assert balance(s, first)[0] == D("150") and balance(s, second)[0] == D("120")


def test_the_override_reason_keeps_its_first_1000_characters(world):
    """The reason quotes every blocking warning; with many it is cut at 1000 characters, not one more."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    s.commit()
    pos = [factories.po(s, world["debtor"], f"LONG{n}", amount="100") for n in range(8)]
    doc = draft(world, "Sales Invoice", [line(world, "150", po=po) for po in pos])
    result = posting.post(s, world["user"], doc.id, confirmed=True, override=True)
    assert result.posted and result.overridden
    full = "Posted past a blocked PO budget (po_override_budget): " + " ".join(
        _over(f"LONG{n}", "50.00", "150.00", "100.00") for n in range(8))
    reasons = set(s.scalars(select(AuditEntry.reason).where(AuditEntry.reason.is_not(None))))
    assert len(full) > 1001 and reasons == {full[:1000]}


def test_a_user_limited_to_branches_may_not_post_lines_on_another_branchs_job(world):
    """The warnings would name that job: refused before any check, and nothing is written. A document wholly
    on other branches' jobs is not theirs at all: not found, as its page."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "BR1", amount="1000")
    home, other = factories.branch(s), factories.branch(s)
    job, own_job = factories.job(s, world["debtor"], other), factories.job(s, world["debtor"], home)
    for j in (job, own_job):
        factories.assignment(s, j, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "10", own_job), line(world, "10", job)])
    theirs_not = draft(world, "Sales Invoice", [line(world, "10", job)])
    limited = factories.user(s, role_name="Billing Admin", branches=[home])
    before = written(s)
    with pytest.raises(posting.Forbidden) as exc:
        posting.post(s, limited, doc.id, confirmed=True)
    assert str(exc.value) == ("This document has lines on job orders outside your branches; someone who sees those "
                              "branches must change it.")
    with pytest.raises(posting.NotFound):
        posting.post(s, limited, theirs_not.id, confirmed=True)
    assert written(s) == before and s.get(Document, doc.id).status == s.get(Document, theirs_not.id).status == "draft"
    assert balance(s, po) == (D("0"), D("0"), D("0"))


def test_a_draft_saved_in_the_same_transaction_posts_without_committing(world):
    """The CSV import and contracts save drafts and post them in one transaction (commit=False): the post
    works on the uncommitted draft and leaves the commit (or the rollback) to the caller."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "TX1", amount="1000")
    data = DocumentInput(debtor_id=world["debtor"].id, document_type_id=world["types"]["Sales Invoice"].id, number="",
                         doc_date=date(2026, 3, 1), lines=(line(world, "40", po=po),))
    doc = documents.save_draft(s, world["user"], None, data, commit=False)
    doc_id = doc.id
    result = posting.post(s, world["user"], doc_id, confirmed=True, commit=False)
    assert result.posted
    assert s.get(Document, doc_id).status == "posted" and balance(s, po) == (D("40"), D("0"), D("0"))
    s.rollback()
    assert s.get(Document, doc_id) is None and balance(s, po) == (D("0"), D("0"), D("0"))


def _order_then_invoice(world, order_lines, invoice_lines=None):
    """Post a Sales Order, then save (not post) an invoice of it: derived, or with the given lines."""
    s, types = world["session"], world["types"]
    order = draft(world, "Sales Order", order_lines)
    assert post(world, order).posted
    if invoice_lines is None:
        return order, documents.derive(s, world["user"], order.id, types["Sales Invoice"].id)
    data = DocumentInput(debtor_id=world["debtor"].id, document_type_id=types["Sales Invoice"].id, number="",
                         doc_date=date(2026, 3, 2), lines=tuple(invoice_lines(order)))
    return order, documents.save_draft(s, world["user"], None, data, source_document_id=order.id)


def test_invoicing_two_order_lines_on_one_master_line_releases_both_commitments(world):
    """Both releases count on the PO and on the master line: a fully committed order invoiced in full is not
    over either, so the block policy lets it post."""
    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    s.commit()
    po, (a, _) = _master(s, world["debtor"])
    order, invoice = _order_then_invoice(world, [line(world, "120", po=po), line(world, "80", po=po)])
    result = posting.post(s, world["user"], invoice.id)
    assert result.posted and not result.overridden and result.check.warnings == []
    s.expire_all()
    assert balance(s, po) == (D("200"), D("0"), D("0"))
    assert (s.get(POLineBalance, a.id).used, s.get(POLineBalance, a.id).commitments) == (D("200"), D("0"))


def test_two_invoice_lines_from_one_order_line_release_its_commitment_once(world):
    """The second line releases only what the first left (30 of 100), never more nor less."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "REL1", amount="1000")
    order, invoice = _order_then_invoice(world, [line(world, "100", po=po)], lambda order: [
        LineInput(None, world["ORD"].id, D("0.7"), D("100"), explicit_po_id=po.id, source_line_id=order.lines[0].id),
        LineInput(None, world["ORD"].id, D("0.6"), D("100"), explicit_po_id=po.id, source_line_id=order.lines[0].id)])
    assert post(world, invoice).posted
    assert balance(s, po) == (D("130"), D("0"), D("0"))
    releases = s.execute(select(LedgerEntry.document_id, LedgerEntry.document_line_id, LedgerEntry.amount)
                         .where(LedgerEntry.bucket == "commitment", LedgerEntry.event == "post",
                                LedgerEntry.document_id == invoice.id).order_by(LedgerEntry.id)).all()
    assert [tuple(r) for r in releases] == [(invoice.id, order.lines[0].id, D("-70.00")),
                                            (invoice.id, order.lines[0].id, D("-30.00"))]


def test_an_order_line_without_po_does_not_stop_the_release_of_the_lines_after_it(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "REL2", amount="1000")
    order, invoice = _order_then_invoice(world, [line(world, "5"), line(world, "100", po=po)])
    assert post(world, invoice).posted
    assert balance(s, po) == (D("100"), D("0"), D("0"))


def test_invoicing_a_free_order_line_posts(world):
    """A line at rate 0 drew nothing (no ledger row): invoicing it releases nothing and the rest as usual."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "REL3", amount="1000")
    order, invoice = _order_then_invoice(world, [line(world, "0", po=po), line(world, "100", po=po)])
    assert post(world, invoice).posted
    assert balance(s, po) == (D("100"), D("0"), D("0"))


def test_a_line_draws_on_the_po_assigned_on_its_service_date(world):
    """Not the PO assigned on the document date."""
    s = world["session"]
    before = factories.po(s, world["debtor"], "FEB", amount="1000")
    after = factories.po(s, world["debtor"], "MAR", amount="1000")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=before, start=date(2026, 1, 1), end=date(2026, 2, 28))
    factories.assignment(s, job, po=after, start=date(2026, 3, 1))
    doc = draft(world, "Sales Invoice", [LineInput(job.id, world["ORD"].id, D("1"), D("40"), date(2026, 2, 15)),
                                         line(world, "7", job)], doc_date=date(2026, 3, 1))
    assert post(world, doc).posted
    assert balance(s, before)[0] == D("40") and balance(s, after)[0] == D("7")
    s.expire_all()
    assert [(l.po_id, l.po_number) for l in s.get(Document, doc.id).lines] == [(before.id, "FEB"), (after.id, "MAR")]


def test_a_line_without_po_posts_on_none_and_keeps_the_documents_po_number(world):
    """Without an enforcing debtor a line no PO funds posts without a warning and draws on nothing; it shows
    the PO number typed on the document, a funded line its own PO's number."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "OWN", amount="1000")
    doc = draft(world, "Sales Invoice", [line(world, "10"), line(world, "20", po=po)], po_number="CUST-77")
    result = posting.post(s, world["user"], doc.id)
    assert result.posted and result.check.warnings == []
    s.expire_all()
    assert [(l.po_id, l.po_number) for l in s.get(Document, doc.id).lines] == [(None, "CUST-77"), (po.id, "OWN")]
    assert [r[1] for r in ledger_of(s, doc)] == [po.id]


def test_every_line_of_a_credit_memo_takes_back_its_own_invoice_line(world):
    s = world["session"]
    first = factories.po(s, world["debtor"], "CM1", amount="1000")
    second = factories.po(s, world["debtor"], "CM2", amount="1000")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=first), line(world, "50", po=second)])
    assert post(world, invoice).posted
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.1"), invoice.lines[1].id: D("0.2")})
    assert post(world, credit).posted
    assert balance(s, first)[0] == D("90") and balance(s, second)[0] == D("40")


def test_a_credit_of_an_invoice_line_that_had_no_po_draws_on_no_po(world):
    """It takes back what the invoice line drew (nothing), even though its job has a PO by now."""
    s = world["session"]
    job = factories.job(s, world["debtor"])
    invoice = draft(world, "Sales Invoice", [line(world, "100", job)])
    assert post(world, invoice).posted
    po = factories.po(s, world["debtor"], "LATE", amount="1000")
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.5")})
    result = posting.post(s, world["user"], credit.id, confirmed=True)
    assert result.posted and result.check.warnings == []
    assert ledger_of(s, credit) == [] and balance(s, po) == (D("0"), D("0"), D("0"))


def test_the_alerts_a_posting_raises_come_back_with_it(world):
    """The page flashes each one ("Alert raised: …")."""
    s = world["session"]
    template = factories.threshold_template(s, "Flash", ["50", "75"])
    po = factories.po(s, world["debtor"], "ALR", amount="1000", alert_template_id=template.id)
    assert post(world, draft(world, "Sales Invoice", [line(world, "800", po=po)])).alerts == ["PO ALR at 50%",
                                                                                           "PO ALR at 75%"]
    assert post(world, draft(world, "Sales Invoice", [line(world, "10", po=po)])).alerts == []

