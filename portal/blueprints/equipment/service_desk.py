"""Service desk items (item `equipment_pricing`): equipment, charges priced from the catalog or from
supplier POs, overrides, and closing / invoicing through the documents services."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints.actions import run_and_return
from portal.blueprints.equipment.forms import EquipmentForm, ItemForm, OverrideForm
from portal.blueprints.forms import offer_debtors, page_arg, saved_or_shown
from portal.domain.assignment import po_option, twin_numbers
from portal.extensions import db
from portal.htmx import render
from portal.services import audit, equipment, equipment_desk as desk
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("service_desk", __name__, url_prefix="/service-desk")


@bp.get("/", strict_slashes=False)
@requires("equipment_pricing", "view")
def index():
    q, status = request.args.get("q", "")[:200], request.args.get("status", "")[:20]
    page = desk.list_items(db.session, current_user, q=q, status=status, page=page_arg(request.args.get("page")),
                           per_page=current_app.config["PAGE_SIZE"])
    return render("equipment/items.html", "equipment/_item_rows.html", page=page, q=q, status_filter=status)


def _item_choices(form: ItemForm, debtor_id: int | None, settings, keep_po_id: int | None = None) -> None:
    offer_debtors(form.debtor_id, desk.pickable_debtors(db.session))
    jobs = pos = []
    if debtor_id:
        jobs = desk.pickable_jobs(db.session, current_user, debtor_id)
        pos = desk.pickable_customer_pos(db.session, debtor_id, keep_po_id)
    form.job_id.choices = [(None, "— none —")] + [(j.id, f"{j.number} — {j.title}") for j in jobs]
    twins = twin_numbers(pos)
    form.customer_po_id.choices = [(None, "— none —")] + [
        (p.id, f"{po_option(p, twins)} ({p.effective} – {p.expiration})") for p in pos]
    form.supplier_po_id.choices = [(None, "— none —")] + [(p.id, f"{p.number} — {p.supplier} ({p.order_date})")
                                                         for p in equipment.recent_supplier_pos(db.session)]


@bp.route("/new", methods=["GET", "POST"], defaults={"desk_item_id": None})
@bp.route("/<int:desk_item_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit(desk_item_id: int | None):
    item = desk.get_item(db.session, current_user, desk_item_id) if desk_item_id else None
    settings = equipment.pricing_settings(db.session)
    form = _item_form(item, settings)
    if request.method == "POST" and request.form.get("refresh"):
        pass  # the debtor changed: show its jobs and POs, save nothing
    elif form.validate_on_submit():
        saved = saved_or_shown(form, lambda: desk.save_item(
            db.session, current_user, desk_item_id, _item_input(form, settings),
            expected_version=form.edited_version()))
        if saved is not None:
            flash(f"Service desk item {saved.number} saved.", "success")
            return redirect(url_for("service_desk.detail", desk_item_id=saved.id))
    if not settings.specific:
        del form.supplier_po_id  # the picker is there only with a Specific mode
    return render_template("equipment/item_form.html", form=form, item=item)


@bp.get("/<int:desk_item_id>")
@requires("equipment_pricing", "view")
def detail(desk_item_id: int):
    item = desk.get_item(db.session, current_user, desk_item_id)
    return render_template("equipment/item.html", item=item, settings=equipment.pricing_settings(db.session),
                           total=desk.charges_total(item), errors={},
                           history=audit.history_of(db.session, "service_desk_items", item.id, limit=50))


def _item_form(item, settings) -> ItemForm:
    """The item form: on GET filled from the item (or the debtor_id in the query), with its choices."""
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    if request.method == "GET" and item is not None:
        form.row_version.data = str(item.row_version)
    if request.method == "GET" and item is None and request.args.get("debtor_id"):
        form.debtor_id.process_data(request.args.get("debtor_id"))
        form.debtor_id.data = form.debtor_id.coerce(request.args.get("debtor_id"))
    debtor_id = form.debtor_id.data if form.debtor_id.data and form.debtor_id.data > 0 else None
    _item_choices(form, debtor_id, settings, item.customer_po_id if item is not None else None)
    return form


def _item_input(form: ItemForm, settings) -> desk.ItemInput:
    """The item form's fields as the service's input."""
    return desk.ItemInput(debtor_id=form.debtor_id.data, description=form.description.data or "",
                          job_id=form.job_id.data, customer_po_id=form.customer_po_id.data,
                          supplier_po_id=form.supplier_po_id.data, set_supplier_po=settings.specific)


def _equipment_form(item, line, settings) -> EquipmentForm:
    """The equipment form: on GET filled from the line (or the catalog_id in the query), with its choices."""
    form = EquipmentForm(obj=line) if request.method == "GET" else EquipmentForm()
    if request.method == "GET" and line is not None:
        form.quantity.data = str(line.quantity)
    if request.method == "GET" and request.args.get("catalog_id"):
        form.catalog_id.data = form.catalog_id.coerce(request.args.get("catalog_id"))
    _equipment_choices(form, item, line, settings)
    if request.method == "GET" and line is None and settings.specific:
        _default_supplier_po(form, item, settings)
    return form


def _default_supplier_po(form: EquipmentForm, item, settings) -> None:
    """Pre-select the supplier PO the desk would pick for the chosen catalog item."""
    catalog = equipment.find_catalog(db.session, form.catalog_id.data)
    form.supplier_po_id.data = desk.default_supplier_po_id(db.session, item, catalog, settings)


def _equipment_input(form: EquipmentForm, settings) -> desk.EquipmentInput:
    """The equipment form's fields as the service's input."""
    return desk.EquipmentInput(catalog_id=form.catalog_id.data, quantity=form.quantity.data or "",
                               fulfilment=form.fulfilment.data or "", unit_id=form.unit_id.data,
                               supplier_po_id=form.supplier_po_id.data, set_supplier_po=settings.specific)


def _equipment_choices(form: EquipmentForm, item, line, settings) -> None:
    form.catalog_id.choices = [(None, "— choose —")] + [
        (c.id, f"{c.name} ({c.equipment_type})") for c in desk.pickable_catalog(db.session)]
    catalog = equipment.find_catalog(db.session, form.catalog_id.data)
    units = desk.units_in_stock(db.session, catalog.equipment_type_id if catalog else None,
                                keep_unit_id=line.unit_id if line else None)
    form.unit_id.choices = [(None, "— not picked yet —")] + [
        (u.id, f"{u.serial} ({u.line.equipment_type}, {u.line.supplier_po.number})") for u in units]
    form.supplier_po_id.choices = [(None, "— none —")] + [(p.id, f"{p.number} — {p.supplier} ({p.order_date})")
                                                         for p in equipment.recent_supplier_pos(db.session)]


@bp.route("/<int:desk_item_id>/equipment/new", methods=["GET", "POST"], defaults={"equipment_id": None})
@bp.route("/<int:desk_item_id>/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit_equipment(desk_item_id: int, equipment_id: int | None):
    item = desk.get_item(db.session, current_user, desk_item_id)
    line = next((e for e in item.equipment if e.id == equipment_id), None) if equipment_id else None
    if equipment_id and line is None:
        abort(404)
    settings = equipment.pricing_settings(db.session)
    form = _equipment_form(item, line, settings)
    if request.method == "POST" and request.form.get("refresh"):
        if settings.specific and line is None and not form.supplier_po_id.data:
            _default_supplier_po(form, item, settings)
    elif form.validate_on_submit():
        saved = saved_or_shown(form, lambda: desk.save_equipment(
            db.session, current_user, desk_item_id, equipment_id, _equipment_input(form, settings),
            expected_version=form.edited_version()))
        if saved is not None:
            flash("Equipment saved; its charges are priced.", "success")
            return redirect(url_for("service_desk.detail", desk_item_id=desk_item_id))
    if not settings.specific:
        del form.supplier_po_id
    return render_template("equipment/equipment_form.html", form=form, item=item, line=line)


@bp.post("/<int:desk_item_id>/equipment/<int:equipment_id>/delete")
@requires("equipment_pricing", "add_edit")
def delete_equipment(desk_item_id: int, equipment_id: int):
    return run_and_return(lambda: desk.remove_equipment(db.session, current_user, desk_item_id, equipment_id),
                          "Equipment removed with its charges.", url_for("service_desk.detail", desk_item_id=desk_item_id))


@bp.route("/<int:desk_item_id>/charges/<int:desk_charge_id>", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def override_charge(desk_item_id: int, desk_charge_id: int):
    """Override a charge's rate; a refusal shows the item again at this address, so opening it (a reload, a
    bookmark) goes back to the item rather than answering 405."""
    if request.method == "GET":
        return redirect(url_for("service_desk.detail", desk_item_id=desk_item_id))
    try:
        desk.override_charge(db.session, current_user, desk_item_id, desk_charge_id,
                             request.form.get("rate", "")[:60], expected_version=OverrideForm().edited_version())
    except ValidationFailed as exc:
        item = desk.get_item(db.session, current_user, desk_item_id)
        return render_template("equipment/item.html", item=item, settings=equipment.pricing_settings(db.session),
                               total=desk.charges_total(item), errors={desk_charge_id: exc.errors.get("rate", [str(exc)])},
                               typed_rate=request.form.get("rate", "")[:60],
                               history=audit.history_of(db.session, "service_desk_items", item.id, limit=50)), 200
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Charge overridden.", "success")
    return redirect(url_for("service_desk.detail", desk_item_id=desk_item_id))


def _needs_documents() -> None:
    if not current_user.can("documents", "add_edit"):
        abort(403)  # the item becomes documents: making them needs that grant as well


@bp.post("/<int:desk_item_id>/close")
@requires("equipment_pricing", "add_edit")
def close(desk_item_id: int):
    _needs_documents()
    try:
        doc = desk.close_item(db.session, current_user, desk_item_id, today=date.today())
    except (ValidationFailed, Conflict) as exc:
        flash(str(exc), "error")
        return redirect(url_for("service_desk.detail", desk_item_id=desk_item_id))
    flash(f"Closed. Repair Order {doc.number} is drafted from its charges: post it to draw on the customer's PO.",
          "success")
    return redirect(url_for("documents.detail", doc_id=doc.id))


@bp.post("/<int:desk_item_id>/invoice")
@requires("equipment_pricing", "add_edit")
def invoice(desk_item_id: int):
    _needs_documents()
    try:
        doc = desk.invoice_item(db.session, current_user, desk_item_id)
    except (ValidationFailed, Conflict) as exc:
        flash(str(exc), "error")
        return redirect(url_for("service_desk.detail", desk_item_id=desk_item_id))
    flash(f"Invoiced. Service Invoice {doc.number} is drafted from the Repair Order: post it to bill the customer.",
          "success")
    return redirect(url_for("documents.detail", doc_id=doc.id))
