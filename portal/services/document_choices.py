"""What the document pages offer to choose from: debtors, document types, the debtor's jobs (job security
applied), POs and bill codes. Reads only; one call per page or panel, so the views run no query."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from portal.domain import purchase_orders as po_rules
from portal.models import DocumentType, JobOrder, POEligibleType, POLine, PurchaseOrder
from portal.services import search
from portal.services.debtors import DebtorOption, all_debtors
from portal.services.job_visibility import visible
from portal.services.maintenance import active_bill_codes

REASSIGN_INLINE = 40  # a posted invoice draws its reassign form at once for a debtor with this many POs or fewer


@dataclass(frozen=True)
class FormChoices:
    debtors: tuple[DebtorOption, ...]
    document_types: list[DocumentType]


def list_filters(session: Session) -> FormChoices:
    """The document list's filters: every debtor by code, every document type in its sort order."""
    return FormChoices(all_debtors(session),
                       list(session.scalars(select(DocumentType).order_by(DocumentType.sort_order, DocumentType.id))))


def form_choices(session: Session) -> FormChoices:
    """The document form's debtor and type lists: the active ones only."""
    return FormChoices(
        all_debtors(session, active_only=True),
        list(session.scalars(select(DocumentType).where(DocumentType.active.is_(True)).order_by(DocumentType.sort_order))))


def _offered_pos(session: Session, debtor_id: int, type_id: int | None, held=()):
    """The debtor's POs a line of this document type may name (id, number, description): those eligible for the
    type (DESIGN: "limited to the debtor's POs eligible for its type"), and those the lines already name (shown,
    and badged by their funding cell, rather than dropped). Every PO with no type chosen yet or on a credit memo's
    lines (they keep their invoice lines' POs)."""
    P = PurchaseOrder
    stmt = select(P.id, P.number, P.description).where(P.debtor_id == debtor_id)
    doc_type = session.get(DocumentType, type_id) if type_id else None
    if doc_type is not None and not doc_type.is_credit_memo:
        eligible = select(POEligibleType.po_id).where(POEligibleType.po_id == P.id,
                                                      POEligibleType.document_type_id == doc_type.id).exists()
        held = [i for i in held if i]
        stmt = stmt.where(or_(eligible, P.id.in_(held)) if held else eligible)
    return stmt


def eligible_for_type_named(name: str, *, or_twin: bool = False):
    """The PO (of the statement) is eligible for the active document type of this name: a line of that type may
    name it. `or_twin`: or a PO of its debtor and number is (seed 001's split PO), which a line derived from one
    naming this PO then takes (`documents.carried_po`). One EXISTS, so a picker or a check stays one query."""
    E, T, P = POEligibleType, DocumentType, PurchaseOrder
    whose = and_(E.debtor_id == P.debtor_id, E.number_key == P.number_key) if or_twin else E.po_id == P.id
    return (select(E.po_id).join(T, T.id == E.document_type_id)
            .where(whose, func.upper(T.name) == name.upper(), T.active.is_(True)).exists())


def editor_choices(session: Session, user, debtor_id: int | None, *, type_id: int | None = None, job_ids=(),
                   po_ids=()) -> dict:
    """The line editor's pickers as the template names them: the debtor's jobs the user may see (job
    security; id, number, title), the debtor's POs a line of the type may name (`_offered_pos`; id, number,
    description), and the active bill codes. No debtor: no jobs and no POs. Values, not rows: a debtor's 1,000
    PO rows, each with its balance, forecast, lines and types, were 250 ms of every editor page and every new line.

    A debtor with more than EDITOR_SELECT_MAX jobs (or POs) has them typed, not chosen from a list in every
    row (a 20-line draft of a debtor with 12,000 jobs and 1,000 POs was 2.1 MB): `jobs_typed` (`pos_typed`),
    the first EDITOR_OPTIONS as the page's suggestions, narrowed as a row types (`job_options`,
    `po_options`), and the names of the jobs and POs the lines hold (`job_ids`, `po_ids`) in `job_labels`
    (`po_labels`): only the debtor's, and only jobs the user may see."""
    pos, pos_typed, po_labels = [], False, {}
    job_picker = job_choices(session, user, debtor_id, job_ids)
    jobs, jobs_typed, job_labels = job_picker.jobs, job_picker.typed, job_picker.labels
    if debtor_id:
        pos = session.execute(_offered_pos(session, debtor_id, type_id, po_ids)
                              .order_by(PurchaseOrder.number, PurchaseOrder.id).limit(EDITOR_SELECT_MAX + 1)).all()
        if len(pos) > EDITOR_SELECT_MAX:
            pos, pos_typed = pos[:EDITOR_OPTIONS], True
            wanted = {i for i in po_ids if i}
            po_labels = {r.id: po_label(r) for r in session.execute(
                select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.description).where(
                    PurchaseOrder.debtor_id == debtor_id, PurchaseOrder.id.in_(wanted)))} if wanted else {}
    return {"jobs": jobs, "pos": pos, "codes": active_bill_codes(session), "editor_debtor_id": debtor_id,
            "editor_type_id": type_id,
            "jobs_typed": jobs_typed, "pos_typed": pos_typed, "job_labels": job_labels, "po_labels": po_labels}


EDITOR_SELECT_MAX = 100  # a debtor's jobs (POs) the editor lists in every row; more are typed
EDITOR_OPTIONS = 40  # the suggestions a typed job (PO) box offers at a time


@dataclass(frozen=True)
class JobChoices:
    """A form's job picker: the jobs it lists (or suggests, when typed) and the names of the jobs it holds."""

    jobs: list
    typed: bool = False
    labels: dict = field(default_factory=dict)


def job_choices(session: Session, user, debtor_id: int | None, job_ids=()) -> JobChoices:
    """A form's job picker for the debtor (the line editor's rows, the contract form): the debtor's jobs the
    user may see (job security) as values (id, number, title) by number, all of them when EDITOR_SELECT_MAX or
    fewer; past that the first EDITOR_OPTIONS as a typed box's suggestions (`job_options` narrows them), typed
    True, and the names of the jobs `job_ids` holds (only the debtor's the user may see). No debtor: none."""
    if not debtor_id:
        return JobChoices([])
    rows = visible(select(JobOrder.id, JobOrder.number, JobOrder.title), user).where(JobOrder.debtor_id == debtor_id)
    jobs = session.execute(rows.order_by(JobOrder.number).limit(EDITOR_SELECT_MAX + 1)).all()
    if len(jobs) <= EDITOR_SELECT_MAX:
        return JobChoices(jobs)
    wanted = {i for i in job_ids if i}
    labels = {r.id: job_label(r) for r in session.execute(rows.where(JobOrder.id.in_(wanted)))} if wanted else {}
    return JobChoices(jobs[:EDITOR_OPTIONS], True, labels)


def job_label(job) -> str:
    """How the editor names a job in its typed box and suggestions: number and title."""
    return f"{job.number} {job.title}"


def po_label(po) -> str:
    """How the editor names a PO in its typed box and suggestions: number, and description if any."""
    return f"{po.number} ({po.description})" if po.description else po.number


def job_options(session: Session, user, debtor_id: int, typed: str) -> list:
    """The editor's job suggestions for what a row's box holds: the debtor's jobs the user may see whose
    number starts with its first word, or whose title has words starting with its words; by number."""
    first = typed.split()[0] if typed.split() else ""
    stmt = visible(select(JobOrder.id, JobOrder.number, JobOrder.title), user).where(JobOrder.debtor_id == debtor_id)
    if first:
        stmt = stmt.where(search.job_matches(typed, first))
    return session.execute(stmt.order_by(search.unindexed(JobOrder.number) if first else JobOrder.number)
                           .limit(EDITOR_OPTIONS)).all()


def po_options(session: Session, debtor_id: int, typed: str, type_id: int | None = None) -> list:
    """The editor's PO suggestions: the debtor's POs a line of the type may name (`_offered_pos`) whose number
    starts with the box's first word, or whose description has words starting with its words; by number."""
    first = typed.split()[0] if typed.split() else ""
    P = PurchaseOrder
    stmt = _offered_pos(session, debtor_id, type_id)
    if first:
        stmt = stmt.where(search.po_matches(typed, first))
    return session.execute(stmt.order_by(P.number, P.id).limit(EDITOR_OPTIONS)).all()


def editor_job_ids(session: Session, user, debtor_id: int | None, ids) -> set[int]:
    """Which of `ids` are jobs of the debtor the user may see (the rows a debtor change keeps, the job a
    "new invoice" link names)."""
    wanted = {i for i in ids if i}
    if not debtor_id or not wanted:
        return set()
    return set(session.scalars(visible(select(JobOrder.id), user).where(JobOrder.debtor_id == debtor_id,
                                                                         JobOrder.id.in_(wanted))))


def editor_po_ids(session: Session, debtor_id: int | None, ids) -> set[int]:
    """Which of `ids` are POs of the debtor."""
    wanted = {i for i in ids if i}
    if not debtor_id or not wanted:
        return set()
    return set(session.scalars(select(PurchaseOrder.id).where(PurchaseOrder.debtor_id == debtor_id,
                                                              PurchaseOrder.id.in_(wanted))))


@dataclass(frozen=True)
class ReassignTarget:
    """A PO a posted invoice's lines may move to; a master PO's lines (id, line_no, secondary number)."""

    id: int
    number: str
    description: str
    is_master: bool
    lines: tuple = ()


def _eligible_for(type_id: int):
    """The PO (of the statement) is eligible for the document type: a line of that type may name it."""
    return select(POEligibleType.po_id).where(POEligibleType.po_id == PurchaseOrder.id,
                                              POEligibleType.document_type_id == type_id).exists()


def count_reassign_targets(session: Session, debtor_id: int, type_id: int, *, up_to: int | None = None) -> int:
    """How many POs a posted invoice's lines could move to (the debtor's POs eligible for its type; one
    indexed count), counted no further than `up_to` + 1 when given: more than REASSIGN_INLINE and the invoice
    page draws the reassign form when it is opened, so it need not count a thousand POs (3 ms) to know."""
    offered = select(PurchaseOrder.id).where(PurchaseOrder.debtor_id == debtor_id, _eligible_for(type_id))
    if up_to is not None:
        offered = offered.limit(up_to + 1)
    return session.scalar(select(func.count()).select_from(offered.subquery()))


def reassign_targets(session: Session, debtor_id: int, type_id: int) -> list[ReassignTarget]:
    """The POs a posted invoice's lines may be moved to: the debtor's eligible for the invoice's type (moving
    refuses any other), by number (values: two queries)."""
    P = PurchaseOrder
    rows = session.execute(select(P.id, P.number, P.description, P.kind).where(P.debtor_id == debtor_id,
                                                                                 _eligible_for(type_id))
                           .order_by(P.number, P.id)).all()
    masters = {r.id for r in rows if r.kind == po_rules.MASTER}  # only a master PO's lines are offered
    lines: dict[int, list] = {}
    if masters:
        for line in session.execute(select(POLine.po_id, POLine.id, POLine.line_no, POLine.secondary_po_number)
                                    .where(POLine.po_id.in_(masters)).order_by(POLine.po_id, POLine.line_no)):
            lines.setdefault(line.po_id, []).append(line)
    return [ReassignTarget(r.id, r.number, r.description or "", r.id in masters, tuple(lines.get(r.id, ())))
            for r in rows]
