"""Contracts (item `contracts`, seed 000): enter one on a PO, schedule more, cancel deliveries, notes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints.contracts.forms import BLANK_ROWS, ContractForm, NoteForm, ScheduleForm, deliveries_from
from portal.blueprints.forms import apply_errors, int_or_none, saved_or_shown
from portal.extensions import db
from portal.models import PurchaseOrder
from portal.services import audit, contracts as service, debtors, document_choices, purchase_orders
from portal.services.errors import ValidationFailed

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


def _codes():
    return service.active_bill_codes(db.session)


def _editor(template: str, form, *, po, contract=None, typed=(), result=None, status=200, **context):
    """The contract / schedule-more form with its rows as typed and the posting check, if any."""
    rows = list(typed) or [{} for _ in range(BLANK_ROWS)]
    return render_template(template, form=form, po=po, contract=contract, rows=rows, codes=_codes(), result=result,
                           can_override=current_user.can("po_override_budget"),
                           figures=service.figures(db.session, po), **context), status


def _confirmation(form) -> dict:
    """What the form confirms: the check page's "Schedule anyway" or override, with the check the user read
    (a confirmation of another check counts for nothing: the deliveries or the PO changed since)."""
    override = bool(form.override.data)
    confirmed = form.confirmed.data == "1" or override
    return {"confirmed": confirmed, "override": override,
            "seen": request.form.get("seen", "")[:64] if confirmed else None}


def _contract_form(po: PurchaseOrder):
    """The new contract's form with its owner (the debtor's relationship leads) and job choices (a debtor with
    many jobs has them typed, as in the line editor), the leads and the job picker."""
    form = ContractForm()
    leads = service.relationship_leads(db.session, po.debtor_id)
    form.owner_id.choices = [(None, "— choose —")] + [(u.id, str(u)) for u in leads]
    jobs = document_choices.job_choices(db.session, current_user, po.debtor_id, [form.job_id.data])
    form.job_id.choices = [(None, "— none —")] + [(j.id, document_choices.job_label(j)) for j in jobs.jobs]
    return form, leads, jobs


def _contract_input(form: ContractForm, po: PurchaseOrder, leads, deliveries) -> service.ContractInput:
    """The contract form's fields and typed deliveries as the service's input."""
    return service.ContractInput(
        debtor_id=int_or_none(request.form.get("debtor_id")) or po.debtor_id, po_id=po.id,
        title=form.title.data or "", owner_id=form.owner_id.data if leads else None, job_id=form.job_id.data,
        deliveries=deliveries)


def _to_existing(po: PurchaseOrder, existing):
    """A PO has one contract: more is scheduled on it. One on another branch's job is not the user's to see
    (job security), so the message does not name it and the user goes back to the PO's Schedule tab."""
    if not service.visible(current_user, existing):
        flash(f"PO {po.number} already has a contract, on a job order outside your branches: it is not shown to you.",
              "info")
        return redirect(url_for("purchase_orders.detail", po_id=po.id, tab="schedule"))
    flash(f"PO {po.number} already has contract {existing.number}: schedule more on it.", "info")
    return redirect(url_for("contracts.detail", contract_id=existing.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("contracts", "add_edit")
def create():
    po = purchase_orders.get_po(db.session, int_or_none(request.args.get("po_id")) or 0)
    existing = service.contract_of_po(db.session, po.id)
    if existing is not None and request.method == "GET":
        return _to_existing(po, existing)
    form, leads, jobs = _contract_form(po)
    deliveries, typed = deliveries_from(request) if request.method == "POST" else ((), [])
    result = None
    if form.validate_on_submit():
        try:
            result = service.enter_contract(db.session, current_user, _contract_input(form, po, leads, deliveries),
                                            **_confirmation(form))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if result.contract is not None:
                flash(f"Contract {result.contract.number} entered: {result.amount:,.2f} scheduled on PO {po.number}.",
                      "success")
                return redirect(url_for("contracts.detail", contract_id=result.contract.id))
    return _editor("contracts/form.html", form, po=po, typed=typed, result=result, leads=leads, job_picker=jobs)


@bp.get("/job-options")
@requires("contracts", "add_edit")
def job_options():
    """The contract form's typed job box's suggestions (a debtor with many jobs), narrowed to what it holds."""
    jobs = document_choices.job_options(db.session, current_user, int_or_none(request.args.get("debtor_id")) or 0,
                                        request.args.get("job_search", "")[:100])
    return render_template("documents/_job_options.html", jobs=jobs)


@bp.get("/<int:contract_id>")
@requires("contracts", "view")
def detail(contract_id: int):
    contract = service.get_contract(db.session, current_user, contract_id)
    deliveries = service.deliveries_of(db.session, contract.id)
    from portal.services import opportunities

    schedule = service.po_schedule(db.session, current_user, contract.purchase_order)
    opp = schedule.pop("opportunity")
    orders = sorted(set(service.orders_of(db.session, contract.id).values()))
    tab = request.args.get("tab", "summary")
    history = audit.history_of(db.session, "contracts", contract.id) if tab == "history" else []
    schedule.pop("contract")
    return render_template(
        "contracts/detail.html", contract=contract, deliveries=deliveries,
        products=service.products_of(deliveries, service.scheduled_by_delivery(db.session, deliveries)),
        invoicing=service.invoicing(db.session, [d.document_line_id for d in deliveries]), orders=orders,
        opportunity=opp, can_manage=opp is not None and opportunities.can_manage(current_user, opp),
        note_form=NoteForm(), tab=tab, history=history, **schedule)


@bp.route("/<int:contract_id>/schedule", methods=["GET", "POST"])
@requires("contracts", "add_edit")
def schedule(contract_id: int):
    contract = service.get_contract(db.session, current_user, contract_id)
    form = ScheduleForm(row_version=contract.row_version)
    deliveries, typed = deliveries_from(request) if request.method == "POST" else ((), [])
    result = None
    if form.validate_on_submit():
        result = saved_or_shown(form, lambda: service.schedule_more(
            db.session, current_user, contract_id, deliveries, **_confirmation(form),
            expected_version=form.edited_version()))
        if result is not None and result.contract is not None:
            flash(f"{result.amount:,.2f} more scheduled on contract {result.contract.number}.", "success")
            return redirect(url_for("contracts.detail", contract_id=contract_id))
    contract = service.get_contract(db.session, current_user, contract_id)
    return _editor("contracts/schedule.html", form, po=contract.purchase_order, contract=contract, typed=typed,
                   result=result)


@bp.post("/<int:contract_id>/cancel")
@requires("contracts", "add_edit")
def cancel(contract_id: int):
    service.get_contract(db.session, current_user, contract_id)
    ids = [i for i in (int_or_none(v) for v in request.form.getlist("delivery_id")[:1000]) if i and i > 0]
    try:
        given = service.cancel_deliveries(db.session, current_user, contract_id, ids)
    except ValidationFailed as exc:
        flash(str(exc) if ids else "Tick the deliveries to cancel.", "error")
    else:
        flash(f"Cancelled: {given:,.2f} given back to the opportunity.", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.post("/<int:contract_id>/notes")
@requires("contracts", "add_edit")
def add_note(contract_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        flash("Keep a note to 2,000 characters.", "error")
    else:
        try:
            service.add_note(db.session, current_user, contract_id, form.text.data or "", seen_last=form.last_seen())
        except ValidationFailed as exc:
            flash(str(exc), "error")
        else:
            flash("Note added.", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id, _anchor="notes"))


@bp.get("/delivery-row")
@requires("contracts", "add_edit")
def delivery_row():
    """A blank delivery row for the editor."""
    return render_template("contracts/_delivery_row.html", row={}, codes=_codes(), focus_row=True)


@bp.route("/debtors/<int:debtor_id>/leads", methods=["GET", "POST"])
@requires("debtors", "add_edit")
def leads(debtor_id: int):
    """A debtor's relationship leads: who owns the opportunities of its POs."""
    debtor = debtors.get_debtor(db.session, debtor_id)
    error = None
    if request.method == "POST":
        form = NoteForm()  # CSRF only
        ids = [int_or_none(v) for v in request.form.getlist("user_id")[:200]]
        if form.validate_on_submit():
            try:
                service.set_leads(db.session, current_user, debtor_id, [i for i in ids if i is not None])
            except ValidationFailed as exc:
                error = str(exc)
            else:
                flash("Relationship leads saved.", "success")
                return redirect(url_for("debtors.detail", debtor_id=debtor_id, tab="contracts"))
        else:
            error = "The form expired; try again."
    chosen = {u.id for u in service.relationship_leads(db.session, debtor_id)}
    return render_template("contracts/leads.html", debtor=debtor, candidates=service.lead_candidates(db.session),
                           chosen=chosen, error=error)
