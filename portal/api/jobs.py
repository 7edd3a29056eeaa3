"""Job orders and their PO assignments: assign and clear with the pages' services, rules and prompts.

A prompt the page asks (seed 004: "start on the PO's effective date or the as-of date?", "remove
these future assignments?") is answered here as a 409 problem carrying the choices; the client
repeats the request with the chosen answer (`start`, or `remove_future: true` with the prompt's `seen`:
the future assignments it listed are removed only while they are still the job's, else it asks again).
"""
from __future__ import annotations

from datetime import date

from flask_login import current_user

from portal.api.base import errors, new_blueprint
from portal.api.problems import problem
from portal.api.schemas import (AsOfQuery, AssignInput, AssignmentsSchema, ClearInput, JobOrderSchema, JobQuery,
                                page_body, page_of)
from portal.authz import requires
from portal.domain import assignment as assignment_rules
from portal.extensions import db
from portal.services import assignments as service, job_orders, settings

blp = new_blueprint("api_jobs", "", "Job orders and assignments", "Job orders and their date-effective PO assignments.")


@blp.get("/job-orders")
@requires("job_orders", "view")
@errors(blp)
@blp.arguments(JobQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(JobOrderSchema))
def list_job_orders(page: int, per_page: int, q: str, active_only: bool, unassigned: bool,
                    debtor_id: int | None = None, branch_id: int | None = None, as_of: date | None = None):
    """Job orders you may see (job security: your branches), newest number first."""
    flt = job_orders.JobFilter(debtor_id=debtor_id, q=q, active_only=active_only, as_of=as_of, unassigned=unassigned,
                               branch_id=branch_id)
    result = job_orders.list_jobs(db.session, current_user, flt, today=date.today(), page=page, per_page=per_page)
    return page_body(result, result.items)


@blp.get("/job-orders/<int:job_id>")
@requires("job_orders", "view")
@errors(blp, 404)
@blp.response(200, JobOrderSchema)
def get_job_order(job_id: int):
    """Another branch's job answers 404, as on the pages."""
    return job_orders.get_job(db.session, current_user, job_id)


def _assignments(job_id: int, as_of: date, notices: list[str] | None = None) -> dict:
    rows = service.job_history(db.session, current_user, job_id, as_of)
    return {"job_id": job_id, "as_of": as_of, "notices": notices or [], "assignments": [{
        "id": h.row.id, "debtor_id": h.row.debtor_id, "start_date": h.row.start_date, "manual_end": h.row.manual_end,
        "target": {"kind": "group", "id": h.row.group_id} if h.row.group_id else {"kind": "po", "id": h.row.po_id},
        "end": h.end, "end_reason": h.reason, "current": h.current, "source": h.row.source} for h in rows]}


@blp.get("/job-orders/<int:job_id>/assignments")
@requires("assignments", "view")
@errors(blp, 404)
@blp.arguments(AsOfQuery, location="query", as_kwargs=True)
@blp.response(200, AssignmentsSchema)
def list_assignments(job_id: int, as_of: date | None = None):
    """Every assignment of the job over time, with its end and end reason computed on the as-of date."""
    return _assignments(job_id, as_of or date.today())


def _start_prompt(job_id: int, target: assignment_rules.Target, as_of: date):
    """Seed 004's start-date prompt, asked where the job's page asks it (services.assignments.start_choice):
    the client repeats the request with `start` (a choice, or a day between)."""
    job = job_orders.get_job(db.session, current_user, job_id)
    pos, groups = service.offer_names(db.session, job.debtor_id, as_of)
    choice = service.start_choice(pos, groups, target, as_of)
    if not choice.options:
        return None
    labels = {"effective": "the PO's effective date", "as_of": "the as-of date"}
    db.session.rollback()
    whose = f"Group {choice.group.description} starts on PO {choice.po.number}, which is" if choice.group else \
        f"PO {choice.po.number} is"
    return problem(409, f"{whose} valid from {choice.po.effective.isoformat()}: choose when the assignment starts "
                        "and repeat the request with `start` (one of the choices, or a day between).",
                   kind="start-date-required", title="Choose the start date",
                   prompt=settings.assignment_prompt(db.session),
                   choices=[{"field": "start", "value": day.isoformat(), "label": labels[key]}
                            for key, day in choice.options.items()])


@blp.post("/job-orders/<int:job_id>/assignments")
@requires("assignments", "add_edit")
@errors(blp, 404, 409)
@blp.arguments(AssignInput, as_kwargs=True)
@blp.response(200, AssignmentsSchema)
def assign(job_id: int, target: dict, as_of: date, remove_future: bool, start: date | None = None,
           seen: str | None = None):
    """Assign a PO or PO group on the as-of date (the current assignment must be cleared first)."""
    chosen = assignment_rules.Target(target["kind"], target["id"])
    if start is None and (prompt := _start_prompt(job_id, chosen, as_of)) is not None:
        return prompt
    try:
        result = service.assign(db.session, current_user, job_id, chosen, as_of, start=start,
                                remove_future=remove_future and assignment_rules.confirmed_removal(seen) or False)
    except assignment_rules.NeedsConfirmation as exc:
        db.session.rollback()
        return problem(409, str(exc) + " Repeat the request with `remove_future: true` and this `seen` to remove "
                       "them.", kind="confirm-remove-future", title="Future assignments would be removed",
                       prompt=settings.assignment_prompt(db.session), seen=assignment_rules.removal_token(exc.future),
                       choices=[{"field": "remove_future", "value": True, "label": "remove the future assignments"}],
                       future=[{"start_date": f.start.isoformat(),
                                "manual_end": f.manual_end.isoformat() if f.manual_end else None,
                                "target": {"kind": f.target.kind, "id": f.target.id}} for f in exc.future])
    return _assignments(job_id, as_of, result.notices)


@blp.post("/job-orders/<int:job_id>/assignments/clear")
@requires("assignments", "add_edit")
@errors(blp, 404, 409)
@blp.arguments(ClearInput, as_kwargs=True)
@blp.response(200, AssignmentsSchema)
def clear(job_id: int, as_of: date, replacement: dict | None = None):
    """End the assignment the day before the as-of date (delete it on its start day); optionally
    assign `replacement` from the as-of date (a debtor that enforces POs needs one)."""
    result = service.clear(db.session, current_user, job_id, as_of,
                           replacement=assignment_rules.Target(replacement["kind"], replacement["id"]) if replacement else None)
    return _assignments(job_id, as_of, result.notices)
