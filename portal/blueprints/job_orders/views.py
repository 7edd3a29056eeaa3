from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.domain import formatting
from portal.domain.assignment import po_option, twin_numbers
from portal.blueprints import exporting
from portal.blueprints.forms import apply_errors, day_arg, int_or_none, offer_debtors, page_arg
from portal.blueprints.job_orders.forms import JobForm, parse_target
from portal.extensions import db
from portal.htmx import render
from portal.services import assignments, audit, job_orders as service
from portal.services.debtors import find_debtor
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("job_orders", __name__, url_prefix="/job-orders")


@bp.get("/", strict_slashes=False)
@requires("job_orders", "view")
def index():
    args, typed_as_of = request.args, day_arg(request.args.get("as_of"), "As of", "showing today")
    flt = service.JobFilter(debtor_id=int_or_none(args.get("debtor_id")), q=args.get("q", "")[:200],
                            active_only=args.get("all") != "1", po_id=int_or_none(args.get("po_id")),
                            unassigned=args.get("unassigned") == "1", as_of=typed_as_of.day or date.today())
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.job_orders_export(s, u, flt, today=date.today()), fmt)
    page = service.list_jobs(db.session, current_user, flt, today=date.today(), page=page_arg(args.get("page")),
                             per_page=current_app.config["PAGE_SIZE"])
    debtors = service.debtors(db.session)
    current_pos = assignments.current_po_numbers(db.session, page.items, flt.as_of)
    return render("job_orders/index.html", "job_orders/_rows.html", page=page, flt=flt, debtors=debtors,
                  current_pos=current_pos, today=date.today(), typed_as_of=typed_as_of)


def _choices(form: JobForm, debtor_id: int | None, q: str = "") -> dict:
    offer_debtors(form.debtor_id, service.debtors(db.session, active_only=True))
    form.branch_id.choices = [(None, "— choose —")] + [(b.id, str(b)) for b in
                                                       service.branch_choices(db.session, current_user)]
    form.consultant_id.choices = [(None, "— none —")] + [(u.id, str(u)) for u in service.consultants(db.session)]
    return _picker(form, debtor_id, q)


def _picker(form: JobForm, debtor_id: int | None, q: str = "") -> dict:
    """The debtor's current POs and groups, with Net Remaining, for the PO picker (past
    assignments.PICKER_OPTIONS POs, the first of those matching `q`, and the one chosen)."""
    debtor = find_debtor(db.session, debtor_id)
    if debtor is None:
        form.po_choice.choices = [("", "— choose a debtor first —")]
        return {"debtor": None, "pos": [], "groups": [], "po_search": None}
    today = date.today()
    q = q.strip()[:50]
    offer = assignments.picker_offer(db.session, debtor.id, today, q=q, chosen=parse_target(form.po_choice.data),
                                      limit=assignments.PICKER_OPTIONS)
    pos, groups = offer.pos, offer.groups
    twins = twin_numbers(p for p, _ in pos)
    form.po_choice.choices = [("", "— none —" if not debtor.enforce_purchase_orders else "— choose —")] + \
        [(f"group:{g.id}", f"Group {g.description} (PO {g.po_on(today).number if g.po_on(today) else 'none today'})")
         for g in groups] + \
        [(f"po:{p.po_id}", f"{po_option(p, twins)} — {remaining:,.2f} remaining (to {p.expiration.isoformat()})")
         for p, remaining in pos]
    return {"debtor": debtor, "pos": [p for p, _ in pos], "groups": groups, **panel_search(offer, q)}


def panel_search(offer: assignments.PickerOffer, q: str) -> dict:
    """A PO picker's search (the job form's, a job panel's), shown when the debtor has more POs valid on
    the day than the picker lists, or a search was typed."""
    return {"po_search": q if offer.total > assignments.PICKER_OPTIONS or q else None, "po_total": offer.total,
            "picker_limit": assignments.PICKER_OPTIONS}


def _input(form: JobForm) -> service.JobInput:
    return service.JobInput(
        title=form.title.data or "", debtor_id=form.debtor_id.data, branch_id=form.branch_id.data,
        start_date=form.start_date.data, discontinued_date=form.discontinued_date.data, site=form.site.data or "",
        consultant_id=form.consultant_id.data, po_reference=form.po_reference.data or "",
        target=parse_target(form.po_choice.data) if hasattr(form, "po_choice") else None)


@bp.route("/new", methods=["GET", "POST"])
@requires("job_orders", "add_edit")
def create():
    form = JobForm()
    debtor_id = form.debtor_id.data if request.method == "POST" else int_or_none(request.args.get("debtor_id"))
    if request.method == "GET":
        form.debtor_id.data = debtor_id
        form.start_date.data = date.today()
    picker = _choices(form, debtor_id, (request.form if request.method == "POST" else request.args).get("po_search", ""))
    if form.validate_on_submit():
        try:
            job = service.create_job(db.session, current_user, _input(form), today=date.today())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(f"Job order {job.number} created.", "success")
            return redirect(url_for("job_orders.detail", job_id=job.id))
    return render_template("job_orders/form.html", form=form, job=None, **picker)


@bp.get("/po-picker")
@requires("job_orders", "add_edit")
def po_picker():
    """The PO picker for the chosen debtor, swapped in by htmx when the debtor changes."""
    form = JobForm(formdata=None)
    form.po_choice.data = request.args.get("po_choice", "")[:40]  # kept while searching
    picker = _picker(form, int_or_none(request.args.get("debtor_id")), request.args.get("po_search", ""))
    return render_template("job_orders/_po_picker.html", form=form, **picker)


@bp.get("/<int:job_id>")
@requires("job_orders", "view")
def detail(job_id: int):
    job = service.get_job(db.session, current_user, job_id)
    as_of = formatting.typed_day(request.args.get("as_of")) or date.today()  # else as_of_box says so
    history = assignments.job_history(db.session, current_user, job.id, as_of)
    audit_rows = audit.history_of(db.session, "job_orders", job.id) if request.args.get("tab") == "history" else []
    offer = assignments.panel_offer(db.session, current_user, job, history, as_of)
    pos, groups = [p for p, _ in offer.pos], offer.groups
    invoice_type = None
    if current_user.can("documents", "add_edit"):
        invoice_type = service.invoice_type(db.session)
    return render_template("job_orders/detail.html", job=job, history=history, as_of=as_of, audit_rows=audit_rows,
                           tab=request.args.get("tab", "assignments"), pos=pos, groups=groups,
                           start_options={}, chosen=None,
                           invoice_type=invoice_type, **panel_search(offer, ""))


@bp.route("/<int:job_id>/edit", methods=["GET", "POST"])
@requires("job_orders", "add_edit")
def edit(job_id: int):
    job = service.get_job(db.session, current_user, job_id)
    form = JobForm(obj=job)
    if request.method == "GET":
        form.row_version.data = str(job.row_version)
        form.po_reference.data = job.po_reference or ""
        form.po_choice.data = ""  # a job's PO changes from its assignments; this one only goes with a move
    _choices_no_picker(form, keep=job.consultant_id, branch_id=job.branch_id)
    picker = _picker(form, form.debtor_id.data, request.form.get("po_search", ""))
    if form.validate_on_submit():
        try:
            service.update_job(db.session, current_user, job_id, _input(form), expected_version=form.edited_version())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:  # a stale form
            form.form_errors = [str(exc)]
        else:
            flash("Job order saved.", "success")
            return redirect(url_for("job_orders.detail", job_id=job_id))
    return render_template("job_orders/form.html", form=form, job=job, debtor=None, pos=[], groups=[],
                           **{k: picker.get(k) for k in ("po_search", "po_total", "picker_limit")})


def _choices_no_picker(form: JobForm, keep: int | None = None, branch_id: int | None = None) -> None:
    offer_debtors(form.debtor_id, service.debtors(db.session), blank=None)
    form.branch_id.choices = [(b.id, str(b)) for b in service.branch_choices(db.session, current_user)]
    form.consultant_id.choices = [(None, "— none —")] + [(u.id, str(u)) for u in service.consultants(db.session, keep, branch_id)]
