"""Posting documents against PO budgets, through the services, on PostgreSQL."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import Alert, BillCode, Notification, OutboxEmail, POBalance, POLine, POLineBalance
from portal.services import coverage, documents, integrity, posting
from portal.services.documents import DocumentInput, LineInput
from tests import factories

D = Decimal


@pytest.fixture
def world(db_session):
    user = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    types = factories.document_types(db_session)
    ord_ = BillCode(code="ORD")
    ot = BillCode(code="OT")
    db_session.add_all([ord_, ot])
    db_session.commit()
    return {"user": user, "debtor": debtor, "types": types, "ORD": ord_, "OT": ot, "session": db_session}


def draft(w, type_name, lines, **kw):
    data = DocumentInput(debtor_id=w["debtor"].id, document_type_id=w["types"][type_name].id, number=kw.pop("number", ""),
                         doc_date=kw.pop("doc_date", date(2026, 3, 1)), lines=tuple(lines), **kw)
    return documents.save_draft(w["session"], w["user"], None, data)


def line(w, amount, job=None, code="ORD", po=None, qty="1"):
    return LineInput(job_id=job.id if job else None, bill_code_id=w[code].id, quantity=D(qty), rate=D(amount),
                     explicit_po_id=po.id if po else None)


def balance(session, po):
    session.expire_all()
    b = session.get(POBalance, po.id)
    return (b.used, b.commitments, b.estimates)


def post(w, doc, **kw):
    return posting.post(w["session"], w["user"], doc.id, confirmed=True, **kw)


def test_seed_001_columns_through_the_lifecycle(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "4500", amount="10000")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    estimate = draft(world, "Estimate", [line(world, "2000", job)])
    assert post(world, estimate).posted
    order = documents.derive(s, world["user"], estimate.id, world["types"]["Sales Order"].id)
    assert post(world, order).posted
    assert balance(s, po) == (D("0"), D("2000"), D("2000"))  # the estimate still counts after conversion
    invoice = documents.derive(s, world["user"], order.id, world["types"]["Sales Invoice"].id,
                               quantities={order.lines[0].id: D("0.6")})
    assert post(world, invoice).posted
    assert balance(s, po) == (D("1200"), D("800"), D("2000"))  # partial invoicing keeps the rest committed
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.1")})
    assert post(world, credit).posted
    assert balance(s, po) == (D("1000"), D("800"), D("2000"))
    posting.void(s, world["user"], estimate.id)
    assert balance(s, po) == (D("1000"), D("800"), D("0"))
    posting.void(s, world["user"], order.id)
    assert balance(s, po) == (D("1000"), D("0"), D("0"))
    assert integrity.check(s) == []


def test_split_po_resolved_by_document_type(world):
    s, types = world["session"], world["types"]
    inventory = factories.po(s, world["debtor"], "SPLIT", amount="4000", types=[types["Sales Order"], types["Sales Invoice"]])
    service = factories.po(s, world["debtor"], "SPLIT", amount="6000", types=[types["Repair Order"], types["Service Invoice"]])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=inventory, start=date(2026, 1, 1))
    post(world, draft(world, "Service Invoice", [line(world, "500", job)]))
    post(world, draft(world, "Sales Invoice", [line(world, "300", job)]))
    assert balance(s, service)[0] == D("500") and balance(s, inventory)[0] == D("300")


def test_master_po_funded_line_by_line(world):
    s = world["session"]
    labour = factories.bill_code_group(s, "Labour", ["ORD"])
    extra = factories.bill_code_group(s, "Overtime", ["OT"])
    po = factories.po(s, world["debtor"], "M1", kind="multi_line_master", amount="300")
    s.add_all([POLine(po_id=po.id, line_no=1, budget=D("200"), bill_code_group_id=labour.id, secondary_po_number="A",
                      balance=POLineBalance(po_id=po.id)),
               POLine(po_id=po.id, line_no=2, budget=D("100"), bill_code_group_id=extra.id, secondary_po_number="B",
                      balance=POLineBalance(po_id=po.id))])
    s.flush()
    coverage.sync_po(s, po.id)
    s.commit()
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    post(world, draft(world, "Sales Invoice", [line(world, "150", job), line(world, "80", job, code="OT")]))
    s.expire_all()
    used = {l.secondary_po_number: l.balance.used for l in s.scalars(select(POLine))}
    assert used == {"A": D("150"), "B": D("80")}
    other = BillCode(code="EXP")
    s.add(other)
    s.commit()
    world["EXP"] = other
    result = posting.post(s, world["user"], draft(world, "Sales Invoice", [line(world, "10", job, code="EXP")]).id)
    assert [w.code for w in result.check.warnings] == ["not_covered"] and result.needs_confirmation
    assert integrity.check(s) == []


def test_warn_asks_first_block_refuses_and_override_posts(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "B1", amount="1000")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "1200", job)])
    first = posting.post(s, world["user"], doc.id)
    assert first.needs_confirmation and not first.posted and balance(s, po)[0] == 0
    world["debtor"].over_budget_policy = "block"
    s.commit()
    refused = posting.post(s, world["user"], doc.id, confirmed=True)
    assert refused.refused and balance(s, po)[0] == 0
    auditor_like = factories.user(s, role_name="Relationship Lead")
    assert posting.post(s, auditor_like, doc.id, confirmed=True, override=True).refused
    done = posting.post(s, world["user"], doc.id, confirmed=True, override=True)
    assert done.posted and done.overridden and balance(s, po)[0] == D("1200")


def test_double_posting_is_refused(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "X1")
    doc = draft(world, "Sales Invoice", [line(world, "10", po=po)])
    assert post(world, doc).posted
    with pytest.raises(posting.Conflict):
        post(world, doc)
    assert balance(s, po)[0] == D("10")


def test_credit_memo_may_not_go_below_zero(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "C1")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=po)])
    post(world, invoice)
    first = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                             quantities={invoice.lines[0].id: D("0.6")})
    assert post(world, first).posted
    with pytest.raises(documents.ValidationFailed) as refused:  # refused as the draft is made
        documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                         quantities={invoice.lines[0].id: D("0.6")})
    assert "more than the 40.00 left" in str(refused.value)
    assert balance(s, po)[0] == D("40")


def test_reassigning_an_invoiced_line_moves_its_consumption(world):
    s = world["session"]
    first, second = factories.po(s, world["debtor"], "R1"), factories.po(s, world["debtor"], "R2")
    invoice = draft(world, "Sales Invoice", [line(world, "70", po=first), line(world, "30", po=first)])
    post(world, invoice)
    posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], second.id, None, reason="wrong PO")
    assert balance(s, first)[0] == D("30") and balance(s, second)[0] == D("70")
    consultant = factories.user(s, role_name="Consultant")
    with pytest.raises(posting.Forbidden):
        posting.reassign(s, consultant, invoice.id, [invoice.lines[1].id], second.id, None, reason="x")
    assert integrity.check(s) == []


def test_thresholds_alert_once_with_notification_and_mail(world):
    s = world["session"]
    template = factories.threshold_template(s, "Std", ["75", "90"])
    po = factories.po(s, world["debtor"], "AL1", amount="1000", alert_template_id=template.id)
    post(world, draft(world, "Sales Invoice", [line(world, "800", po=po)]))
    post(world, draft(world, "Sales Invoice", [line(world, "10", po=po)]))
    subjects = [n.subject for n in s.scalars(select(Notification).order_by(Notification.id))]
    assert subjects == ["PO AL1 at 75%"]
    assert s.scalar(select(func.count()).select_from(OutboxEmail)) == 1
    post(world, draft(world, "Sales Invoice", [line(world, "100", po=po)]))
    assert [n.subject for n in s.scalars(select(Notification).order_by(Notification.id))][-1] == "PO AL1 at 90%"
    assert s.scalar(select(func.count()).select_from(Alert)) == 2


def test_posting_records_each_lines_funding_in_its_history(world):
    """Each line that posting funds keeps the change in the document's history (who, old and new PO and
    number), its version moves on and its changed-by names the poster; a line already named stays as it was."""
    from portal.models import AuditEntry, DocumentLine

    s, user = world["session"], world["user"]
    first, second = factories.po(s, world["debtor"], "4500"), factories.po(s, world["debtor"], "7700")
    a, b = factories.job(s, world["debtor"]), factories.job(s, world["debtor"])
    factories.assignment(s, a, po=first, start=date(2026, 1, 1))
    factories.assignment(s, b, po=second, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "100", a), line(world, "50", b, po=second), line(world, "25", b)])
    versions = {l.line_no: l.row_version for l in doc.lines}
    assert post(world, doc).posted
    s.expire_all()
    lines = {l.line_no: l for l in s.scalars(select(DocumentLine).where(DocumentLine.document_id == doc.id))}
    assert [(lines[n].po_id, lines[n].po_number) for n in (1, 2, 3)] == [
        (first.id, "4500"), (second.id, "7700"), (second.id, "7700")]
    assert all(l.row_version == versions[n] + 1 and l.changed_by_id == user.id for n, l in lines.items())
    history = {e.entity_id: e for e in s.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "document_lines", AuditEntry.action == "update",
        AuditEntry.entity_id.in_([l.id for l in lines.values()])))}
    assert {e.entity_id: e.changes for e in history.values()} == {
        lines[1].id: {"po_id": [None, first.id], "po_number": [None, "4500"]},
        lines[2].id: {"po_number": [None, "7700"]},  # named on the line: only its number is filled in
        lines[3].id: {"po_id": [None, second.id], "po_number": [None, "7700"]}}
    assert sorted(e.summary for e in history.values()) == ["line 1", "line 2", "line 3"]
    assert {(e.actor_id, e.scope_type, e.scope_id) for e in history.values()} == {(user.id, "documents", doc.id)}


def test_a_lines_funding_history_keeps_what_it_replaced_and_the_session_sees_what_was_saved(world):
    """A line that already carries a number (a draft's carried reference) keeps it as the old value in its
    history entry; a posting left uncommitted (a contract delivery, an import) shows its caller the lines
    as saved: the funding, the version and who changed them."""
    from sqlalchemy import text

    from portal.models import AuditEntry, DocumentLine

    s, user = world["session"], world["user"]
    po = factories.po(s, world["debtor"], "4500")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    doc = draft(world, "Sales Invoice", [line(world, "100", job)])
    s.execute(text("UPDATE document_lines SET po_number = 'CARRIED' WHERE document_id = :d"), {"d": doc.id})
    s.commit()
    assert posting.post(s, user, doc.id, confirmed=True, commit=False).posted
    held = s.scalars(select(DocumentLine).where(DocumentLine.document_id == doc.id)).one()  # the session's own
    saved = s.execute(text("SELECT po_id, po_number, row_version, changed_by_id FROM document_lines WHERE id = :i"),
                      {"i": held.id}).one()
    assert (held.po_id, held.po_number, held.row_version, held.changed_by_id) == tuple(saved)
    assert tuple(saved) == (po.id, "4500", 2, user.id)
    entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "document_lines",
                                               AuditEntry.entity_id == held.id, AuditEntry.action == "update")).one()
    assert entry.changes == {"po_id": [None, po.id], "po_number": ["CARRIED", "4500"]}
    s.rollback()
