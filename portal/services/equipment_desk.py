"""Service desk items (seed 002): equipment ordered for a customer, its charges priced from the
catalog or from supplier POs, and the documents they become (closing makes a Repair Order,
invoicing a Service Invoice, through the documents services so the customer PO rules apply)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import pricing
from portal.domain.purchase_orders import parse_money
from portal.models import (CatalogCharge, Debtor, Document, DocumentType, EquipmentCatalog, EquipmentUnit,
                           JobOrder, PurchaseOrder, ServiceDeskCharge, ServiceDeskEquipment, ServiceDeskItem, SupplierPO,
                           SupplierPOLine)
from portal.services import audit, document_choices, documents, equipment
from portal.services.debtors import DebtorOption, all_debtors, inactive_problem, like_pattern
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.job_visibility import branch_limit, get_job, visible
from portal.services.locks import locked
from portal.services.paging import Page, paginate

REPAIR_ORDER, SERVICE_INVOICE = "Repair Order", "Service Invoice"


def visible_items(stmt, user):
    """Job security: an item tied to a job outside the user's branches is not listed."""
    limit = branch_limit(user)
    if limit is None:
        return stmt
    return stmt.where(ServiceDeskItem.job_id.is_(None)
                      | ServiceDeskItem.job_id.in_(select(JobOrder.id).where(JobOrder.branch_id.in_(limit))))


def list_items(session: Session, user, *, q: str = "", status: str = "", page: int = 1, per_page: int = 25) -> Page:
    """One page of the service desk items the user may see, newest first, by status and search."""
    stmt = visible_items(select(ServiceDeskItem), user)
    if status in ("open", "closed", "invoiced"):
        stmt = stmt.where(ServiceDeskItem.status == status)
    if q.strip():
        pattern = like_pattern(q.strip())
        stmt = stmt.join(Debtor).where(ServiceDeskItem.number.ilike(pattern) | ServiceDeskItem.description.ilike(pattern)
                                       | Debtor.name.ilike(pattern) | Debtor.code.ilike(pattern))
    return paginate(session, stmt.order_by(ServiceDeskItem.id.desc()), page, per_page)


def pickable_debtors(session: Session) -> tuple[DebtorOption, ...]:
    """The debtors a service desk item may be for: the active ones, by code (the worker's list)."""
    return all_debtors(session, active_only=True)


def pickable_jobs(session: Session, user, debtor_id: int) -> list[JobOrder]:
    """The debtor's job orders the user may see, newest number first, that an item may be raised against."""
    return list(session.scalars(visible(select(JobOrder), user).where(JobOrder.debtor_id == debtor_id)
                                .order_by(JobOrder.number.desc()).limit(equipment.PICKER_LIMIT)))


def billable_po():
    """The PO (of the statement) may be an item's customer PO: its Repair Order names it, so it is eligible for
    Repair Order, and its Service Invoice keeps it, or takes its split PO twin, so it or the twin is eligible
    for Service Invoice (DESIGN: a line's PO is "limited to the debtor's POs eligible for its type")."""
    return (document_choices.eligible_for_type_named(REPAIR_ORDER)
            & document_choices.eligible_for_type_named(SERVICE_INVOICE, or_twin=True))


def pickable_customer_pos(session: Session, debtor_id: int, keep_po_id: int | None = None) -> list[PurchaseOrder]:
    """The debtor's POs, latest expiry first, that an item may be billed on (`billable_po`), and the one it
    has (`keep_po_id`, shown rather than dropped; saving says why it no longer may be). One query."""
    billable = billable_po() | (PurchaseOrder.id == keep_po_id) if keep_po_id else billable_po()
    return list(session.scalars(select(PurchaseOrder).where(PurchaseOrder.debtor_id == debtor_id, billable)
                                .order_by(PurchaseOrder.expiration.desc(), PurchaseOrder.number, PurchaseOrder.id)
                                .limit(equipment.PICKER_LIMIT)))


def pickable_catalog(session: Session) -> list[EquipmentCatalog]:
    """The active catalog entries, by name, that equipment on an item may be."""
    return list(session.scalars(select(EquipmentCatalog).where(EquipmentCatalog.active.is_(True))
                                .order_by(EquipmentCatalog.name).limit(equipment.PICKER_LIMIT)))


def recent_items(session: Session, user) -> list[ServiceDeskItem]:
    """The supplier PO form's picker: the most recent service desk items the user may see."""
    return list(session.scalars(visible_items(select(ServiceDeskItem), user).order_by(ServiceDeskItem.id.desc())
                                .limit(equipment.PICKER_LIMIT)))


def get_item(session: Session, user, item_id: int, *, lock: bool = False) -> ServiceDeskItem:
    """The item, or NotFound when absent or tied to a job outside the user's branches."""
    item = locked(session, ServiceDeskItem, item_id) if lock else session.get(ServiceDeskItem, item_id)
    if item is None:
        raise NotFound("No such service desk item.")
    if item.job_id is not None:
        get_job(session, user, item.job_id)  # job security: another branch's item is not there
    return item


def _open(session: Session, user, item_id: int) -> ServiceDeskItem:
    """The item, locked; only an open item can be changed."""
    item = get_item(session, user, item_id, lock=True)
    if item.status != "open":
        session.rollback()
        raise Conflict(f"{item.number} is {item.status}: only an open item can be changed.")
    return item


@dataclass(frozen=True)
class ItemInput:
    debtor_id: int | None
    description: str
    job_id: int | None = None
    customer_po_id: int | None = None
    supplier_po_id: int | None = None
    set_supplier_po: bool = False  # only with a Specific mode is the supplier PO picker on the form


def _validate_item(session: Session, user, data: ItemInput,
                   kept_debtor_id: int | None = None) -> dict[str, list[str]]:
    """An item needs a description and an active debtor (or the one it has); its job and customer PO, if chosen,
    are the debtor's."""
    errors: dict[str, list[str]] = {}
    description = (data.description or "").replace("\x00", "").strip()
    if not description:
        errors["description"] = ["Describe what the customer needs."]
    elif len(description) > 300:
        errors["description"] = ["Use at most 300 characters."]
    debtor = session.get(Debtor, data.debtor_id) if data.debtor_id else None
    if debtor is None:
        errors["debtor_id"] = ["Choose the debtor."]
    elif problem := inactive_problem(debtor, kept_debtor_id):
        errors["debtor_id"] = [problem]
    if data.job_id is not None:
        try:
            job = get_job(session, user, data.job_id)
        except NotFound:
            job = None
        if job is None or (debtor is not None and job.debtor_id != debtor.id):
            errors["job_id"] = ["Choose one of the debtor's job orders (or none)."]
    if data.customer_po_id is not None:
        po = session.get(PurchaseOrder, data.customer_po_id)
        if po is None or (debtor is not None and po.debtor_id != debtor.id):
            errors["customer_po_id"] = ["Choose one of the debtor's purchase orders (or none)."]
        elif session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.id == po.id, billable_po())) is None:
            label = f"{po.number} ({po.description})" if po.description else po.number
            errors["customer_po_id"] = [f"PO {label} is not eligible for {REPAIR_ORDER} and {SERVICE_INVOICE}, the "
                                        "documents this item becomes: choose one of the POs offered (or none)."]
    if data.set_supplier_po and data.supplier_po_id is not None and session.get(SupplierPO, data.supplier_po_id) is None:
        errors["supplier_po_id"] = ["Choose a supplier PO from the list."]
    return errors


def save_item(session: Session, user, item_id: int | None, data: ItemInput, *,
              expected_version: int | None = None) -> ServiceDeskItem:
    """Create an item, or edit an open one (debtor, job, customer PO, description, supplier PO)."""
    kept = session.scalar(select(ServiceDeskItem.debtor_id).where(ServiceDeskItem.id == item_id)) if item_id else None
    errors = _validate_item(session, user, data, kept)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    audit.acting(session, user)
    if item_id is None:
        item = ServiceDeskItem(status="open")
        session.add(item)
    else:
        item = _open(session, user, item_id)
        audit.check_version(item, expected_version)
        if item.equipment and item.debtor_id != data.debtor_id:
            session.rollback()
            raise ValidationFailed({"debtor_id": ["The item has equipment: its debtor can no longer change."]})
    item.debtor_id, item.job_id, item.customer_po_id = data.debtor_id, data.job_id, data.customer_po_id
    item.description = data.description.replace("\x00", "").strip()
    if data.set_supplier_po:
        item.supplier_po_id = data.supplier_po_id
    session.commit()
    return item


@dataclass(frozen=True)
class EquipmentInput:
    catalog_id: int | None
    quantity: str
    fulfilment: str
    unit_id: int | None = None
    supplier_po_id: int | None = None
    set_supplier_po: bool = False


def _price_charges(session: Session, line: ServiceDeskEquipment, settings: pricing.Settings, *,
                   reprice: bool = True) -> None:
    """(Re)make the line's charges from its catalog's default charges. A PO-priced charge is
    priced from supplier POs while the feature is on; a charge overridden by hand keeps its rate;
    with the feature Off existing rates stay as they are (one awaiting its unit gets the catalog's)."""
    existing = {c.catalog_charge_id: c for c in line.item.charges if c.equipment_id == line.id}
    type_lines = None
    for cc in line.catalog.charges:
        charge = existing.pop(cc.id, None)
        if charge is None:
            charge = ServiceDeskCharge(item=line.item, equipment_id=line.id, catalog_charge_id=cc.id, name=cc.name,
                                       bill_code_id=cc.bill_code_id, charge_type=cc.charge_type, overridden=False)
            session.add(charge)
            fresh = True
        else:
            fresh = False
        charge.quantity = line.quantity
        # with the feature Off a rate stays as it is, but a charge left awaiting its unit has none: it is priced
        # as a normal charge (the catalog's) rather than wait for ever
        if fresh or (reprice and not charge.overridden and (settings.enabled or charge.rate is None)):
            rate, text, po_priced = cc.amount, ("Catalog override amount" if cc.override_amount is not None
                                                else "Catalog default"), False
            if cc.po_pricing and settings.enabled:
                if type_lines is None:
                    type_lines = equipment.lines_of_type(session, line.catalog.equipment_type_id)
                unit_line = None
                if line.unit is not None:
                    u = line.unit.line
                    unit_line = pricing.SupplierLine(u.supplier_po.id, u.supplier_po.number, u.supplier_po.order_date,
                                                     u.line_no, u.quantity, u.purchase_price)
                result = pricing.price(settings, type_lines, markup_percent=cc.markup_percent,
                                       markup_flat=cc.markup_flat, chosen_po_id=line.supplier_po_id,
                                       inventory=line.fulfilment == "inventory", unit=unit_line,
                                       unit_serial=line.unit.serial if line.unit else "",
                                       default_text=f" {pricing.shown(cc.amount)}")
                text = result.description
                if result.from_pos:
                    rate, po_priced = result.amount, True
            charge.rate, charge.po_priced, charge.source_description = rate, po_priced, text[:500]
        charge.amount = pricing.half_up(charge.rate * charge.quantity) if charge.rate is not None else None
    for stale in existing.values():  # a catalog charge removed since: its line charge goes too
        session.delete(stale)


def _validate_equipment(session: Session, item: ServiceDeskItem, data: EquipmentInput,
                        current: ServiceDeskEquipment | None) -> tuple[dict, EquipmentCatalog | None, int, EquipmentUnit | None]:
    """Equipment needs a catalog and a whole quantity (1 to 10,000); a picked unit is in stock, of the type, one."""
    errors: dict[str, list[str]] = {}
    catalog = session.get(EquipmentCatalog, data.catalog_id) if data.catalog_id else None
    if catalog is None:
        errors["catalog_id"] = ["Choose the catalog."]
    qty = parse_money(data.quantity)
    if qty is None or qty != qty.to_integral_value() or not 1 <= qty <= 10_000:
        errors["quantity"] = ["Enter the quantity as a whole number from 1 to 10,000."]
        qty = Decimal(1)
    if data.fulfilment not in ("inventory", "order"):
        errors["fulfilment"] = ["Choose inventory or order."]
    unit = None
    if data.unit_id is not None:
        unit = locked(session, EquipmentUnit, data.unit_id)
        mine = current is not None and current.unit_id == data.unit_id
        if data.fulfilment != "inventory":
            errors["unit_id"] = ["A unit is picked only with inventory fulfilment."]
        elif unit is None or (unit.status != "in_stock" and not mine) or (
                catalog is not None and unit.line.equipment_type_id != catalog.equipment_type_id):
            errors["unit_id"] = ["Choose an in-stock unit of the catalog's equipment type."]
        elif qty != 1:
            errors["quantity"] = ["With a unit picked the quantity is 1 (add a line per unit)."]
    if data.set_supplier_po and data.supplier_po_id is not None and session.get(SupplierPO, data.supplier_po_id) is None:
        errors["supplier_po_id"] = ["Choose a supplier PO from the list."]
    return errors, catalog, int(qty), unit


def save_equipment(session: Session, user, item_id: int, line_id: int | None, data: EquipmentInput, *,
                   expected_version: int | None = None) -> ServiceDeskEquipment:
    """Add or change equipment on an open item and (re)price its charges; a picked unit is issued,
    one let go goes back in stock. `expected_version`: the line's row version the form was opened on; a form
    opened before someone else's change to the line is refused (it would put their quantity and prices back)."""
    item = _open(session, user, item_id)
    current = None
    if line_id is not None:
        current = next((e for e in item.equipment if e.id == line_id), None)
        if current is None:
            session.rollback()
            raise NotFound("No such equipment on this item.")
        session.refresh(current)  # as the item's lock leaves it: another save may have come first
        try:
            audit.check_version(current, expected_version)
        except Conflict:
            session.rollback()
            raise
    errors, catalog, qty, unit = _validate_equipment(session, item, data, current)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    audit.acting(session, user)
    line = current or ServiceDeskEquipment(item=item)
    if current is None:
        session.add(line)
    if current is not None and current.unit is not None and current.unit_id != data.unit_id:
        current.unit.status = "in_stock"
    if current is not None and current.catalog_id != catalog.id:
        for c in [c for c in item.charges if c.equipment_id == current.id]:
            item.charges.remove(c)
            session.delete(c)
    line.catalog, line.quantity, line.fulfilment = catalog, qty, data.fulfilment
    line.unit = unit
    if unit is not None:
        unit.status = "issued"
    if data.set_supplier_po:
        line.supplier_po_id = data.supplier_po_id
    session.flush()
    _price_charges(session, line, equipment.pricing_settings(session))
    if too_large := [c for c in item.charges if c.equipment_id == line.id and c.amount is not None
                     and c.amount > pricing.MAX_AMOUNT]:
        session.rollback()  # found from outside: the database refused it, on an error page that lost the form
        raise ValidationFailed({"quantity": [f"At {qty:,} the charge {too_large[0].name} ({too_large[0].rate:,.2f} "
                                             "each) comes to more than any amount can be: enter a smaller quantity."]})
    session.commit()
    return line


def remove_equipment(session: Session, user, item_id: int, line_id: int) -> None:
    """Take equipment off an open item: its unit goes back in stock and its charges go with it."""
    item = _open(session, user, item_id)
    line = next((e for e in item.equipment if e.id == line_id), None)
    if line is None:
        session.rollback()
        raise NotFound("No such equipment on this item.")
    audit.acting(session, user)
    if line.unit is not None:
        line.unit.status = "in_stock"
    for c in [c for c in item.charges if c.equipment_id == line.id]:
        item.charges.remove(c)
    item.equipment.remove(line)
    session.commit()


def override_charge(session: Session, user, item_id: int, charge_id: int, rate_text: str, *,
                    expected_version: int | None = None) -> ServiceDeskCharge:
    """A user's own rate over the priced one, while the item is open; the description says so.
    `expected_version`: the charge's row version the item page was opened on; a charge re-priced (or overridden)
    since is refused as stale, so the rate is typed again over the price now shown."""
    item = _open(session, user, item_id)
    charge = next((c for c in item.charges if c.id == charge_id), None)
    if charge is None:
        session.rollback()
        raise NotFound("No such charge on this item.")
    session.refresh(charge)  # as the item's lock leaves it: a re-pricing may have come first
    try:
        audit.check_version(charge, expected_version)
    except Conflict:
        session.rollback()
        raise
    rate = parse_money(rate_text)
    errors = (["Enter the rate as a number, e.g. 120.00."] if rate is None else
              pricing.decimal_errors(rate, "rate", places=2, maximum=pricing.MAX_AMOUNT))
    if not errors and pricing.half_up(rate * charge.quantity) > pricing.MAX_AMOUNT:
        errors = ["That rate times the quantity is more than any amount can be."]
    if errors:
        session.rollback()
        raise ValidationFailed({"rate": errors})
    audit.acting(session, user)
    charge.rate, charge.overridden = rate, True
    charge.amount = pricing.half_up(rate * charge.quantity)
    charge.source_description = pricing.overridden(charge.source_description or "Catalog default", rate)
    session.commit()
    return charge


def _type_named(session: Session, name: str) -> DocumentType:
    doc_type = session.scalar(select(DocumentType).where(func.upper(DocumentType.name) == name.upper(),
                                                         DocumentType.active.is_(True)))
    if doc_type is None:
        raise ValidationFailed(f"There is no active document type named {name}; add it under Maintenance.")
    return doc_type


def close_item(session: Session, user, item_id: int, *, today: date) -> Document:
    """Close an open item: its charges become a draft Repair Order through the documents service
    (the customer PO, warnings, block policy and alerts apply when it is posted)."""
    item = _open(session, user, item_id)
    if not item.charges:
        session.rollback()
        raise ValidationFailed("Add equipment with charges before closing the item.")
    waiting = [c.name for c in item.charges if c.awaiting_unit]
    if waiting:
        session.rollback()
        raise ValidationFailed(f"Pick the unit first: {', '.join(waiting)} is awaiting a unit.")
    try:
        doc_type = _type_named(session, REPAIR_ORDER)
    except ValidationFailed:
        session.rollback()
        raise
    lines = tuple(documents.LineInput(
        job_id=item.job_id, bill_code_id=c.bill_code_id, quantity=Decimal(c.quantity), rate=c.rate,
        service_date=today, description=f"{item.number} {c.name}"[:300], explicit_po_id=item.customer_po_id)
        for c in item.charges)
    data = documents.DocumentInput(debtor_id=item.debtor_id, document_type_id=doc_type.id, number="", doc_date=today,
                                   notes=f"Service desk item {item.number}: {item.description}"[:2000], lines=lines)
    try:
        doc = documents.save_draft(session, user, None, data, commit=False)
    except ValidationFailed as exc:
        session.rollback()
        raise ValidationFailed("The Repair Order could not be made: " + str(exc)) from exc
    audit.acting(session, user)
    item.status, item.repair_order_id = "closed", doc.id
    session.commit()
    return doc


def invoice_item(session: Session, user, item_id: int) -> Document:
    """Invoice a closed item whose Repair Order is posted: a draft Service Invoice made from it, so
    posting the invoice releases the order's commitment and draws on the customer's PO."""
    item = get_item(session, user, item_id, lock=True)
    if item.status != "closed":
        session.rollback()
        raise Conflict(f"{item.number} is {item.status}: only a closed item can be invoiced.")
    order = session.get(Document, item.repair_order_id)
    if order is None or order.status != "posted":
        session.rollback()
        raise ValidationFailed(f"Post Repair Order {order.number if order else ''} first; then invoice the item.")
    try:
        invoice_type = _type_named(session, SERVICE_INVOICE)
        item.status = "invoiced"  # committed with the invoice draft, in one transaction
        audit.acting(session, user)
        doc = documents.derive(session, user, order.id, invoice_type.id)
    except ValidationFailed:
        session.rollback()
        raise
    audit.acting(session, user)
    item = locked(session, ServiceDeskItem, item_id)
    item.service_invoice_id = doc.id
    session.commit()
    return doc


def charges_total(item: ServiceDeskItem) -> Decimal:
    """The item's charges added up; a charge still awaiting its unit counts nothing."""
    return item.charges_total


def units_in_stock(session: Session, equipment_type_id: int | None = None, keep_unit_id: int | None = None) -> list[EquipmentUnit]:
    """The unit picker: in-stock units (of a type), plus the one already picked."""
    stmt = select(EquipmentUnit).join(SupplierPOLine)
    cond = EquipmentUnit.status == "in_stock"
    if keep_unit_id:
        cond = cond | (EquipmentUnit.id == keep_unit_id)
    stmt = stmt.where(cond)
    if equipment_type_id:
        stmt = stmt.where(SupplierPOLine.equipment_type_id == equipment_type_id)
    return list(session.scalars(stmt.order_by(EquipmentUnit.serial).limit(equipment.PICKER_LIMIT)))


def default_supplier_po_id(session: Session, item: ServiceDeskItem, catalog: EquipmentCatalog | None,
                           settings: pricing.Settings) -> int | None:
    """The equipment form's supplier PO: the item's, else (Last or Specific) the last applicable one."""
    if item.supplier_po_id:
        return item.supplier_po_id
    if settings.selection == "last_or_specific" and catalog is not None:
        return equipment.last_applicable_po_id(session, catalog.equipment_type_id)
    return None


__all__ = ["CatalogCharge", "ItemInput", "EquipmentInput"]
