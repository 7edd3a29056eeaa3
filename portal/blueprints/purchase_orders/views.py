from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints import exporting
from portal.blueprints.forms import apply_errors, int_or_none, offer_debtors, page_arg
from portal.blueprints.purchase_orders.forms import GroupForm, POForm, lines_from, po_input
from portal.domain import formatting, purchase_orders as po_rules
from portal.extensions import db
from portal.htmx import is_partial, render
from portal.services import audit, forecasts, po_groups, purchase_orders as service
from portal.services.debtors import all_debtors, find_debtor, get_debtor
from portal.services.errors import Conflict, NotFound, ValidationFailed

bp = Blueprint("purchase_orders", __name__, url_prefix="/purchase-orders")
TABS = [("summary", "Summary"), ("lines", "Lines"), ("documents", "Documents"), ("spend", "Spend by bill code"),
        ("assignments", "Job assignments"), ("notes", "Notes"), ("history", "History"), ("schedule", "Schedule")]


def _int_arg(name: str) -> int | None:
    value = int_or_none(request.args.get(name))
    return value if value and value > 0 else None


def _days_arg(name: str) -> int | None:
    """A number of days from 1 to 365 (anything else: no such filter)."""
    value = int_or_none(request.args.get(name))
    return value if value is not None and 1 <= value <= 365 else None


@bp.get("/", strict_slashes=False)
@requires("purchase_orders", "view")
def index():
    flt = service.POFilter(debtor_id=_int_arg("debtor_id"), q=request.args.get("q", "")[:200],
                           include_expired=request.args.get("expired") == "1",
                           sort=request.args.get("sort", "expiration"), attention=request.args.get("attention") == "1",
                           group_id=_int_arg("group_id"), runs_out_within=_days_arg("runs_out"))
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.purchase_orders_export(s, flt, today=date.today()), fmt)
    page = service.list_purchase_orders(db.session, flt, today=date.today(), page=page_arg(request.args.get("page")),
                                        per_page=current_app.config["PAGE_SIZE"])
    return render("purchase_orders/index.html", "purchase_orders/_rows.html", page=page, flt=flt,
                  debtors=all_debtors(db.session), figures=service.balance_figures, attention_days=service.ATTENTION_DAYS,
                  runs_out_days=service.RUNS_OUT_DAYS)


def _named(name: str, item) -> str:
    """A choice's name, saying so when it is inactive (offered only because the PO holds it)."""
    return name if item.active else f"{name} (inactive)"


def _fill_choices(form: POForm, debtor_id: int | None, po=None) -> service.FormChoices | None:
    offer_debtors(form.debtor_id, all_debtors(db.session, active_only=True), blank="— choose a debtor —")
    if not debtor_id:
        form.group_id.choices, form.alert_template_id.choices, form.document_type_ids.choices = [(None, "—")], [(None, "—")], []
        return None
    choices = service.form_choices(db.session, debtor_id, po)
    form.group_id.choices = [(None, "— none —")] + [(g.id, _named(g.description, g)) for g in choices.groups]
    form.alert_template_id.choices = [(None, "— none —")] + [(t.id, _named(t.name, t))
                                                            for t in choices.alert_templates]
    form.document_type_ids.choices = [(t.id, _named(t.name, t)) for t in choices.document_types]
    return choices


def _debtor_changed() -> bool:
    """Whether this POST is the new PO form sent back for another debtor's choices, not a save."""
    return request.method == "POST" and request.form.get("debtor_changed") == "1"


def _new_po_form():
    """A new PO's form: the debtor posted (or in the query), its choices, the "Standard" alert template when
    a debtor's choices first show (on GET, or the first debtor chosen); what was typed stays as typed."""
    form = POForm()
    debtor_id = form.debtor_id.data if request.method == "POST" else _int_arg("debtor_id")
    if request.method == "GET":
        form.debtor_id.data = debtor_id
    choices = _fill_choices(form, debtor_id)
    shown = int_or_none(request.form.get("choices_of"))  # the debtor whose choices the form showed
    if request.method == "GET" or (_debtor_changed() and not shown):
        form.alert_template_id.data = next((i for i, name in form.alert_template_id.choices
                                            if i and str(name).lower() == "standard"), None)
    if _debtor_changed() and shown != debtor_id and form.group_id.data:
        # the PO groups are the debtor's own: a group of the debtor before is dropped, saying so
        if left := po_groups.left_behind(db.session, form.group_id.data, debtor_id):
            form.group_id.errors, form.group_id.data = [left], None
    return form, debtor_id, choices


@bp.route("/new", methods=["GET", "POST"])
@requires("purchase_orders", "add_edit")
def create():
    form, debtor_id, choices = _new_po_form()
    lines, line_ids, budgets_typed = lines_from(request) if request.method == "POST" else ((), (), ())
    if not _debtor_changed() and form.validate_on_submit():
        if not debtor_id or choices is None:
            form.debtor_id.errors = ["Choose the debtor."]
        else:
            try:
                po = service.create_po(db.session, debtor_id, po_input(form, lines), actor=current_user,
                                       line_ids=line_ids)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except NotFound:
                form.debtor_id.errors = ["Choose the debtor."]
            else:
                flash(f"PO {po.number} created.", "success")
                return redirect(url_for("purchase_orders.detail", po_id=po.id))
    # lines typed before any debtor still offer the bill code groups (every debtor's): the debtor's
    # choices come back without the lines, so what is typed in them stays
    line_groups = service.form_choices(db.session, 0).bill_code_groups if lines and choices is None else None
    return render_template("purchase_orders/form.html", form=form, po=None, choices=choices, lines=lines,
                           line_ids=line_ids, budgets_typed=budgets_typed, total=po_rules.lines_total(lines),
                           line_groups=line_groups)


def _tab_extras(po, tab: str) -> dict:
    """What the chosen tab shows beyond the PO itself: its documents, spend, burn-down or schedule."""
    from portal.services import contracts, reports

    if tab == "documents":
        return {"po_documents": reports.po_documents(db.session, current_user, po, request.args.get("before"))}
    if tab == "spend":
        return {"spend": reports.spend_by_bill_code(db.session, po.id)}
    if tab == "summary":  # the burn-down chart and forecast
        return {"burn": forecasts.burn_down(db.session, po, date.today())}
    if tab == "schedule":  # seed 000: the contract and the opportunity for the unscheduled balance
        return {"schedule": contracts.po_schedule(db.session, current_user, po)}
    return {}


@bp.get("/<int:po_id>")
@requires("purchase_orders", "view")
def detail(po_id: int):
    tab = request.args.get("tab", "summary")
    if tab not in dict(TABS):
        tab = "summary"
    po = service.get_po(db.session, po_id, summary=tab == "summary")
    history = audit.history_of(db.session, "purchase_orders", po.id) if tab == "history" else []
    from portal.services import assignments, job_orders

    if tab == "documents" and (fmt := exporting.requested_format()):
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.po_documents_export(s, u, service.get_po(s, po_id)), fmt)
    extra = _tab_extras(po, tab)
    if tab == "documents" and request.args.get("before") and is_partial():  # "load more": just the next rows
        return render_template("purchase_orders/_document_rows.html", po=po, **extra)
    return render("purchase_orders/detail.html", "purchase_orders/_tab.html", po=po, tab=tab, tabs=TABS, **extra,
                  po_assignments=lambda po_id: assignments.of_po(db.session, current_user, po_id),
                  po_hidden_jobs=lambda po_id: job_orders.hidden_on_po(db.session, current_user, po_id),
                  history=history, figures=service.balance_figures(po), line_figures=service.line_figures, can_modify=service.can_modify(current_user, po),
                  today=date.today())


def _statement_date() -> tuple[date, str | None]:
    """The statement date from the query string (default today) and why it cannot be used, if so."""
    raw, today = request.args.get("date", "").strip(), date.today()
    if not raw:
        return today, None
    value = formatting.typed_day(raw)
    from portal.services.statements import statement_date_error

    error = statement_date_error(value, today)
    return (value if error is None else today), error


@bp.get("/<int:po_id>/statement")
@requires("purchase_orders", "view")
def statement(po_id: int):
    """The client's PO statement as a page that prints as the statement (print stylesheet)."""
    from portal.services import statements

    po = service.get_po(db.session, po_id)
    as_of, error = _statement_date()
    return render_template("purchase_orders/statement.html", s=statements.statement(db.session, po, as_of),
                           date_error=error, typed=request.args.get("date", "")[:40])


@bp.get("/<int:po_id>/statement.pdf")
@requires("purchase_orders", "view")
def statement_pdf(po_id: int):
    """The same statement as a PDF (WeasyPrint); a bad date answers the page with its message."""
    from portal.services import statements
    from portal.blueprints.purchase_orders.pdf import render_pdf

    po = service.get_po(db.session, po_id)
    as_of, error = _statement_date()
    if error:
        return render_template("purchase_orders/statement.html", s=statements.statement(db.session, po, as_of),
                               date_error=error, typed=request.args.get("date", "")[:40]), 400
    html = render_template("purchase_orders/statement_pdf.html", s=statements.statement(db.session, po, as_of))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"statement-{po.debtor.code}-{po.number}-{as_of.isoformat()}.pdf")
    response = current_app.response_class(render_pdf(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _edit_po_form(po):
    """The PO's form, its lines (the PO's on GET, the posted ones on POST, with their budgets as typed)
    and its choices."""
    form = POForm(obj=po)
    if request.method == "GET":
        form.row_version.data = str(po.row_version)
        form.amount.data = f"{po.amount:.2f}"
        form.tolerance_pct.data = "" if po.tolerance_pct is None else f"{po.tolerance_pct.normalize():f}"
        form.document_type_ids.data = [e.document_type_id for e in po.eligible]
        lines = tuple(service.snapshot(po).lines)
        line_ids = tuple(line.id for line in po.lines)
        budgets_typed: tuple[str, ...] = ()
    else:
        lines, line_ids, budgets_typed = lines_from(request)
    form.debtor_id.data = po.debtor_id
    return form, lines, line_ids, budgets_typed, _fill_choices(form, po.debtor_id, po)


@bp.route("/<int:po_id>/edit", methods=["GET", "POST"])
@requires("purchase_orders", "add_edit")
def edit(po_id: int):
    po = service.get_po(db.session, po_id)
    if not service.can_modify(current_user, po):
        abort(403)
    form, lines, line_ids, budgets_typed, choices = _edit_po_form(po)
    notices: list[str] = []
    if form.validate_on_submit():
        said: list[str] = []
        try:
            service.update_po(db.session, po_id, po_input(form, lines), actor=current_user,
                              expected_version=form.edited_version(), line_ids=line_ids,
                              confirmed=bool(form.confirmed.data), notices=said)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            notices = [str(exc)]
        else:
            flash(f"PO {form.number.data or ''} saved.".replace("PO  ", "PO "), "success")
            for notice in said:
                flash(notice, "warning")
            return redirect(url_for("purchase_orders.detail", po_id=po_id))
    return render_template("purchase_orders/form.html", form=form, po=po, choices=choices, lines=lines,
                           line_ids=line_ids, budgets_typed=budgets_typed, total=po_rules.lines_total(lines),
                           notices=notices)


@bp.post("/<int:po_id>/delete")
@requires("purchase_orders", "add_edit")
def delete(po_id: int):
    try:
        service.delete_po(db.session, po_id, actor=current_user)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("purchase_orders.detail", po_id=po_id))
    flash("PO deleted.", "success")
    return redirect(url_for("purchase_orders.index"))


@bp.get("/line-row")
@requires("purchase_orders", "add_edit")
def line_row():
    """A blank master-line row for the htmx line editor."""
    groups = service.form_choices(db.session, 0).bill_code_groups
    return render_template("purchase_orders/_line_row.html", line=None, line_id=None, bill_code_groups=groups,
                           focus_row=True)


@bp.post("/lines-total")
@requires("purchase_orders", "add_edit")
def lines_total():
    """The master PO's amount as the lines are typed (the sum of the budgets, never typed)."""
    lines, _, _ = lines_from(request)
    return render_template("purchase_orders/_total.html", total=po_rules.lines_total(lines))


# ----- PO groups (seed 004) -----

@bp.get("/groups")
@requires("purchase_orders", "view")
def groups():
    debtor_id = _int_arg("debtor_id")
    debtor = find_debtor(db.session, debtor_id)
    if debtor_id and debtor is None:
        abort(404)
    return render_template("purchase_orders/groups.html", debtor=debtor, debtors=all_debtors(db.session),
                           groups=po_groups.groups_of(db.session, debtor.id if debtor else None),
                           can_modify=lambda group: po_groups.can_modify(current_user, group))


@bp.route("/groups/new", methods=["GET", "POST"], defaults={"group_id": None})
@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@requires("purchase_orders", "add_edit")
def edit_group(group_id: int | None):
    group = None
    if group_id is not None:
        group = po_groups.get_group(db.session, group_id)
        if not po_groups.can_modify(current_user, group):
            abort(403)
        debtor = group.debtor
    else:
        debtor = get_debtor(db.session, _int_arg("debtor_id") or 0)
    form = GroupForm(obj=group)
    if request.method == "GET" and group:
        form.row_version.data = str(group.row_version)
    if form.validate_on_submit():
        try:
            po_groups.save_group(db.session, debtor.id, group_id, actor=current_user, description=form.description.data,
                                 active=bool(form.active.data), expected_version=form.edited_version())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.form_errors = [str(exc)]
        else:
            flash("PO group saved.", "success")
            return redirect(url_for("purchase_orders.groups", debtor_id=debtor.id))
    return render_template("purchase_orders/group_form.html", form=form, group=group, debtor=debtor)


@bp.post("/groups/<int:group_id>/delete")
@requires("purchase_orders", "add_edit")
def delete_group(group_id: int):
    try:
        group = po_groups.get_group(db.session, group_id)
        debtor_id = group.debtor_id
        po_groups.delete_group(db.session, group_id, actor=current_user)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("purchase_orders.groups", debtor_id=group.debtor_id))
    flash("PO group deleted.", "success")
    return redirect(url_for("purchase_orders.groups", debtor_id=debtor_id))
