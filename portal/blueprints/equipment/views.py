"""Equipment pricing maintenance (item `equipment_pricing`: view reads, add_edit edits, full deletes):
suppliers, equipment types, catalogs with default charges, supplier POs with lines and units."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints.actions import run_and_return
from portal.blueprints.equipment.forms import CatalogForm, ChargeForm, NamedForm, SupplierPOForm
from portal.blueprints.forms import int_or_none, page_arg, saved_or_shown
from portal.extensions import db
from portal.htmx import render
from portal.models import CatalogCharge, EquipmentCatalog, EquipmentUnit, SupplierPO
from portal.services import audit, equipment as service, equipment_desk as desk, maintenance
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("equipment", __name__, url_prefix="/equipment")

NAMED = {"suppliers": ("suppliers", "Suppliers"), "equipment-types": ("equipment_types", "Equipment types")}
NAMED_RULE = '<any("suppliers", "equipment-types"):list_slug>'


@bp.get("/", strict_slashes=False)
@requires("equipment_pricing", "view")
def index():
    return render_template("equipment/index.html", counts=service.record_counts(db.session),
                           settings=service.pricing_settings(db.session))


@bp.get(f"/{NAMED_RULE}/")
@requires("equipment_pricing", "view")
def named(list_slug: str):
    kind, title = NAMED[list_slug]
    q = request.args.get("q", "")[:200]
    page = service.list_named(db.session, kind, q=q, page=page_arg(request.args.get("page")),
                              per_page=current_app.config["PAGE_SIZE"])
    return render("equipment/named.html", "equipment/_named_rows.html", list_slug=list_slug, title=title, page=page, q=q)


@bp.route(f"/{NAMED_RULE}/new", methods=["GET", "POST"], defaults={"record_id": None})
@bp.route(f"/{NAMED_RULE}/<int:record_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit_named(list_slug: str, record_id: int | None):
    kind, title = NAMED[list_slug]
    obj = service.get(db.session, service.NAMED[kind], record_id) if record_id else None
    form = NamedForm(obj=obj) if request.method == "GET" else NamedForm()
    if request.method == "GET" and obj is not None:
        form.row_version.data = str(obj.row_version)
    if form.validate_on_submit():
        saved = saved_or_shown(form, lambda: service.save_named(
            db.session, kind, record_id, actor=current_user, name=form.name.data, active=bool(form.active.data),
            expected_version=form.edited_version()))
        if saved is not None:
            flash(f"{saved} saved.", "success")
            return redirect(url_for("equipment.named", list_slug=list_slug))
    history = audit.history_of(db.session, service.NAMED[kind].__tablename__, obj.id) if obj else []
    return render_template("equipment/form.html", form=form, obj=obj, title=title,
                           back=url_for("equipment.named", list_slug=list_slug), history=history)


# ---- catalogs -------------------------------------------------------------------------------

@bp.get("/catalogs/")
@requires("equipment_pricing", "view")
def catalogs():
    q = request.args.get("q", "")[:200]
    page = service.list_catalogs(db.session, q=q, page=page_arg(request.args.get("page")),
                                 per_page=current_app.config["PAGE_SIZE"])
    return render("equipment/catalogs.html", "equipment/_catalog_rows.html", page=page, q=q)


def _type_choices(form) -> None:
    form.equipment_type_id.choices = [(None, "— choose —")] + [
        (t.id, t.name) for t in service.equipment_type_choices(db.session)]


@bp.route("/catalogs/new", methods=["GET", "POST"], defaults={"catalog_id": None})
@bp.route("/catalogs/<int:catalog_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit_catalog(catalog_id: int | None):
    obj = service.get(db.session, EquipmentCatalog, catalog_id, "catalog") if catalog_id else None
    form = CatalogForm(obj=obj) if request.method == "GET" else CatalogForm()
    _type_choices(form)
    if request.method == "GET" and obj is not None:
        form.row_version.data = str(obj.row_version)
    if form.validate_on_submit():
        saved = saved_or_shown(form, lambda: service.save_catalog(
            db.session, catalog_id, actor=current_user, name=form.name.data,
            equipment_type_id=form.equipment_type_id.data, active=bool(form.active.data),
            expected_version=form.edited_version()))
        if saved is not None:
            flash(f"Catalog {saved} saved.", "success")
            return redirect(url_for("equipment.catalog", catalog_id=saved.id))
    return render_template("equipment/form.html", form=form, obj=obj, title="Catalogs",
                           back=url_for("equipment.catalogs"), history=[])


@bp.get("/catalogs/<int:catalog_id>")
@requires("equipment_pricing", "view")
def catalog(catalog_id: int):
    obj = service.get(db.session, EquipmentCatalog, catalog_id, "catalog")
    return render_template("equipment/catalog.html", catalog=obj, settings=service.pricing_settings(db.session),
                           history=audit.history_of(db.session, "equipment_catalogs", obj.id, limit=50))


def _charge_input(form: ChargeForm, settings) -> service.ChargeInput:
    """The charge form's fields as the service's input."""
    return service.ChargeInput(
        name=form.name.data, bill_code_id=form.bill_code_id.data, charge_type=form.charge_type.data or "",
        override_allowed=bool(form.override_allowed.data), default_amount=form.default_amount.data or "",
        override_amount=form.override_amount.data or "",
        # while the feature is Off its fields are not on the form: leave them as they are
        po_pricing=bool(form.po_pricing.data) if settings.enabled else None,
        markup_percent=(form.markup_percent.data or "") if settings.enabled else None,
        markup_flat=(form.markup_flat.data or "") if settings.enabled else None)


def _supplier_po_form(obj) -> SupplierPOForm:
    """The supplier PO form with its supplier and service desk item choices; on GET filled from the PO."""
    form = SupplierPOForm(obj=obj) if request.method == "GET" else SupplierPOForm()
    form.supplier_id.choices = [(None, "— choose —")] + [(s.id, s.name) for s in service.supplier_choices(db.session)]
    form.service_desk_item_id.choices = [(None, "— none —")] + [
        (i.id, f"{i.number} — {i.description[:60]}") for i in desk.recent_items(db.session, current_user)]
    if request.method == "GET" and obj is not None:
        form.row_version.data = str(obj.row_version)
    return form


def _charge_form(settings, charge: CatalogCharge | None) -> ChargeForm:
    form = ChargeForm(obj=charge) if request.method == "GET" else ChargeForm()
    form.bill_code_id.choices = [(None, "— choose —")] + [
        (c.id, f"{c.code} — {c.description}" if c.description else c.code)
        for c in maintenance.active_bill_codes(db.session)]
    if request.method == "GET":
        if charge is not None:
            form.row_version.data = str(charge.row_version)
            for name in ("default_amount", "override_amount", "markup_percent", "markup_flat"):
                value = getattr(charge, name)
                getattr(form, name).data = format(value, "f") if value is not None else ""
    return form


@bp.route("/catalogs/<int:catalog_id>/charges/new", methods=["GET", "POST"], defaults={"charge_id": None})
@bp.route("/catalogs/<int:catalog_id>/charges/<int:charge_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit_charge(catalog_id: int, charge_id: int | None):
    catalog_obj = service.get(db.session, EquipmentCatalog, catalog_id, "catalog")
    charge = service.get_charge(db.session, catalog_id, charge_id) if charge_id is not None else None
    settings = service.pricing_settings(db.session)
    form = _charge_form(settings, charge)
    was_po_priced = bool(charge and charge.po_pricing)
    if form.validate_on_submit():
        saved = saved_or_shown(form, lambda: service.save_charge(
            db.session, catalog_id, charge_id, _charge_input(form, settings), actor=current_user,
            expected_version=form.edited_version()))
        if saved is not None:
            flash(service.charge_saved_message(saved, was_po_priced=was_po_priced, settings=settings), "success")
            return redirect(url_for("equipment.catalog", catalog_id=catalog_id))
    return render_template("equipment/charge_form.html", form=form, catalog=catalog_obj, charge=charge,
                           settings=settings)


@bp.post("/catalogs/<int:catalog_id>/charges/<int:charge_id>/delete")
@requires("equipment_pricing", "full")
def delete_charge(catalog_id: int, charge_id: int):
    return run_and_return(lambda: service.delete_charge(db.session, catalog_id, charge_id, actor=current_user),
                          "Charge deleted.", url_for("equipment.catalog", catalog_id=catalog_id))


# ---- supplier POs ---------------------------------------------------------------------------

@bp.get("/supplier-pos/")
@requires("equipment_pricing", "view")
def supplier_pos():
    q = request.args.get("q", "")[:200]
    page = service.list_supplier_pos(db.session, q=q, page=page_arg(request.args.get("page")),
                                     per_page=current_app.config["PAGE_SIZE"])
    return render("equipment/supplier_pos.html", "equipment/_supplier_po_rows.html", page=page, q=q)


@bp.route("/supplier-pos/new", methods=["GET", "POST"], defaults={"spo_id": None})
@bp.route("/supplier-pos/<int:spo_id>/edit", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def edit_supplier_po(spo_id: int | None):
    obj = service.get(db.session, SupplierPO, spo_id, "supplier PO") if spo_id else None
    settings = service.pricing_settings(db.session)
    form = _supplier_po_form(obj)
    if form.validate_on_submit():
        saved = saved_or_shown(form, lambda: service.save_supplier_po(
            db.session, spo_id, actor=current_user, supplier_id=form.supplier_id.data, number=form.number.data,
            order_date=form.order_date.data, notes=form.notes.data or "",
            service_desk_item_id=form.service_desk_item_id.data, set_item=settings.specific,
            expected_version=form.edited_version()))
        if saved is not None:
            flash(f"Supplier PO {saved} saved.", "success")
            return redirect(url_for("equipment.supplier_po", spo_id=saved.id))
    if not settings.specific:
        del form.service_desk_item_id  # the picker is there only with a Specific mode
    return render_template("equipment/form.html", form=form, obj=obj, title="Supplier POs",
                           back=url_for("equipment.supplier_pos"), history=[])


@bp.get("/supplier-pos/<int:spo_id>")
@requires("equipment_pricing", "view")
def supplier_po(spo_id: int):
    obj = service.get(db.session, SupplierPO, spo_id, "supplier PO")
    types = service.active_equipment_types(db.session)
    return render_template("equipment/supplier_po.html", po=obj, types=types, errors={},
                           settings=service.pricing_settings(db.session),
                           linked_item=service.linked_item(current_user, obj),
                           history=audit.history_of(db.session, "supplier_pos", obj.id, limit=50))


def _po_page_with(spo_id: int, errors: dict, form: dict):
    obj = service.get(db.session, SupplierPO, spo_id, "supplier PO")
    types = service.active_equipment_types(db.session)
    return render_template("equipment/supplier_po.html", po=obj, types=types, errors=errors, form=form,
                           settings=service.pricing_settings(db.session),
                           linked_item=service.linked_item(current_user, obj),
                           history=audit.history_of(db.session, "supplier_pos", obj.id, limit=50)), 200


@bp.route("/supplier-pos/<int:spo_id>/lines", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def add_line(spo_id: int):
    """Add a line; a refusal shows the PO again at this address, so opening it goes back to the PO."""
    if request.method == "GET":
        return redirect(url_for("equipment.supplier_po", spo_id=spo_id))
    f = request.form
    try:
        service.add_line(db.session, spo_id, actor=current_user, equipment_type_id=int_or_none(f.get("equipment_type_id")),
                         quantity=f.get("quantity", "")[:40], purchase_price=f.get("purchase_price", "")[:60])
    except ValidationFailed as exc:
        return _po_page_with(spo_id, exc.errors, f)
    flash("Line added.", "success")
    return redirect(url_for("equipment.supplier_po", spo_id=spo_id))


@bp.post("/supplier-pos/<int:spo_id>/lines/<int:spo_line_id>/delete")
@requires("equipment_pricing", "add_edit")
def delete_line(spo_id: int, spo_line_id: int):
    return run_and_return(lambda: service.delete_line(db.session, spo_id, spo_line_id, actor=current_user),
                          "Line deleted.", url_for("equipment.supplier_po", spo_id=spo_id))


@bp.route("/supplier-pos/<int:spo_id>/lines/<int:spo_line_id>/units", methods=["GET", "POST"])
@requires("equipment_pricing", "add_edit")
def receive_unit(spo_id: int, spo_line_id: int):
    """Receive a unit on a line; opening this address (after a refusal shown here) goes back to the PO."""
    if request.method == "GET":
        return redirect(url_for("equipment.supplier_po", spo_id=spo_id))
    try:
        service.receive_unit(db.session, spo_id, spo_line_id, actor=current_user, serial=request.form.get("serial", "")[:200])
    except ValidationFailed as exc:
        return _po_page_with(spo_id, {f"serial-{spo_line_id}": exc.errors.get("serial", list(exc.errors.values())[0])},
                             request.form)
    flash("Unit received.", "success")
    return redirect(url_for("equipment.supplier_po", spo_id=spo_id))


@bp.post("/supplier-pos/<int:spo_id>/units/<int:unit_id>/status")
@requires("equipment_pricing", "add_edit")
def unit_status(spo_id: int, unit_id: int):
    status = request.form.get("status", "")[:20]
    return run_and_return(lambda: service.set_unit_status(db.session, spo_id, unit_id, actor=current_user, status=status),
                          "Unit saved.", url_for("equipment.supplier_po", spo_id=spo_id),
                          refusals=(Conflict, ValidationFailed))


__all__ = ["bp", "EquipmentUnit"]
