"""The start page: what needs a billing admin's attention today, each part only for those who may see it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Document, JobGap, PurchaseOrder
from portal.services import documents, purchase_orders
from portal.services import statement_constants as constant
from portal.services.job_visibility import branch_limit, gap_holds
from portal.services.paging import Page

ATTENTION_ROWS = 10
UNASSIGNED_SHOWN = 1000  # jobs without a PO today are counted up to this; past it the page says "1,000+"


@dataclass(frozen=True)
class StartPage:
    attention: Page[PurchaseOrder] | None  # yellow, red or expiring soon; least remaining first
    drafts: Page[Document] | None  # documents not yet posted, newest first
    unassigned_jobs: bool  # may see the count of active jobs with no PO or group today (loaded later)
    branch_codes: list[str] = field(default_factory=list)  # the branches the user is limited to (empty: all)
    opportunities: object = None  # a lead's open opportunities and POs expiring with a balance (seed 000)
    running_out: Page[PurchaseOrder] | None = None  # forecast to run out within RUNS_OUT_DAYS; soonest first


def start_page(session: Session, user, today: date) -> StartPage:
    """What the start page shows the user: only the lists their grants allow, each bounded."""
    attention = drafts = running_out = None
    if user.can("purchase_orders", "view"):
        attention = purchase_orders.list_purchase_orders(
            session, purchase_orders.POFilter(attention=True, sort="remaining"), today=today, per_page=ATTENTION_ROWS)
        running_out = purchase_orders.list_purchase_orders(
            session, purchase_orders.POFilter(runs_out_within=purchase_orders.RUNS_OUT_DAYS, sort="runs_out"),
            today=today, per_page=ATTENTION_ROWS)
    if user.can("documents", "view"):
        drafts = documents.list_documents(session, user, status="draft", per_page=5)
    # the count of active jobs without a PO reads every active job: the page loads it afterwards
    # (main.unassigned), so the page itself stays bounded
    unassigned = user.can("job_orders", "view")
    codes = list(user.branch_codes) if branch_limit(user) else []
    from portal.services import opportunities

    return StartPage(attention, drafts, unassigned, codes, opportunities.start_for(session, user, today),
                     running_out=running_out)


def unassigned_jobs(session: Session, user, today: date) -> int:
    """Active jobs with no PO or group today (their invoices find no budget), counted up to
    UNASSIGNED_SHOWN + 1: the jobs' kept gaps holding today (JobGap, its GiST index's entries only), so
    the count reads at most that many whatever the number of jobs (every job and its assignments: 100 ms
    at 60,000 jobs). tests/integration/test_job_gaps.py holds the kept gaps to the domain rule (assigned_on)."""
    stmt = select(JobGap.job_id).where(gap_holds(today))
    if limit := branch_limit(user):
        stmt = stmt.where(JobGap.branch_id.in_(sorted(limit)))
    counted = stmt.limit(constant.number(UNASSIGNED_SHOWN + 1)).subquery()
    return session.scalar(select(func.count()).select_from(counted)) or 0
