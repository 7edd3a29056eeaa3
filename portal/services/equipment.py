"""Equipment pricing maintenance (seed 002): the PO pricing settings, suppliers, equipment types,
catalogs with their default charges, supplier POs with their lines and the units received.

Supplier POs are purchases from vendors: nothing here touches a customer PO or its balances.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import pricing
from portal.domain.purchase_orders import parse_money
from portal.models import (BillCode, CatalogCharge, EquipmentCatalog, EquipmentType, EquipmentUnit, Setting,
                           Supplier, SupplierPO, SupplierPOLine)
from portal.models.equipment import ServiceDeskItem
from portal.services import audit
from portal.services.debtors import like_pattern
from portal.services.edits import commit_unique, record_to_edit
from portal.services.errors import Conflict, NotFound, ValidationFailed
from portal.services.job_visibility import may_see
from portal.services.locks import locked
from portal.services.paging import Page, paginate
from portal.services.settings import commit_setting, locked_setting

PO_PRICING = "po_pricing"
PICKER_LIMIT = 200  # pickers list the most recent records, never the whole table
MAX_PERCENT = Decimal("1000")


def active_equipment_types(session: Session) -> list[EquipmentType]:
    """The equipment types a supplier PO line may be for: the active ones, by name (at most PICKER_LIMIT)."""
    return list(session.scalars(select(EquipmentType).where(EquipmentType.active.is_(True))
                                .order_by(func.upper(EquipmentType.name)).limit(PICKER_LIMIT)))


def record_counts(session: Session) -> dict[str, int]:
    """How many suppliers, equipment types, catalogs and supplier POs there are (the equipment start page)."""
    return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in
            (("suppliers", Supplier), ("equipment_types", EquipmentType), ("catalogs", EquipmentCatalog),
             ("supplier_pos", SupplierPO))}


def equipment_type_choices(session: Session) -> list[EquipmentType]:
    """The equipment types a catalog may be for, inactive ones included, by name (at most PICKER_LIMIT)."""
    return list(session.scalars(select(EquipmentType).order_by(func.upper(EquipmentType.name)).limit(PICKER_LIMIT)))


def supplier_choices(session: Session) -> list[Supplier]:
    """The suppliers a supplier PO may be from, by name (at most PICKER_LIMIT)."""
    return list(session.scalars(select(Supplier).order_by(func.upper(Supplier.name)).limit(PICKER_LIMIT)))


def find_catalog(session: Session, catalog_id: int | None) -> EquipmentCatalog | None:
    """The catalog item chosen on a form; None when none (or an impossible id) is chosen or it does not exist."""
    return session.get(EquipmentCatalog, catalog_id) if catalog_id and catalog_id > 0 else None


# ---- settings ------------------------------------------------------------------------------

def _dec(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def pricing_settings(session: Session) -> pricing.Settings:
    """The tenant's PO pricing configuration (Off until an administrator turns it on)."""
    row = session.get(Setting, PO_PRICING)
    value = dict(row.value) if row else {}
    selection = value.get("selection") if value.get("selection") in pricing.SELECTIONS else "off"
    method = value.get("pricing") if value.get("pricing") in pricing.PRICINGS else "average"
    return pricing.Settings(selection, method, _dec(value.get("markup_percent")), _dec(value.get("markup_flat")))


def markup_errors(percent: Decimal | None, flat: Decimal | None, *, prefix: str = "markup") -> dict[str, list[str]]:
    """Messages for a markup: percent up to MAX_PERCENT and flat amount up to MAX_AMOUNT, 2 places each."""
    errors: dict[str, list[str]] = {}
    if e := pricing.decimal_errors(percent, "markup percent", places=2, maximum=MAX_PERCENT):
        errors[f"{prefix}_percent"] = e
    if e := pricing.decimal_errors(flat, "flat markup", places=2, maximum=pricing.MAX_AMOUNT):
        errors[f"{prefix}_flat"] = e
    return errors


PO_PRICING_LABEL = "Purchase order pricing"


def save_pricing_settings(session: Session, *, actor, selection: str, method: str, markup_percent: str,
                          markup_flat: str, expected_version: int | None = None) -> pricing.Settings:
    """Save the PO pricing tab. Turning it Off keeps every price already on a service desk item.
    `expected_version`: the setting's row version the tab was opened on (settings.setting_version); a stale
    tab is refused (Conflict), so one administrator's older tab never puts back what another just saved."""
    errors: dict[str, list[str]] = {}
    if selection not in pricing.SELECTIONS:
        errors["selection"] = ["Choose a PO selection from the list."]
    if method not in pricing.PRICINGS:
        errors["pricing"] = ["Choose a pricing method from the list."]
    percent, flat = parse_money(markup_percent), parse_money(markup_flat)
    if (markup_percent or "").strip() and percent is None:
        errors["markup_percent"] = ["Enter the markup percent as a number, e.g. 20."]
    if (markup_flat or "").strip() and flat is None:
        errors["markup_flat"] = ["Enter the flat markup as a number, e.g. 5.00."]
    for key, messages in markup_errors(percent, flat).items():
        errors.setdefault(key, messages)
    if errors:
        raise ValidationFailed(errors)
    row = locked_setting(session, PO_PRICING, expected_version, label=PO_PRICING_LABEL)
    audit.acting(session, actor)
    row.value = {"selection": selection, "pricing": method,
                 "markup_percent": format(percent, "f") if percent is not None else None,
                 "markup_flat": format(flat, "f") if flat is not None else None}
    commit_setting(session, row, label=PO_PRICING_LABEL)
    return pricing_settings(session)


# ---- simple lists: suppliers and equipment types ------------------------------------------

NAMED = {"suppliers": Supplier, "equipment_types": EquipmentType}


def list_named(session: Session, kind: str, *, q: str = "", page: int = 1, per_page: int = 25) -> Page:
    """One page of a named list (e.g. equipment types), by name, matching the search."""
    model = NAMED[kind]
    stmt = select(model)
    if q.strip():
        stmt = stmt.where(model.name.ilike(like_pattern(q.strip())))
    return paginate(session, stmt.order_by(func.upper(model.name)), page, per_page)


def get(session: Session, model, record_id: int | None, what: str = "record"):
    """The record by id; NotFound naming `what` when there is none."""
    obj = session.get(model, record_id) if record_id else None
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def _name(errors: dict, value: str, limit: int = 120, field: str = "name", label: str = "name") -> str:
    """A name as kept: NUL characters dropped, trimmed, required and at most `limit` characters."""
    value = (value or "").replace("\x00", "").strip()
    if not value:
        errors.setdefault(field, []).append(f"Enter the {label}.")
    elif len(value) > limit:
        errors.setdefault(field, []).append(f"Use at most {limit} characters.")
    return value


def save_named(session: Session, kind: str, record_id: int | None, *, actor, name: str, active: bool,
               expected_version: int | None = None):
    """Add or rename a named record: a name is required and unique (a stale edit is refused)."""
    errors: dict[str, list[str]] = {}
    name = _name(errors, name)
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, NAMED[kind], record_id, expected_version)
    obj.name, obj.active = name, active
    commit_unique(session, "name", f"{name} exists already.")
    return obj


# ---- catalogs and their default charges ---------------------------------------------------

def list_catalogs(session: Session, *, q: str = "", page: int = 1, per_page: int = 25) -> Page:
    """One page of equipment catalogs by name, matching the search."""
    stmt = select(EquipmentCatalog)
    if q.strip():
        stmt = stmt.where(EquipmentCatalog.name.ilike(like_pattern(q.strip())))
    return paginate(session, stmt.order_by(func.upper(EquipmentCatalog.name)), page, per_page)


def save_catalog(session: Session, catalog_id: int | None, *, actor, name: str, equipment_type_id: int | None,
                 active: bool, expected_version: int | None = None) -> EquipmentCatalog:
    """Add or change a catalog: a unique name and an existing equipment type are required."""
    errors: dict[str, list[str]] = {}
    name = _name(errors, name)
    if not equipment_type_id or session.get(EquipmentType, equipment_type_id) is None:
        errors["equipment_type_id"] = ["Choose the equipment type."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, EquipmentCatalog, catalog_id, expected_version)
    obj.name, obj.equipment_type_id, obj.active = name, equipment_type_id, active
    commit_unique(session, "name", f"A catalog named {name} exists.")
    return obj


@dataclass(frozen=True)
class ChargeInput:
    name: str
    bill_code_id: int | None
    charge_type: str
    override_allowed: bool
    default_amount: str
    override_amount: str = ""
    # None: not on the form (the feature is Off), so left as they are
    po_pricing: bool | None = None
    markup_percent: str | None = None
    markup_flat: str | None = None


def _amount(errors: dict, field: str, text: str | None, label: str, *, required: bool) -> Decimal | None:
    """A typed money figure or percent: 2 places at most, up to MAX_AMOUNT (a percent up to MAX_PERCENT)."""
    text = (text or "").strip()
    if not text:
        if required:
            errors.setdefault(field, []).append(f"Enter the {label}.")
        return None
    value = parse_money(text)
    if value is None:
        errors.setdefault(field, []).append(f"Enter the {label} as a number, e.g. 50.00.")
        return None
    errors_here = pricing.decimal_errors(value, label, places=2,
                                         maximum=MAX_PERCENT if "percent" in label else pricing.MAX_AMOUNT)
    if errors_here:
        errors.setdefault(field, []).extend(errors_here)
    return value


def save_charge(session: Session, catalog_id: int, charge_id: int | None, data: ChargeInput, *, actor,
                expected_version: int | None = None) -> CatalogCharge:
    """A catalog default charge. Enabling PO pricing needs a non-recurring charge that allows an
    override, at most one per catalog; it clears the override amount and pre-fills the markups
    from the settings where the charge has none. While the feature is Off (`data.po_pricing` None) the
    flag is kept, unless the edit makes the charge ineligible or gives it an override amount: then it
    leaves PO pricing (see pricing.reasons_to_leave). Refusals say which rule."""
    catalog = locked(session, EquipmentCatalog, catalog_id)
    if catalog is None:
        raise NotFound("No such catalog.")
    errors: dict[str, list[str]] = {}
    name = _name(errors, data.name)
    if data.charge_type not in ("recurring", "non_recurring"):
        errors["charge_type"] = ["Choose recurring or non-recurring."]
    if not data.bill_code_id or session.get(BillCode, data.bill_code_id) is None:
        errors["bill_code_id"] = ["Choose the bill code the charge is invoiced under."]
    default = _amount(errors, "default_amount", data.default_amount, "default amount", required=True)
    override = _amount(errors, "override_amount", data.override_amount, "override amount", required=False)
    charge = None
    if charge_id is not None:
        charge = session.get(CatalogCharge, charge_id)
        if charge is None or charge.catalog_id != catalog_id:
            raise NotFound("No such charge.")
    po_pricing = data.po_pricing if data.po_pricing is not None else bool(charge and charge.po_pricing)
    leaving: list[str] = []
    if data.po_pricing is None and po_pricing:
        # the feature is Off: the flag is neither shown nor changed and the charge behaves as a normal one, so an
        # edit making it ineligible or typing its own override amount takes it off PO pricing (never a refusal on
        # the hidden flag, nor a typed amount dropped); an edit leaving those as they were keeps it
        leaving = pricing.reasons_to_leave(charge_type=data.charge_type, override_allowed=data.override_allowed,
                                           override_amount=override)
        po_pricing = not leaving
    if data.markup_percent is None:
        percent = charge.markup_percent if charge else None
        flat = charge.markup_flat if charge else None
    else:
        percent = _amount(errors, "markup_percent", data.markup_percent, "markup percent", required=False)
        flat = _amount(errors, "markup_flat", data.markup_flat, "flat markup", required=False)
    if override is not None and not data.override_allowed and not po_pricing:
        errors.setdefault("override_amount", []).append("Tick \"override amount allowed\" to give an override amount.")
    if po_pricing:
        if rules := pricing.eligibility_errors(charge_type=data.charge_type, override_allowed=data.override_allowed):
            errors.setdefault("po_pricing", []).extend(rules)
        other = session.scalar(select(CatalogCharge.name).where(
            CatalogCharge.catalog_id == catalog_id, CatalogCharge.po_pricing.is_(True),
            CatalogCharge.id != (charge_id or 0)))
        if other is not None:
            errors.setdefault("po_pricing", []).append(
                f"Only one charge per catalog can use PO pricing: {other} already does.")
        override = None  # enabling clears (and the form disables) the override amount
        settings = pricing_settings(session)
        percent = percent if percent is not None else settings.markup_percent
        flat = flat if flat is not None else settings.markup_flat
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    audit.acting(session, actor, reason=f"Charge {name}: {pricing.left_po_pricing(leaving)}" if leaving else None)
    if charge is None:
        charge = CatalogCharge(catalog_id=catalog_id)
        session.add(charge)
    else:
        charge = locked(session, CatalogCharge, charge_id)
        audit.check_version(charge, expected_version)
    charge.name, charge.bill_code_id, charge.charge_type = name, data.bill_code_id, data.charge_type
    charge.override_allowed, charge.default_amount = data.override_allowed, default
    charge.override_amount = override
    charge.po_pricing, charge.markup_percent, charge.markup_flat = po_pricing, percent, flat
    commit_unique(session, "po_pricing", "Only one charge per catalog can use PO pricing.")
    return charge


def charge_saved_message(charge: CatalogCharge, *, was_po_priced: bool, settings: pricing.Settings) -> str:
    """What saving a charge says; with the feature Off, also that the edit took the charge off PO pricing."""
    if was_po_priced and not charge.po_pricing and not settings.enabled:
        reasons = pricing.reasons_to_leave(charge_type=charge.charge_type, override_allowed=charge.override_allowed,
                                           override_amount=charge.override_amount)
        return f"Charge {charge} saved; {pricing.left_po_pricing(reasons)}."
    return f"Charge {charge} saved."


def get_charge(session: Session, catalog_id: int, charge_id: int) -> CatalogCharge:
    """The catalog's charge; NotFound when there is none or it belongs to another catalog."""
    charge = session.get(CatalogCharge, charge_id)
    if charge is None or charge.catalog_id != catalog_id:
        raise NotFound("No such charge.")
    return charge


def delete_charge(session: Session, catalog_id: int, charge_id: int, *, actor) -> None:
    """Delete a catalog charge, unless a service desk item is charged with it."""
    from portal.models import ServiceDeskCharge

    audit.acting(session, actor)
    charge = locked(session, CatalogCharge, charge_id)
    if charge is None or charge.catalog_id != catalog_id:
        raise NotFound("No such charge.")
    if session.scalar(select(func.count()).select_from(ServiceDeskCharge).where(
            ServiceDeskCharge.catalog_charge_id == charge_id)):
        session.rollback()
        raise Conflict(f"{charge.name} is charged on service desk items: it cannot be deleted.")
    session.delete(charge)
    session.commit()


# ---- supplier POs, their lines and units --------------------------------------------------

def list_supplier_pos(session: Session, *, q: str = "", page: int = 1, per_page: int = 25) -> Page:
    """One page of supplier POs, newest order first, matching the PO number or supplier name."""
    stmt = select(SupplierPO)
    if q.strip():
        stmt = stmt.join(Supplier).where(SupplierPO.number.ilike(like_pattern(q.strip()))
                                         | Supplier.name.ilike(like_pattern(q.strip())))
    return paginate(session, stmt.order_by(SupplierPO.order_date.desc(), SupplierPO.number.desc()), page, per_page)


def recent_supplier_pos(session: Session) -> list[SupplierPO]:
    """The picker's choices: the most recent supplier POs."""
    return list(session.scalars(select(SupplierPO).order_by(SupplierPO.order_date.desc(), SupplierPO.number.desc())
                                .limit(PICKER_LIMIT)))


def linked_item(user, po: SupplierPO) -> ServiceDeskItem | None:
    """The supplier PO's service desk item, if the user may see it (job security)."""
    item = po.service_desk_item
    return item if item is not None and may_see(user, item.job) else None


ORDER_DATES_FROM = date(2000, 1, 1)  # a supplier PO's order date: no earlier than this,
ORDER_DAYS_AHEAD = 366  # and no more than a year ahead


def save_supplier_po(session: Session, po_id: int | None, *, actor, supplier_id: int | None, number: str,
                     order_date: date | None, notes: str, service_desk_item_id: int | None = None,
                     set_item: bool = False, expected_version: int | None = None) -> SupplierPO:
    """A supplier PO's header; its service desk item is set only with a Specific mode (`set_item`)."""
    errors: dict[str, list[str]] = {}
    number = _name(errors, number, 40, "number", "supplier PO number")
    notes = (notes or "").replace("\x00", "").strip()
    if len(notes) > 5000:
        errors["notes"] = ["Use at most 5,000 characters."]
    if not supplier_id or session.get(Supplier, supplier_id) is None:
        errors["supplier_id"] = ["Choose the supplier."]
    latest = date.today() + timedelta(days=ORDER_DAYS_AHEAD)
    if order_date is None:
        errors["order_date"] = ["Enter the order date (YYYY-MM-DD)."]
    elif not ORDER_DATES_FROM <= order_date <= latest:
        # "Last" pricing takes the latest order date: a typed 9999 would price every unit from this PO for ever
        errors["order_date"] = [f"Enter an order date from {ORDER_DATES_FROM.isoformat()} to {latest.isoformat()}."]
    if set_item and service_desk_item_id is not None:
        item = session.get(ServiceDeskItem, service_desk_item_id)
        current = session.get(SupplierPO, po_id).service_desk_item_id if po_id else None
        # job security: only an item the actor may see can be linked (an unchanged link is kept)
        if item is None or (service_desk_item_id != current and not may_see(actor, item.job)):
            errors["service_desk_item_id"] = ["Choose a service desk item from the list."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, SupplierPO, po_id, expected_version)
    obj.supplier_id, obj.number, obj.order_date, obj.notes = supplier_id, number, order_date, notes
    if set_item:
        obj.service_desk_item_id = service_desk_item_id
    commit_unique(session, "number", f"Supplier PO {number} exists.")
    return obj


def add_line(session: Session, po_id: int, *, actor, equipment_type_id: int | None, quantity: str,
             purchase_price: str) -> SupplierPOLine:
    """A line: equipment type, quantity (whole units) and purchase price (to 4 decimals)."""
    po = locked(session, SupplierPO, po_id)
    if po is None:
        raise NotFound("No such supplier PO.")
    errors: dict[str, list[str]] = {}
    if not equipment_type_id or session.get(EquipmentType, equipment_type_id) is None:
        errors["equipment_type_id"] = ["Choose the equipment type."]
    qty = parse_money(quantity)
    if qty is None or qty != qty.to_integral_value() or not 0 < qty <= 100_000:
        errors["quantity"] = ["Enter the quantity as a whole number from 1 to 100,000."]
    price = parse_money(purchase_price)
    if price is None:
        errors["purchase_price"] = ["Enter the purchase price as a number, e.g. 110.5000."]
    elif e := pricing.decimal_errors(price, "purchase price", places=4, maximum=pricing.MAX_PRICE):
        errors["purchase_price"] = e
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    line_no = max((l.line_no for l in po.lines), default=0) + 1
    line = SupplierPOLine(supplier_po_id=po.id, line_no=line_no, equipment_type_id=equipment_type_id,
                          quantity=int(qty), purchase_price=price)
    session.add(line)
    session.commit()
    return line


def delete_line(session: Session, po_id: int, line_id: int, *, actor) -> None:
    """Delete a supplier PO line, unless units were received on it."""
    audit.acting(session, actor)
    line = locked(session, SupplierPOLine, line_id)
    if line is None or line.supplier_po_id != po_id:
        raise NotFound("No such line.")
    if line.units:
        session.rollback()
        raise Conflict(f"Line {line.line_no} has units received on it: it cannot be deleted.")
    session.delete(line)
    session.commit()


def receive_unit(session: Session, po_id: int, line_id: int, *, actor, serial: str) -> EquipmentUnit:
    """A unit received on a line (in stock); a line takes no more units than its quantity."""
    line = locked(session, SupplierPOLine, line_id)
    if line is None or line.supplier_po_id != po_id:
        raise NotFound("No such line.")
    errors: dict[str, list[str]] = {}
    serial = _name(errors, serial, 80, "serial", "serial number")
    if not errors and not line.awaits_units:
        errors["serial"] = [f"Line {line.line_no} ordered {line.quantity}; all of them are received."]
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    unit = EquipmentUnit(supplier_po_line_id=line.id, serial=serial, status="in_stock")
    session.add(unit)
    commit_unique(session, "serial", f"A unit with serial {serial} exists.")
    return unit


def set_unit_status(session: Session, po_id: int, unit_id: int, *, actor, status: str) -> EquipmentUnit:
    """Mark a unit in stock or issued by hand; a unit picked on a service desk item stays issued."""
    from portal.models import ServiceDeskEquipment

    unit = locked(session, EquipmentUnit, unit_id)
    if unit is None or unit.line.supplier_po_id != po_id:
        raise NotFound("No such unit.")
    if status not in ("in_stock", "issued"):
        raise ValidationFailed({"status": ["Choose in stock or issued."]})
    picked = session.scalar(select(ServiceDeskEquipment.id).where(ServiceDeskEquipment.unit_id == unit_id))
    if picked is not None and status == "in_stock":
        session.rollback()
        raise Conflict(f"Unit {unit.serial} is picked on a service desk item: remove it there first.")
    audit.acting(session, actor)
    unit.status = status
    session.commit()
    return unit


def lines_of_type(session: Session, equipment_type_id: int):
    """Every supplier PO line of an equipment type, as the pricing rules take them."""
    rows = session.execute(
        select(SupplierPO.id, SupplierPO.number, SupplierPO.order_date, SupplierPOLine.line_no,
               SupplierPOLine.quantity, SupplierPOLine.purchase_price)
        .join(SupplierPOLine, SupplierPOLine.supplier_po_id == SupplierPO.id)
        .where(SupplierPOLine.equipment_type_id == equipment_type_id))
    return [pricing.SupplierLine(*row) for row in rows]


def last_applicable_po_id(session: Session, equipment_type_id: int) -> int | None:
    """Last or Specific pre-fills this: the latest supplier PO (order date, then number) with the type."""
    with_type = (select(SupplierPO.id, SupplierPO.order_date, SupplierPO.number)
                 .join(SupplierPOLine, SupplierPOLine.supplier_po_id == SupplierPO.id)
                 .where(SupplierPOLine.equipment_type_id == equipment_type_id).subquery())
    # the POs of the latest order date (a few), then the last of them by number as pricing orders them
    latest = session.execute(select(with_type.c.id, with_type.c.number).where(
        with_type.c.order_date == select(func.max(with_type.c.order_date)).scalar_subquery())).all()
    return max(latest, key=lambda r: (pricing.number_order(r.number), r.id)).id if latest else None
