from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints import exporting
from portal.blueprints.debtors.forms import DebtorForm
from portal.blueprints.forms import apply_errors, page_arg
from portal.extensions import db
from portal.htmx import render
from portal.services import audit, debtors as service
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("debtors", __name__, url_prefix="/debtors")


def _input(form: DebtorForm) -> service.DebtorInput:
    return service.DebtorInput(
        code=form.code.data or "", name=form.name.data or "",
        enforce_purchase_orders=bool(form.enforce_purchase_orders.data),
        over_budget_policy=form.over_budget_policy.data or "", active=bool(form.active.data),
        notes=form.notes.data or "",
    )


@bp.get("/", strict_slashes=False)
@requires("debtors", "view")
def index():
    q = request.args.get("q", "")[:200]
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.debtors_export(s, q=q), fmt)
    page = service.list_debtors(db.session, q=q, page=page_arg(request.args.get("page")),
                                per_page=current_app.config["PAGE_SIZE"])
    return render("debtors/index.html", "debtors/_rows.html", page=page, q=q)


@bp.route("/new", methods=["GET", "POST"])
@requires("debtors", "add_edit")
def create():
    form = DebtorForm()
    if form.validate_on_submit():
        try:
            debtor = service.create_debtor(db.session, _input(form), actor=current_user)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(f"Debtor {debtor.code} created.", "success")
            return redirect(url_for("debtors.detail", debtor_id=debtor.id))
    return render_template("debtors/form.html", form=form, debtor=None)


@bp.get("/<int:debtor_id>")
@requires("debtors", "view")
def detail(debtor_id: int):
    debtor = service.get_debtor(db.session, debtor_id)
    tab = request.args.get("tab", "summary")
    history = audit.history_of(db.session, "debtors", debtor.id) if tab == "history" else []
    context = {}
    if tab == "purchase_orders":
        from datetime import date

        from portal.services import po_groups, purchase_orders

        flt = purchase_orders.POFilter(debtor_id=debtor.id, include_expired=request.args.get("expired") == "1")
        context = {"page": purchase_orders.list_purchase_orders(db.session, flt, today=date.today(),
                                                                page=page_arg(request.args.get("page")),
                                                                per_page=current_app.config["PAGE_SIZE"]),
                   "flt": flt, "figures": purchase_orders.balance_figures,
                   "groups": po_groups.groups_of(db.session, debtor.id)}
    if tab == "contracts":  # seed 000: its contracts and open opportunities
        from portal.services import contracts, opportunities

        context = {"contracts": contracts.contracts_of_debtor(db.session, current_user, debtor.id)
                   if current_user.can("contracts", "view") else None,
                   "opportunities": opportunities.open_of_debtor(db.session, current_user, debtor.id)
                   if current_user.can("opportunities", "view") else None,
                   "leads": contracts.relationship_leads(db.session, debtor.id)}
    return render("debtors/detail.html", "debtors/_tab.html", debtor=debtor, tab=tab, history=history, **context)


@bp.route("/<int:debtor_id>/edit", methods=["GET", "POST"])
@requires("debtors", "add_edit")
def edit(debtor_id: int):
    debtor = service.get_debtor(db.session, debtor_id)
    form = DebtorForm(obj=debtor)
    if request.method == "GET":
        form.row_version.data = str(debtor.row_version)
    if form.validate_on_submit():
        try:
            service.update_debtor(db.session, debtor_id, _input(form), actor=current_user,
                                  expected_version=form.edited_version())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.form_errors = [str(exc)]
        else:
            flash("Debtor saved.", "success")
            return redirect(url_for("debtors.detail", debtor_id=debtor_id))
    return render_template("debtors/form.html", form=form, debtor=debtor)


@bp.post("/<int:debtor_id>/delete")
@requires("debtors", "full")
def delete(debtor_id: int):
    try:
        service.delete_debtor(db.session, debtor_id, actor=current_user)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("debtors.detail", debtor_id=debtor_id))
    flash("Debtor deleted.", "success")
    return redirect(url_for("debtors.index"))
