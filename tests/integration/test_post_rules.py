"""Posting a draft as its callers see it: the result's flags, the document, the ledger rows, the history,
and that a refusal or a question writes nothing."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, Document, DocumentLine, LedgerEntry, POLineBalance
from portal.services import documents, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def written(s) -> tuple[int, int]:
    """How many ledger rows and history entries exist (a refusal or a question adds none)."""
    s.expire_all()
    return s.scalar(select(func.count()).select_from(LedgerEntry)), s.scalar(select(func.count()).select_from(AuditEntry))


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
        assert (result.posted, result.refused, result.needs_confirmation, result.overridden) == (False, True, False, False)
        assert [w.message for w in result.check.warnings] == [_over("P4", "20.00", "120.00", "100.00")]
    assert written(s) == before
    s.expire_all()
    got = s.get(Document, doc.id)
    assert (got.status, got.posted_at, got.posted_by_id, got.override_used) == ("draft", None, None, False)
    assert balance(s, po) == (D("0"), D("0"), D("0"))


def _over(po, by, subtotal, amount):
    return (f"PO {po} would be over its amount by {by} (Subtotal {subtotal} of {amount}). Blocked: Used + Commitments "
            f"with this document come to {subtotal} of {amount} (over by {by}); estimates do not count toward the block.")


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
    """The warnings would name that job: refused before any check, and nothing is written."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "BR1", amount="1000")
    home, other = factories.branch(s), factories.branch(s)
    job = factories.job(s, world["debtor"], other)
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "10", job)])
    limited = factories.user(s, role_name="Billing Admin", branches=[home])
    before = written(s)
    with pytest.raises(posting.Forbidden) as exc:
        posting.post(s, limited, doc.id, confirmed=True)
    assert str(exc.value) == ("This document has lines on job orders outside your branches; someone who sees those "
                              "branches must change it.")
    assert written(s) == before and s.get(Document, doc.id).status == "draft"
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
