"""Which PO funds a line, as the line editor shows it and as posting then draws (services/funding.py):
each way a line resolves, with the note, the eligibility and the coverage the editor's funding cell shows."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.models import BillCode
from portal.services import documents
from portal.services.documents import DocumentInput, LineInput
from tests import factories
from tests.integration.test_money_rules import _master as master
from tests.integration.test_posting import line, world  # noqa: F401  (fixture)

D = Decimal
DAY = date(2026, 3, 1)


def shown(w, type_name, lines, *, doc_date=DAY):
    """Each line's funding as the editor shows it: (PO number, master line id, number, note, eligible, covered)."""
    data = DocumentInput(debtor_id=w["debtor"].id, document_type_id=w["types"][type_name].id, number="",
                         doc_date=doc_date, lines=tuple(lines))
    return [f if isinstance(f, str) else (f.po.number if f.po else None, f.po_line_id, f.po_number, f.note,
                                          f.eligible, f.covered)
            for f in documents.describe_funding(w["session"], w["user"], data)]


def test_a_line_naming_one_of_the_debtors_pos_draws_on_it_and_says_so(world):
    s, types = world["session"], world["types"]
    po = factories.po(s, world["debtor"], "4500", types=[types["Sales Invoice"]])
    assert shown(world, "Sales Invoice", [line(world, "10", po=po)]) == [
        ("4500", None, "4500", "PO 4500 (named on the line)", True, True)]


def test_a_line_naming_a_po_not_eligible_for_its_type_says_not_eligible(world):
    """The named PO stays (no twin is looked for), marked not eligible."""
    s, types = world["session"], world["types"]
    po = factories.po(s, world["debtor"], "4500", types=[types["Sales Order"]])
    factories.po(s, world["debtor"], "4500", types=[types["Sales Invoice"]])
    assert shown(world, "Sales Invoice", [line(world, "10", po=po)]) == [
        ("4500", None, "4500", "PO 4500 (named on the line)", False, True)]


def test_a_line_naming_another_debtors_po_draws_on_nothing(world):
    s = world["session"]
    other = factories.po(s, factories.debtor(s, "OTHER"), "4500")
    assert shown(world, "Sales Invoice", [line(world, "10", po=other)]) == [
        (None, None, None, "that PO is not one of this debtor's", True, True)]


def test_a_line_without_job_or_po_draws_on_nothing(world):
    assert shown(world, "Sales Invoice", [line(world, "10")]) == [
        (None, None, None, "no job order and no PO on the line", True, True)]


def test_a_job_without_an_assignment_on_the_day_says_so_by_number_and_date(world):
    s = world["session"]
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=factories.po(s, world["debtor"], "4500"), start=date(2026, 4, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number} has no PO assigned on 2026-03-01", True, True)]


def test_a_job_with_an_on_the_fly_number_carries_it_and_draws_on_no_budget(world):
    s = world["session"]
    job = factories.job(s, world["debtor"])
    job.po_reference = "FLY-7"
    s.commit()
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, "FLY-7", "on-the-fly PO number FLY-7 (no budget)", True, True)]


def test_a_job_draws_on_the_po_assigned_on_the_lines_service_date(world):
    """The service date, not the document date, picks the assignment."""
    s = world["session"]
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=factories.po(s, world["debtor"], "JAN"), start=date(2026, 1, 1),
                         end=date(2026, 1, 31))
    factories.assignment(s, job, po=factories.po(s, world["debtor"], "FEB"), start=date(2026, 2, 1))
    in_january = LineInput(job_id=job.id, bill_code_id=world["ORD"].id, quantity=D("1"), rate=D("10"),
                           service_date=date(2026, 1, 15))
    assert shown(world, "Sales Invoice", [in_january, line(world, "10", job)]) == [
        ("JAN", None, "JAN", "PO JAN", True, True), ("FEB", None, "FEB", "PO FEB", True, True)]


def test_a_job_assigned_to_a_group_draws_on_the_groups_po_valid_that_day(world):
    s, debtor = world["session"], world["debtor"]
    group = factories.po_group(s, debtor)
    factories.po(s, debtor, "G-JAN", group=group, effective=date(2026, 1, 1), expiration=date(2026, 1, 31))
    factories.po(s, debtor, "G-MAR", group=group, effective=date(2026, 3, 1), expiration=date(2026, 12, 31))
    job = factories.job(s, debtor)
    factories.assignment(s, job, group=group, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        ("G-MAR", None, "G-MAR", "PO G-MAR via its group", True, True)]


def test_a_job_whose_group_has_no_po_valid_that_day_draws_on_nothing(world):
    """Between two of its group's POs the job is still assigned, but no PO pays."""
    s, debtor = world["session"], world["debtor"]
    group = factories.po_group(s, debtor)
    factories.po(s, debtor, "G-JAN", group=group, effective=date(2026, 1, 1), expiration=date(2026, 1, 31))
    factories.po(s, debtor, "G-APR", group=group, effective=date(2026, 4, 1), expiration=date(2026, 12, 31))
    job = factories.job(s, debtor)
    factories.assignment(s, job, group=group, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number}'s PO group has no PO valid on 2026-03-01", True, True)]


def test_a_job_on_a_split_po_draws_on_the_twin_eligible_for_the_type(world):
    s, types = world["session"], world["types"]
    inventory = factories.po(s, world["debtor"], "SPLIT", types=[types["Sales Order"], types["Sales Invoice"]])
    factories.po(s, world["debtor"], "split", types=[types["Repair Order"], types["Service Invoice"]])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=inventory, start=date(2026, 1, 1))
    assert shown(world, "Service Invoice", [line(world, "10", job)]) == [
        ("split", None, "split", "PO split", True, True)]


def test_a_job_on_a_po_not_eligible_for_the_type_never_takes_a_po_of_another_number(world):
    """Another PO of the debtor eligible for the type (here named on the next line) is not a twin:
    the job's PO stays, marked not eligible."""
    s, types = world["session"], world["types"]
    orders_only = factories.po(s, world["debtor"], "4500", types=[types["Sales Order"]])
    invoices = factories.po(s, world["debtor"], "9900", types=[types["Sales Invoice"]])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=orders_only, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job), line(world, "5", po=invoices)]) == [
        ("4500", None, "4500", "PO 4500", False, True),
        ("9900", None, "9900", "PO 9900 (named on the line)", True, True)]


def test_a_job_on_a_master_po_draws_on_the_line_holding_the_bill_code(world):
    s = world["session"]
    po, lines = master(s, world["debtor"])
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job), line(world, "5", job, code="OT")]) == [
        ("M1", lines[0].id, "M1", "PO M1 / line 1 (A)", True, True),
        ("M1", lines[1].id, "M1", "PO M1 / line 2 (B)", True, True)]


def test_a_bill_code_on_no_line_of_the_master_po_is_not_covered(world):
    s = world["session"]
    po, _ = master(s, world["debtor"])
    exp = BillCode(code="EXP")
    s.add(exp)
    s.commit()
    on_no_line = LineInput(job_id=None, bill_code_id=exp.id, quantity=D("1"), rate=D("10"), explicit_po_id=po.id)
    assert shown(world, "Sales Invoice", [on_no_line]) == [
        ("M1", None, "M1", "PO M1 (named on the line); its bill code is on no master line", True, False)]


def test_each_job_on_the_document_draws_on_its_own_assignment(world):
    s = world["session"]
    first, second = factories.job(s, world["debtor"]), factories.job(s, world["debtor"])
    factories.assignment(s, first, po=factories.po(s, world["debtor"], "FIRST"), start=date(2026, 1, 1))
    factories.assignment(s, second, po=factories.po(s, world["debtor"], "SECOND"), start=date(2026, 1, 1))
    factories.assignment(s, factories.job(s, world["debtor"]), po=factories.po(s, world["debtor"], "ELSE"),
                         start=date(2026, 1, 1))  # a job of the debtor not on the document
    assert shown(world, "Sales Invoice", [line(world, "10", second), line(world, "5", first)]) == [
        ("SECOND", None, "SECOND", "PO SECOND", True, True), ("FIRST", None, "FIRST", "PO FIRST", True, True)]


def test_an_open_ended_assignment_stops_funding_when_its_po_expires(world):
    s = world["session"]
    job = factories.job(s, world["debtor"])
    po = factories.po(s, world["debtor"], "4500", expiration=date(2026, 2, 28))
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number} has no PO assigned on 2026-03-01", True, True)]


def test_a_group_assignment_stops_funding_when_the_groups_last_po_expires(world):
    s, debtor = world["session"], world["debtor"]
    group = factories.po_group(s, debtor)
    factories.po(s, debtor, "G-JAN", group=group, effective=date(2026, 1, 1), expiration=date(2026, 1, 31))
    job = factories.job(s, debtor)
    factories.assignment(s, job, group=group, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number} has no PO assigned on 2026-03-01", True, True)]


def test_a_job_moved_from_another_debtor_never_draws_on_that_debtors_po(world):
    """A job whose debtor changes keeps its old assignments, under the old debtor only (DESIGN.md)."""
    s = world["session"]
    old = factories.debtor(s, "OLD")
    job = factories.job(s, old)
    factories.assignment(s, job, po=factories.po(s, old, "OLD-1"), start=date(2026, 1, 1))
    job.debtor_id = world["debtor"].id
    s.commit()
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number} has no PO assigned on 2026-03-01", True, True)]


def test_a_line_naming_a_master_po_not_eligible_for_its_type_draws_on_its_line_marked_not_eligible(world):
    s, types = world["session"], world["types"]
    po, lines = master(s, world["debtor"])
    for row in list(po.eligible):
        if row.document_type_id != types["Sales Order"].id:
            po.eligible.remove(row)
    s.commit()
    assert shown(world, "Sales Invoice", [line(world, "10", po=po)]) == [
        ("M1", lines[0].id, "M1", "PO M1 (named on the line) / line 1 (A)", False, True)]


def test_a_job_assigned_before_its_pos_effective_date_draws_on_it_only_from_that_date(world):
    """A PO moved to start later leaves earlier assignments alone (seed 004 step 2), and "is not printed on an
    invoice" for days before it: a line dated before the PO starts has no PO (the grid shows none that day
    either); one dated from its effective date draws on it. Named on the line, it is the user's choice (posting
    warns that the date is outside the PO's)."""
    s = world["session"]
    job = factories.job(s, world["debtor"])
    po = factories.po(s, world["debtor"], "LATE", effective=date(2026, 4, 1))
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    assert shown(world, "Sales Invoice", [line(world, "10", job)]) == [
        (None, None, None, f"job {job.number}'s PO LATE is not valid on 2026-03-01", True, True)]
    assert shown(world, "Sales Invoice", [line(world, "10", job)], doc_date=date(2026, 4, 1)) == [
        ("LATE", None, "LATE", "PO LATE", True, True)]


def test_a_resolver_for_the_whole_debtor_reads_each_jobs_assignments_when_first_asked(world, count_queries):
    """Built without the lines' jobs, the resolver reads a job's assignments on this debtor when a line
    first names it (once), and resolves as one built for those jobs does."""
    from portal.services.funding import Resolver

    s, debtor, types = world["session"], world["debtor"], world["types"]
    invoice = types["Sales Invoice"].id
    early, late = factories.po(s, debtor, "4501"), factories.po(s, debtor, "4502")
    group = factories.po_group(s, debtor, "Pool")
    pooled = factories.po(s, debtor, "4503", group=group, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    elsewhere = factories.debtor(s, "ELSE")
    by_po, by_group, other_debtors = factories.job(s, debtor), factories.job(s, debtor), factories.job(s, elsewhere)
    factories.assignment(s, by_po, po=early, start=date(2026, 1, 1), end=date(2026, 2, 28))
    factories.assignment(s, by_po, po=late, start=date(2026, 3, 1))
    factories.assignment(s, by_group, group=group, start=date(2026, 1, 1))
    factories.assignment(s, other_debtors, po=factories.po(s, elsewhere, "9999"), start=date(2026, 1, 1))
    whole = Resolver(s, debtor.id)
    code = world["ORD"].id

    def po_of(resolver, job, day):
        return resolver.resolve(type_id=invoice, bill_code_id=code, day=day, job=job).po_id

    with count_queries() as statements:
        found = [po_of(whole, by_po, date(2026, 2, 1)), po_of(whole, by_po, date(2026, 3, 1)),
                 po_of(whole, by_group, date(2026, 5, 1)), po_of(whole, other_debtors, date(2026, 5, 1))]
    assert found == [early.id, late.id, pooled.id, None]
    assert len([q for q in statements if "job_po_assignments" in q]) == 3  # once per job
    for_jobs = Resolver(s, debtor.id, job_ids={by_po.id, by_group.id, other_debtors.id})
    with count_queries() as statements:  # read with the resolver: nothing more to read per line
        assert [po_of(for_jobs, by_po, date(2026, 2, 1)), po_of(for_jobs, by_po, date(2026, 3, 1)),
                po_of(for_jobs, by_group, date(2026, 5, 1)), po_of(for_jobs, other_debtors, date(2026, 5, 1))] == found
    assert statements == []
