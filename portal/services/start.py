"""The start page: what needs a billing admin's attention today, each part only for those who may see it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Document, PurchaseOrder
from portal.services import documents, job_orders, purchase_orders
from portal.services.job_visibility import branch_limit
from portal.services.paging import Page

ATTENTION_ROWS = 10


@dataclass(frozen=True)
class StartPage:
    attention: Page[PurchaseOrder] | None  # yellow, red or expiring soon; least remaining first
    drafts: Page[Document] | None  # documents not yet posted, newest first
    unassigned_jobs: int | None  # active jobs with no PO or group today (their invoices find no budget)
    branch_codes: list[str] = field(default_factory=list)  # the branches the user is limited to (empty: all)


def start_page(session: Session, user, today: date) -> StartPage:
    attention = drafts = unassigned = None
    if user.can("purchase_orders", "view"):
        attention = purchase_orders.list_purchase_orders(
            session, purchase_orders.POFilter(attention=True, sort="remaining"), today=today, per_page=ATTENTION_ROWS)
    if user.can("documents", "view"):
        drafts = documents.list_documents(session, status="draft", per_page=5)
    if user.can("job_orders", "view"):
        stmt = job_orders.filtered(job_orders.JobFilter(unassigned=True), user, today)
        unassigned = session.scalar(select(func.count()).select_from(stmt.subquery()))
    codes = [b.code for b in user.branches] if branch_limit(user) else []
    return StartPage(attention, drafts, unassigned, codes)
