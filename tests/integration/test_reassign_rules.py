"""Reassigning posted invoice lines (seed 003's Assign Invoiced Item): what a move writes (ledger, balances,
the lines, the history), master lines, credits, the target's checks, asking first and overriding."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, DocumentLine, LedgerEntry, POBalance, POLineBalance
from portal.services import documents, integrity, posting
from portal.services.errors import ValidationFailed
from portal.services.documents import LineInput
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _invoice(w, po, *amounts, **kw):
    """A posted Sales Invoice with one ORD line per amount, each naming `po`."""
    doc = draft(w, "Sales Invoice", [line(w, a, po=po, **kw) for a in amounts])
    assert post(w, doc).posted
    return doc


def _written(s):
    """What a reassignment writes: ledger rows, history rows, balance rows and every line's funding."""
    s.expire_all()
    return (s.scalar(select(func.count()).select_from(LedgerEntry)),
            s.scalar(select(func.count()).select_from(AuditEntry)),
            sorted((b.po_id, b.used, b.commitments, b.estimates) for b in s.scalars(select(POBalance))),
            sorted((b.po_line_id, b.used) for b in s.scalars(select(POLineBalance))),
            sorted((l.id, l.po_id, l.po_line_id, l.po_number, l.explicit_po) for l in s.scalars(select(DocumentLine))))


def _refused(s, call):
    """Run `call`, which must raise ValidationFailed without writing anything; return its errors."""
    before = _written(s)
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert _written(s) == before
    return refused.value.errors


# ----- who moved, and why -----

def test_the_history_of_a_move_names_the_user_and_the_reason_cut_at_1000_characters(world):
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "H1"), factories.po(s, world["debtor"], "H2")
    invoice = _invoice(world, a, "70")
    mover = factories.user(s, role_name="Billing Admin")
    s.commit()
    last = s.scalar(select(func.max(AuditEntry.id)))
    reason = "  " + "r" * 999 + "st" + "x" * 500
    done = posting.reassign(s, mover, invoice.id, [invoice.lines[0].id], b.id, None, reason=reason, confirmed=True)
    assert done.moved == 1
    rows = s.execute(select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_id, AuditEntry.reason)
                     .where(AuditEntry.id > last)).all()
    assert ("document_lines", invoice.lines[0].id, mover.id, "r" * 999 + "s") in rows
    assert {(actor, why) for _, _, actor, why in rows} == {(mover.id, "r" * 999 + "s")}


# ----- master POs: the line that holds the bill code -----

def _exp(w):
    """A bill code no master line holds."""
    from portal.models import BillCode

    w["EXP"] = BillCode(code="EXP")
    w["session"].add(w["EXP"])
    w["session"].commit()


def _line_used(s, po_line):
    s.expire_all()
    return s.get(POLineBalance, po_line.id).used


def test_a_line_moved_to_a_master_line_draws_on_that_line(world):
    """Another master PO holding the same bill codes is no concern of this one's lines."""
    s = world["session"]
    plain = factories.po(s, world["debtor"], "MP0")
    _master(s, world["debtor"], "MX")
    master, (a, b) = _master(s, world["debtor"], "MP1")
    invoice = _invoice(world, plain, "150")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id, a.id, reason="x",
                            confirmed=True)
    assert done.moved == 1 and not done.check.warnings
    assert balance(s, plain)[0] == D("0") and balance(s, master)[0] == D("150")
    assert (_line_used(s, a), _line_used(s, b)) == (D("150"), D("0"))
    moved = s.get(DocumentLine, invoice.lines[0].id)
    assert (moved.po_id, moved.po_line_id, moved.po_number, moved.explicit_po) == (master.id, a.id, "MP1", True)
    assert integrity.check(s) == []


def test_a_line_of_a_single_line_target_needs_no_master_line(world):
    """The master-line check is for master POs only: a plain PO takes the lines with no line chosen."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "SL1"), factories.po(s, world["debtor"], "SL2")
    invoice = _invoice(world, a, "70")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x", confirmed=True)
    assert done.moved == 1 and balance(s, b)[0] == D("70")


def test_a_bill_code_no_master_line_holds_lands_on_the_po_after_the_not_covered_warning(world):
    """As in posting: on the master PO, on none of its lines, once the user has seen the warning."""
    s = world["session"]
    _exp(world)
    plain = factories.po(s, world["debtor"], "MN0")
    master, (a, b) = _master(s, world["debtor"], "MN1")
    invoice = _invoice(world, plain, "10", code="EXP")
    before = _written(s)
    asked = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id, a.id, reason="x")
    assert asked.needs_confirmation and not asked.moved
    assert [(w.code, w.message) for w in asked.check.warnings] == [
        ("not_covered",
         "Line 1: bill code EXP is on no line of master PO MN1, so it draws on the PO's \"not on any line\".")]
    assert _written(s) == before
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id, a.id, reason="x",
                            confirmed=True)
    assert done.moved == 1
    assert balance(s, master)[0] == D("10") and (_line_used(s, a), _line_used(s, b)) == (D("0"), D("0"))
    assert s.get(DocumentLine, invoice.lines[0].id).po_line_id is None
    assert integrity.check(s) == []
    # moved again to a line of the same PO: still no line holds EXP, so it would stay where it is; said so
    errors = _refused(s, lambda: posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id,
                                                  b.id, reason="x", confirmed=True))
    assert errors == {"po_line_id": ["Bill code EXP is on no line of master PO MN1: such lines draw on its \"not on "
                                     "any line\", where they already are. Add the code to a line's bill code group "
                                     "first, or choose another PO."]}


def test_a_line_moved_off_a_master_line_gives_that_line_its_consumption_back(world):
    s = world["session"]
    master, (a, _) = _master(s, world["debtor"], "MO1")
    plain = factories.po(s, world["debtor"], "MO2")
    invoice = _invoice(world, master, "150")
    assert _line_used(s, a) == D("150")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], plain.id, None, reason="x",
                            confirmed=True)
    assert done.moved == 1
    assert _line_used(s, a) == D("0") and balance(s, master)[0] == D("0") and balance(s, plain)[0] == D("150")
    back = s.execute(select(LedgerEntry.po_id, LedgerEntry.po_line_id, LedgerEntry.amount)
                     .where(LedgerEntry.event == "reassign")).all()
    assert sorted(back) == sorted([(master.id, a.id, D("-150")), (plain.id, None, D("150"))])
    assert integrity.check(s) == []


# ----- what moves with the lines -----

def test_giving_a_po_to_a_line_that_had_none_moves_its_amount_less_its_posted_credits(world):
    s = world["session"]
    target = factories.po(s, world["debtor"], "NP1")
    invoice = draft(world, "Sales Invoice", [line(world, "100")])
    assert post(world, invoice).posted and invoice.lines[0].po_id is None
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.3")})
    assert post(world, credit).posted
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], target.id, None, reason="x",
                            confirmed=True)
    assert done.moved == 1 and balance(s, target)[0] == D("70")
    rows = s.execute(select(LedgerEntry.document_line_id, LedgerEntry.po_id, LedgerEntry.amount)
                     .where(LedgerEntry.event == "reassign")).all()
    assert sorted(rows) == sorted([(invoice.lines[0].id, target.id, D("100")),
                                   (credit.lines[0].id, target.id, D("-30"))])
    s.expire_all()
    assert [(l.po_id, l.po_number) for l in (invoice.lines[0], credit.lines[0])] == [(target.id, "NP1")] * 2
    assert integrity.check(s) == []


def test_only_the_posted_credits_of_the_moved_lines_move_with_them(world):
    """Another line's credit memo stays; a draft credit memo is the user's to change and takes its PO
    from the invoice line when it posts."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "CM1"), factories.po(s, world["debtor"], "CM2")
    invoice = _invoice(world, a, "70", "30")
    moved, kept = invoice.lines
    credit_moved = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                                    quantities={moved.id: D("0.1"), kept.id: D("0")})
    credit_kept = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                                   quantities={moved.id: D("0"), kept.id: D("0.1")})
    assert post(world, credit_moved).posted and post(world, credit_kept).posted
    pending = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                               quantities={moved.id: D("0.2"), kept.id: D("0")})
    done = posting.reassign(s, world["user"], invoice.id, [moved.id], b.id, None, reason="x", confirmed=True)
    assert done.moved == 1
    assert balance(s, a)[0] == D("27") and balance(s, b)[0] == D("63")
    s.expire_all()
    assert (credit_moved.lines[0].po_id, credit_kept.lines[0].po_id) == (b.id, a.id)
    assert (pending.lines[0].po_id, pending.lines[0].explicit_po) == (a.id, True)
    assert integrity.check(s) == []


def test_a_target_already_drawn_by_other_lines_warns_when_the_move_takes_it_over(world):
    """What the target already holds from other invoices counts; only what these lines held there is set aside."""
    s = world["session"]
    a = factories.po(s, world["debtor"], "OV1")
    b = factories.po(s, world["debtor"], "OV2", amount="100")
    _invoice(world, b, "80")
    invoice = _invoice(world, a, "30")
    before = _written(s)
    asked = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x")
    assert asked.needs_confirmation and not asked.moved and [w.code for w in asked.check.warnings] == ["over_po"]
    assert _written(s) == before


def test_a_credited_line_is_checked_on_the_target_at_what_it_still_draws(world):
    """100 invoiced less a 30 credit puts 70 on the target: that, not 100 nor the credit alone, is checked."""
    s = world["session"]
    a = factories.po(s, world["debtor"], "NT1")
    b = factories.po(s, world["debtor"], "NT2", amount="60")
    invoice = _invoice(world, a, "100")
    credit = documents.derive(s, world["user"], invoice.id, world["types"]["Credit Memo"].id,
                              quantities={invoice.lines[0].id: D("0.3")})
    assert post(world, credit).posted
    asked = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x")
    assert asked.needs_confirmation and not asked.moved
    assert [w.message for w in asked.check.warnings] == [
        "PO NT2 would be over its amount by 10.00 (Subtotal 70.00 of 60.00)."]


def test_lines_already_on_the_target_master_line_are_not_counted_twice(world):
    """Two lines on master line A (150 of its 200) and one of 40 elsewhere, all chosen for line A: the one of 40
    moves (the two already there stay as they are), 190, no warning."""
    s = world["session"]
    master, (a, _) = _master(s, world["debtor"], "MT1")
    plain = factories.po(s, world["debtor"], "MT2")
    invoice = draft(world, "Sales Invoice", [line(world, "100", po=master), line(world, "50", po=master),
                                             line(world, "40", po=plain)])
    assert post(world, invoice).posted
    done = posting.reassign(s, world["user"], invoice.id, [l.id for l in invoice.lines], master.id, a.id,
                            reason="x")
    assert done.moved == 1 and not done.check.warnings
    moved_lines = set(s.scalars(select(LedgerEntry.document_line_id).where(LedgerEntry.event == "reassign")))
    assert moved_lines == {invoice.lines[2].id}  # the two already on line A have no entries of the move
    assert _line_used(s, a) == D("190") and balance(s, master)[0] == D("190") and balance(s, plain)[0] == D("0")
    assert integrity.check(s) == []


def test_the_target_dates_are_checked_against_each_line_service_date_or_else_the_invoice_date(world):
    s = world["session"]
    a = factories.po(s, world["debtor"], "SD1", effective=date(2025, 1, 1))
    b = factories.po(s, world["debtor"], "SD2")
    early = LineInput(job_id=None, bill_code_id=world["ORD"].id, quantity=D("1"), rate=D("10"),
                      service_date=date(2025, 12, 15), explicit_po_id=a.id)
    invoice = draft(world, "Sales Invoice", [early, line(world, "20", po=a)])  # dated 2026-03-01
    assert post(world, invoice).posted
    asked = posting.reassign(s, world["user"], invoice.id, [l.id for l in invoice.lines], b.id, None, reason="x")
    assert asked.needs_confirmation and [w.message for w in asked.check.warnings] == [
        "Line 1: service date 2025-12-15 is outside PO SD2's dates (2026-01-01 to 2027-12-31)."]


# ----- asking first, refusing, overriding -----

def test_check_only_moves_nothing_even_when_nothing_warns(world):
    """The confirmation page asks with check_only: it shows the check and never writes."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "CO1"), factories.po(s, world["debtor"], "CO2")
    invoice = _invoice(world, a, "70")
    before = _written(s)
    asked = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x",
                             confirmed=True, check_only=True)
    assert asked.needs_confirmation and not asked.moved and not asked.check.warnings
    assert _written(s) == before


def test_without_po_override_budget_asking_to_override_a_block_is_still_refused(world):
    from portal.models import Role, RoleGrant

    s = world["session"]
    world["debtor"].over_budget_policy = "block"
    role = Role(name="Reassigner", grants=[RoleGrant(item="documents", level="full"),
                                           RoleGrant(item="po_assign_invoiced_item", level="granted")])
    s.add(role)
    s.commit()
    mover = factories.user(s, role_name="Reassigner")
    a = factories.po(s, world["debtor"], "NO1")
    small = factories.po(s, world["debtor"], "NO2", amount="50")
    invoice = _invoice(world, a, "100")
    before = _written(s)
    result = posting.reassign(s, mover, invoice.id, [invoice.lines[0].id], small.id, None, reason="x",
                              confirmed=True, override=True)
    assert result.refused and not result.overridden and not result.moved
    assert _written(s) == before


def _over_master(w):
    """Block policy; master OB1 (line A 200, line B 100) already holds 100 on B; a plain PO holds a 250 ORD line."""
    s = w["session"]
    w["debtor"].over_budget_policy = "block"
    s.commit()
    master, (a, b) = _master(s, w["debtor"], "OB1")
    assert post(w, draft(w, "Sales Invoice", [line(w, "100", po=master, code="OT")])).posted
    plain = factories.po(s, w["debtor"], "OB2")
    return master, a, _invoice(w, plain, "250")


def test_an_override_is_recorded_against_the_mover_with_the_reason_and_every_blocking_warning(world):
    s = world["session"]
    master, a, invoice = _over_master(world)
    s.commit()
    last = s.scalar(select(func.max(AuditEntry.id)))
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id, a.id, reason="wrong PO",
                            confirmed=True, override=True)
    assert done.moved == 1 and done.overridden
    why = ("wrong PO — moved past a blocked PO budget (po_override_budget): "
           "PO OB1 would be over its amount by 50.00 (Subtotal 350.00 of 300.00). Blocked: Used + Commitments "
           "with this document come to 350.00 of 300.00 (over by 50.00); estimates do not count toward the block. "
           "PO OB1 line 1 (A) would be over its budget by 50.00 (Subtotal 250.00 of 200.00). Blocked: Used + "
           "Commitments with this document come "
           "to 250.00 of 200.00 (over by 50.00); estimates do not count toward the block.")
    rows = s.execute(select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_id, AuditEntry.reason)
                     .where(AuditEntry.id > last)).all()
    assert ("document_lines", invoice.lines[0].id, world["user"].id, why) in rows
    assert {(actor, reason) for _, _, actor, reason in rows} == {(world["user"].id, why)}


def test_an_override_reason_is_cut_at_1000_characters(world):
    s = world["session"]
    master, a, invoice = _over_master(world)
    s.commit()
    last = s.scalar(select(func.max(AuditEntry.id)))
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], master.id, a.id, reason="r" * 990,
                            confirmed=True, override=True)
    assert done.overridden
    reasons = set(s.scalars(select(AuditEntry.reason).where(AuditEntry.id > last)))
    assert reasons == {"r" * 990 + " — moved p"}


# ----- what a move writes -----

def test_the_ledger_rows_of_a_move_carry_the_line_bill_code_and_name_the_mover(world):
    """Spend per bill code (multi-line POs report it) and who moved it are read from these rows."""
    s = world["session"]
    a, b = factories.po(s, world["debtor"], "LA1"), factories.po(s, world["debtor"], "LA2")
    invoice = _invoice(world, a, "70", code="OT")
    mover = factories.user(s, role_name="Billing Admin")
    posting.reassign(s, mover, invoice.id, [invoice.lines[0].id], b.id, None, reason="x", confirmed=True)
    rows = s.execute(select(LedgerEntry.po_id, LedgerEntry.amount, LedgerEntry.bill_code_id, LedgerEntry.actor_id)
                     .where(LedgerEntry.event == "reassign")).all()
    ot = world["OT"].id
    assert sorted(rows) == sorted([(a.id, D("-70"), ot, mover.id), (b.id, D("70"), ot, mover.id)])


def test_a_move_that_crosses_a_threshold_of_the_target_reports_its_alert(world):
    s = world["session"]
    template = factories.threshold_template(s, "Half", ["50"])
    a = factories.po(s, world["debtor"], "AT1")
    b = factories.po(s, world["debtor"], "AT2", amount="100", alert_template_id=template.id)
    invoice = _invoice(world, a, "70")
    done = posting.reassign(s, world["user"], invoice.id, [invoice.lines[0].id], b.id, None, reason="x",
                            confirmed=True)
    assert done.moved == 1 and done.alerts == ["PO AT2 at 50%"]
