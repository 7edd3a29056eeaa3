"""Job PO assignments (item `assignments`): the grid and per-job changes (add_edit), bulk (full)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.authz import requires
from portal.blueprints import exporting
from portal.blueprints.forms import int_or_none, page_arg
from portal.blueprints.job_orders.forms import parse_target
from portal.blueprints.job_orders.views import panel_search
from portal.domain import assignment as assignment_rules, formatting
from portal.domain.assignment import Target
from portal.extensions import db
from portal.htmx import is_partial, render
from portal.services import assignments as service, bulk_assign, job_orders, security
from portal.services.debtors import all_debtors, find_debtor, find_debtor_option
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.web import url_per_row

bp = Blueprint("assignments", __name__, url_prefix="/assignments")
bp.add_app_template_global(assignment_rules.twin_numbers, "twin_numbers")
bp.add_app_template_global(assignment_rules.po_option, "po_option")

AS_OF_FORMAT = "Enter the as-of date as YYYY-MM-DD."
START_FORMAT = "Enter the start date as YYYY-MM-DD."
typed_day = formatting.typed_day  # exactly YYYY-MM-DD, else None


def _as_of_arg(raw: str | None) -> date:
    """A page's as-of date (a GET filter): the day typed, or today when none is or it is not a date (the
    page then says so by its box: `as_of_box`)."""
    return typed_day(raw) or date.today()


def _posted_as_of() -> tuple[date, str | None]:
    """The as-of date a change is posted for (the form's hidden copy of the day shown): today when none
    is sent; a malformed one is refused (nothing is changed on a day the user did not choose). What the page's
    as-of box holds comes along (`as_of_typed`, portal.js): a date typed there and not yet applied (Assign clicked
    straight after typing) differs from the day shown, and the change is refused, answered for the typed day: it
    was saved on the day shown while the page redrew for the typed one, which then showed it undone."""
    raw = request.form.get("as_of")
    if raw is None:
        return date.today(), None
    day = typed_day(raw)
    if day is None:
        return date.today(), AS_OF_FORMAT
    typed = request.form.get("as_of_typed", raw).strip()[:40]
    if typed != raw.strip():
        return typed_day(typed) or day, (f"The as-of date was changed to {typed} while this showed {raw.strip()}: "
                                         "nothing was changed. Choose again for the new date.")
    return day, None


@bp.app_template_global()
def as_of_box(as_of: date) -> SimpleNamespace:
    """The "Assigned as of" box of a page drawn on `as_of` (the grid's, a job's panel, on the job's page
    too): the text typed in it (the request's `as_of`), and when that is not a date, the message by the box
    saying the page shows today instead (the typed text is kept in the box)."""
    raw = request.args.get("as_of")
    if raw is None or not raw.strip() or typed_day(raw):
        return SimpleNamespace(text=formatting.day(as_of), error=None)
    return SimpleNamespace(text=raw[:40], error=f"{AS_OF_FORMAT} Showing {formatting.day(as_of)}, today.")


@bp.app_template_global()
def grid_links(as_of: date) -> SimpleNamespace:
    """What every row of the grid shows alike, made once per page: the day, the user's right to assign,
    the CSRF token and each row link's URL builder (portal.web.url_per_row)."""
    day = formatting.day(as_of)
    return SimpleNamespace(day=day, may_edit=current_user.can("assignments", "add_edit"), csrf=generate_csrf(),
                           job=url_per_row("job_orders.detail", "job_id", as_of=day),
                           clear=url_per_row("assignments.grid_clear", "job_id"),
                           assign=url_per_row("assignments.grid_assign", "job_id"), jump=_jump_links())


def _jump_links():
    """A row's "Jump to" link (the grid on the row's next change, the row selected): the debtor's grid URL
    is built once per page and each row adds its day and job (both URL-safe)."""
    bases: dict[tuple[int, bool], str] = {}

    def jump(debtor_id: int, day: date, job_id: int, everything: bool) -> str:
        base = bases.get((debtor_id, everything))
        if base is None:
            base = bases[(debtor_id, everything)] = url_for(
                "assignments.grid", debtor_id=int(debtor_id), **({"all": "1"} if everything else {}))
        return f"{base}&as_of={day.isoformat()}&job_id={int(job_id)}"

    return jump


def _debtor_or_404(debtor_id):
    return find_debtor(db.session, debtor_id) or abort(404)


@bp.get("/", strict_slashes=False)
@requires("assignments", "view")
def grid():
    debtor_id = int_or_none(request.args.get("debtor_id"))
    as_of = _as_of_arg(request.args.get("as_of"))
    active_only = request.args.get("all") != "1"
    debtor = find_debtor_option(db.session, debtor_id)  # the page shows its code and name alone
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        if debtor is None:
            abort(404)
        return exporting.send(lambda s, u: export_lists.grid_export(s, u, find_debtor(s, debtor_id), as_of,
                                                                    active_only=active_only), fmt)
    page = service.grid(db.session, current_user, debtor.id, as_of, active_only=active_only,
                        page=page_arg(request.args.get("page"))) if debtor else None
    rows = page.items if page else []
    selected = int_or_none(request.args.get("job_id"))
    selected_po = next((r.po.po_id for r in rows if r.job.id == selected and r.po), None)
    pos, pos_total = service.valid_pos(db.session, debtor.id, as_of, include=selected_po) if debtor else ([], 0)
    return render("assignments/grid.html", "assignments/_grid.html", debtors=all_debtors(db.session), debtor=debtor,
                  rows=rows, page=page, as_of=as_of, active_only=active_only, pos=pos, pos_total=pos_total, selected=selected,
                  selected_po=selected_po, **_offer(debtor, as_of, rows))


GRID_PICKER_OPTIONS = 40  # more POs and groups than this to offer: each row types one (one list per page)


def _offer(debtor, as_of: date, rows):
    """What the grid's rows offer to assign (only to users who may assign, only when a row shown has
    nothing assigned: the picker is drawn in those rows alone), and whether the picker is typed into: a
    debtor with 1,000 valid POs drew them all in every unassigned row (700 KB a page), so past
    GRID_PICKER_OPTIONS the page holds them once (a datalist) and each row types a PO number or group."""
    if debtor is None or not current_user.can("assignments", "add_edit") or all(r.assignment for r in rows):
        return {"offer_pos": [], "offer_groups": [], "typed_picker": False}
    # the list holds the first GRID_PICKER_OPTIONS POs by number; a row's typing narrows it (grid_offers)
    offer = service.picker_offer(db.session, debtor.id, as_of, with_remaining=False, limit=GRID_PICKER_OPTIONS)
    return {"offer_pos": [p for p, _ in offer.pos], "offer_groups": offer.groups,
            "typed_picker": offer.total + len(offer.groups) > GRID_PICKER_OPTIONS}


@bp.get("/offers")
@requires("assignments", "add_edit")
def grid_offers():
    """The grid's typed list, narrowed to the POs whose number starts with what a row's box holds (or whose
    description has its words), and the groups: swapped in as the user types."""
    debtor = _debtor_or_404(int_or_none(request.args.get("debtor_id")))
    as_of = _as_of_arg(request.args.get("as_of"))
    q = assignment_rules.typed_search(request.args.get("target_name", "")[:60])
    offer = service.picker_offer(db.session, debtor.id, as_of, q=q, with_remaining=False, limit=GRID_PICKER_OPTIONS)
    return render_template("assignments/_grid_offers.html", offer_pos=[p for p, _ in offer.pos],
                           offer_groups=offer.groups)


def _grid_target(job_id: int, as_of: date, listed: str | None, typed: str | None) -> tuple[Target | None, str | None]:
    """The grid row's choice and, when there is none, why: a listed option ('po:12', 'group:3'), or a PO
    number or group typed into the row (its own field, so a number like "po:12" is never read as an id),
    looked up among what the job's debtor offers on the day (another branch's job: 404)."""
    if typed is None:
        target = parse_target(listed)
        return target, None if target else "Choose a PO or PO group."
    typed = typed.strip()
    if not typed:
        return None, "Type a PO number or “Group” and its name from the list."
    job = job_orders.get_job(db.session, current_user, job_id)
    pos, groups = service.offer_names(db.session, job.debtor_id, as_of)
    target = assignment_rules.named_target(typed, [(p.po_id, p.number) for p in pos], groups)
    return target, None if target else (f"No one PO or group of {job.debtor.code} valid on {as_of.isoformat()} is "
                                        f"named “{typed[:60]}”: type a PO number or “Group” and its name from the list.")


def _grid_row(job_id: int, as_of: date, *, notice: str | None = None, error: str | None = None, **prompt):
    """One row of the grid, redrawn in place after assigning or clearing there (`prompt`: the start-date
    question and the target it asks about, drawn as a choice in the row)."""
    db.session.rollback()
    job = job_orders.get_job(db.session, current_user, job_id)  # another branch's job: 404
    active_only = request.form.get("all") != "1"
    found = service.grid(db.session, current_user, job.debtor_id, as_of, active_only=False, job_id=job.id).items
    if not found:
        abort(404)
    return render_template("assignments/_grid_row.html", r=found[0], debtor=job.debtor, as_of=as_of,
                           active_only=active_only, selected=None, row_notice=notice, row_error=error,
                           **prompt, **_offer(job.debtor, as_of, found))


@bp.post("/grid/<int:job_id>/assign")
@requires("assignments", "add_edit")
def grid_assign(job_id: int):
    """Assign from the grid row, starting on the as-of date, or on the start its prompt offered (seed 004: the
    PO's effective date or the as-of date; a day between, future assignments to remove: the job's own page)."""
    as_of, bad_day = _posted_as_of()
    if bad_day:
        return _grid_row(job_id, as_of, error=bad_day)
    target, problem = _grid_target(job_id, as_of, request.form.get("target"), request.form.get("target_name"))
    start = typed_day(request.form.get("start", "")[:20])
    if target is None:
        return _grid_row(job_id, as_of, error=problem)
    if start is None and (question := service.start_question(db.session, current_user, job_id, target, as_of)):
        return _grid_row(job_id, as_of, start_question=question, start_target=f"{target.kind}:{target.id}")
    try:
        result = service.assign(db.session, current_user, job_id, target, as_of, start=start)
    except (assignment_rules.NeedsConfirmation, assignment_rules.AssignmentError, Conflict, NotFound) as exc:
        return _grid_row(job_id, as_of, error=str(exc))  # another branch's job: 404 from _grid_row
    return _grid_row(job_id, as_of,
                     notice=" ".join(result.notices) or f"Assigned from {(start or as_of).isoformat()}.")


@bp.post("/grid/<int:job_id>/clear")
@requires("assignments", "add_edit")
def grid_clear(job_id: int):
    as_of, bad_day = _posted_as_of()
    if bad_day:
        return _grid_row(job_id, as_of, error=bad_day)
    try:
        service.clear(db.session, current_user, job_id, as_of)
    except (assignment_rules.AssignmentError, Conflict, NotFound) as exc:
        return _grid_row(job_id, as_of, error=str(exc))
    return _grid_row(job_id, as_of, notice=f"Cleared as of {as_of.isoformat()}.")


def _panel(job_id: int, as_of: date, **extra):
    """The job's panel on `as_of`; `pending_target` and `pending_start` (the text of the start chosen: a
    radio's day or the date typed) are drawn chosen again, `start_error` by the start-date fields (or above
    the form when the choice asks for no start date)."""
    job = job_orders.get_job(db.session, current_user, job_id)
    history = service.job_history(db.session, current_user, job.id, as_of)
    source = request.form if request.method == "POST" else request.args
    q = source.get("po_search", "").strip()[:50]
    pending = parse_target(extra.get("pending_target"))
    offer = service.panel_offer(db.session, current_user, job, history, as_of, q=q,
                                chosen=pending or parse_target(source.get("replacement")))
    pos, groups = [p for p, _ in offer.pos], offer.groups
    choice = service.start_choice(pos, groups, pending, as_of)
    chosen, chosen_group, options = choice.po, choice.group, choice.options
    if extra.get("start_error") and not options:
        extra["error"] = extra.pop("start_error")
    names = service.target_names(db.session, [f.target for f in extra.get("confirm_future") or []])
    return render_template("assignments/_job_panel.html", job=job, history=history, as_of=as_of, pos=pos,
                           groups=groups, start_options=options,
                           chosen=chosen, chosen_group=chosen_group, target_names=names,
                           history_out_of_band=is_partial(), **panel_search(offer, q), **extra)


@bp.get("/jobs/<int:job_id>")
@requires("assignments", "view")
def job_panel(job_id: int):
    return _panel(job_id, _as_of_arg(request.args.get("as_of")),
                  pending_target=request.args.get("target", ""),
                  pending_replacement=request.args.get("replacement", ""))


def _chosen_start(form) -> tuple[date | None, str]:
    """The start chosen in a job's panel and its text, as the panel draws it chosen again: a date typed beats
    the radios (the as-of date is ticked when the prompt is drawn); (None, text) when the text is no date."""
    raw = (form.get("start_other", "").strip() or form.get("start", "").strip())[:40]
    start = typed_day(raw)
    return start, start.isoformat() if start else raw


@bp.post("/jobs/<int:job_id>/assign")
@requires("assignments", "add_edit")
def assign(job_id: int):
    form = request.form
    as_of, bad_day = _posted_as_of()
    if bad_day:
        return _panel(job_id, as_of, error=bad_day)
    start, start_text = _chosen_start(form)
    kept = {"pending_target": form.get("target", ""), "pending_start": start_text}
    if start is None and start_text:
        return _panel(job_id, as_of, start_error=START_FORMAT, **kept)
    target = parse_target(form.get("target"))
    if target is None:
        return _panel(job_id, as_of, error="Choose a PO or PO group to assign.", **kept)
    try:
        result = service.assign(db.session, current_user, job_id, target, as_of, start=start,
                                remove_future=assignment_rules.confirmed_removal(form.get("remove_future")) or False)
    except assignment_rules.NeedsConfirmation as exc:
        # the removal listed is the one for this start: the confirmation carries it (and the rows it lists)
        return _panel(job_id, as_of, confirm_future=exc.future, confirm_start=start or as_of, error=str(exc),
                      confirm_token=assignment_rules.removal_token(exc.future), **kept)
    except (assignment_rules.AssignmentError, NotFound) as exc:  # another branch's job: 404 from _panel
        return _panel(job_id, as_of, error=str(exc), **kept)
    except Conflict as exc:
        return _panel(job_id, as_of, error=str(exc))
    return _panel(job_id, as_of, notices=result.notices or ["Assigned."])


@bp.post("/jobs/<int:job_id>/clear")
@requires("assignments", "add_edit")
def clear(job_id: int):
    as_of, bad_day = _posted_as_of()
    if bad_day:
        return _panel(job_id, as_of, error=bad_day)
    try:
        service.clear(db.session, current_user, job_id, as_of,
                      replacement=parse_target(request.form.get("replacement")))
    except assignment_rules.AssignmentError as exc:
        return _panel(job_id, as_of, error=str(exc))
    except (Conflict, NotFound) as exc:
        return _panel(job_id, as_of, error=str(exc))
    return _panel(job_id, as_of, notices=["Cleared."])


# ----- bulk assignment (seed 003), full only -----

def _selection(source, day: date, opening: bool = False) -> tuple[bulk_assign.Selection, str | None]:
    def ids(name):
        out = set()
        for raw in source.getlist(name):
            value = int_or_none(raw)
            if value is None or value < 0:
                return None
            out.add(value)
        return frozenset(out)

    flt = job_orders.JobFilter(debtor_id=int_or_none(source.get("debtor_id")), q=source.get("q", "")[:200],
                               branch_id=int_or_none(source.get("branch_id")), site=source.get("site", "")[:120],
                               unassigned=source.get("unassigned") == "1",
                               # opened from a link (no filter posted yet): active jobs only, the box ticked
                               active_only=source.get("active") == "1" or (opening and not source.get("filtered")),
                               as_of=day)  # both on the start date
    excluded, included = ids("exclude"), ids("include") if source.get("mode") == "some" else frozenset()
    if excluded is None or included is None:
        return bulk_assign.Selection(flt), "Job ids must be numbers."
    return bulk_assign.Selection(flt, excluded, included if source.get("mode") == "some" else None), None


@bp.route("/bulk", methods=["GET", "POST"])
@requires("assignments", "full")
def bulk():
    source = request.form if request.method == "POST" else request.args
    debtor = _debtor_or_404(int_or_none(source.get("debtor_id")))
    raw_start = source.get("start")
    start = date.today() if raw_start is None else typed_day(raw_start)  # opened from a link: today
    # a start that is not a date is never replaced: the page lists as of today and says so, and nothing runs
    day = start or date.today()
    selection, problem = _selection(source, day, opening=request.method == "GET")
    context = dict(debtor=debtor, day=day, selection=selection, target=source.get("target", ""), error=problem,
                   preview=None, outcome=None, start_text=raw_start[:40] if start is None else formatting.day(day),
                   start_error=None if start else START_FORMAT)
    if request.method == "GET" or not is_partial():  # the whole page: its form and the jobs to tick
        q = source.get("po_search", "").strip()[:50]  # a debtor with many POs: the first by number, or those searched
        offer = service.picker_offer(db.session, debtor.id, day, q=q, chosen=parse_target(source.get("target")),
                                     with_remaining=False, limit=service.PICKER_OPTIONS)
        context.update(listed=bulk_assign.listed(db.session, current_user, selection.flt, date.today()),
                       pos=[p for p, _ in offer.pos], groups=offer.groups,
                       branches=security.all_branches(db.session), **panel_search(offer, q))
    if request.method == "POST" and not problem and start:
        context.update(_bulk_run(source, selection, day))
    # a filter's or the date's change (an htmx GET) swaps in its part of the page's form, never the buttons; a preview
    # or an apply, only its result and the start date's field (its message set or cleared, out of band)
    fragment = "assignments/_bulk_result.html" if request.method == "POST" else "assignments/bulk.html"
    return render("assignments/bulk.html", fragment, start_out_of_band=request.method == "POST" and is_partial(),
                  **context)


@bp.get("/bulk/jobs")
@requires("assignments", "full")
def bulk_jobs():
    """The next jobs to tick after the last one listed ("Show more"), with the filter and exclusions as sent."""
    debtor = _debtor_or_404(int_or_none(request.args.get("debtor_id")))
    day = typed_day(request.args.get("start", "")) or date.today()
    selection, problem = _selection(request.args, day)
    if problem:
        abort(400, description=problem)
    after = request.args.get("after", "")[:20] or None
    return render_template("assignments/_bulk_job_rows.html", debtor=debtor, day=day, selection=selection,
                           listed=bulk_assign.listed(db.session, current_user, selection.flt, date.today(), after))


def _bulk_run(source, selection, day: date) -> dict:
    """Preview or apply the posted bulk assignment: the page's error, preview or outcome."""
    target = parse_target(source.get("target"))
    if target is None:
        return {"error": "Choose a PO or PO group."}
    try:
        if source.get("action") == "apply":
            return {"outcome": bulk_assign.apply(db.session, current_user, selection, target, day,
                                                 today=date.today(), seal=source.get("seal", "")[:64])}
        return {"preview": bulk_assign.preview(db.session, current_user, selection, target, day,
                                               today=date.today())}
    except (ValidationFailed, NotFound, Conflict) as exc:
        return {"error": str(exc)}

