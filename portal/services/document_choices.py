"""What the document pages offer to choose from: debtors, document types, the debtor's jobs (job security
applied), POs and bill codes. Reads only; one call per page or panel, so the views run no query."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import DocumentType, JobOrder, PurchaseOrder
from portal.services.debtors import DebtorOption, all_debtors
from portal.services.job_visibility import visible
from portal.services.maintenance import active_bill_codes

MAX_JOBS = 1000  # the editor's job list for one debtor


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
    security), the debtor's POs, and the active bill codes. No debtor: no jobs and no POs."""
    jobs, pos = [], []
    if debtor_id:
        jobs = list(session.scalars(visible(select(JobOrder), user).where(JobOrder.debtor_id == debtor_id)
                                    .order_by(JobOrder.number).limit(MAX_JOBS)))
        pos = list(session.scalars(select(PurchaseOrder).where(PurchaseOrder.debtor_id == debtor_id)
                                   .order_by(PurchaseOrder.number, PurchaseOrder.id)))
    return {"jobs": jobs, "pos": pos, "codes": active_bill_codes(session)}


def reassign_targets(session: Session, debtor_id: int) -> list[PurchaseOrder]:
    """The POs a posted invoice's lines may be moved to: the debtor's, by number."""
    return list(session.scalars(select(PurchaseOrder).where(PurchaseOrder.debtor_id == debtor_id)
                                .order_by(PurchaseOrder.number)))
