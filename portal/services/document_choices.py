"""What the document pages offer to choose from: debtors, document types, the debtor's jobs (job security
applied), POs and bill codes. Reads only; one call per page or panel, so the views run no query."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import purchase_orders as po_rules
from portal.models import DocumentType, JobOrder, POLine, PurchaseOrder
from portal.services.debtors import DebtorOption, all_debtors
from portal.services.job_visibility import visible
from portal.services.maintenance import active_bill_codes

MAX_JOBS = 1000  # the editor's job list for one debtor
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


def editor_choices(session: Session, user, debtor_id: int | None) -> dict:
    """The line editor's pickers as the template names them: the debtor's jobs the user may see (job
    security; id, number, title), the debtor's POs (id, number, description), and the active bill codes.
    No debtor: no jobs and no POs. Values, not rows: a debtor's 1,000 PO rows, each with its balance,
    forecast, lines and types, were 250 ms of every editor page and every new line."""
    jobs, pos = [], []
    if debtor_id:
        jobs = session.execute(visible(select(JobOrder.id, JobOrder.number, JobOrder.title), user)
                               .where(JobOrder.debtor_id == debtor_id).order_by(JobOrder.number).limit(MAX_JOBS)).all()
        pos = session.execute(select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.description)
                              .where(PurchaseOrder.debtor_id == debtor_id)
                              .order_by(PurchaseOrder.number, PurchaseOrder.id)).all()
    return {"jobs": jobs, "pos": pos, "codes": active_bill_codes(session)}


@dataclass(frozen=True)
class ReassignTarget:
    """A PO a posted invoice's lines may move to; a master PO's lines (id, line_no, secondary number)."""

    id: int
    number: str
    description: str
    is_master: bool
    lines: tuple = ()


def count_reassign_targets(session: Session, debtor_id: int) -> int:
    """How many POs a posted invoice's lines could move to (the debtor's POs; one indexed count):
    more than REASSIGN_INLINE and the invoice page draws the reassign form when it is opened."""
    return session.scalar(select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.debtor_id == debtor_id))


def reassign_targets(session: Session, debtor_id: int) -> list[ReassignTarget]:
    """The POs a posted invoice's lines may be moved to: the debtor's, by number (values: two queries)."""
    P = PurchaseOrder
    rows = session.execute(select(P.id, P.number, P.description, P.kind).where(P.debtor_id == debtor_id)
                           .order_by(P.number, P.id)).all()
    masters = {r.id for r in rows if r.kind == po_rules.MASTER}  # only a master PO's lines are offered
    lines: dict[int, list] = {}
    if masters:
        for line in session.execute(select(POLine.po_id, POLine.id, POLine.line_no, POLine.secondary_po_number)
                                    .where(POLine.po_id.in_(masters)).order_by(POLine.po_id, POLine.line_no)):
            lines.setdefault(line.po_id, []).append(line)
    return [ReassignTarget(r.id, r.number, r.description or "", r.id in masters, tuple(lines.get(r.id, ())))
            for r in rows]
