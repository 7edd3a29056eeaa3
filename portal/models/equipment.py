"""Equipment priced from supplier purchase orders (seed 002): suppliers, equipment types, catalogs
with their default charges, supplier POs with lines and units, service desk items with equipment
and charges. Supplier POs are purchases from vendors: they never touch a customer PO's budget."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, Sequence, String, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Tracked

MONEY = Numeric(14, 2)
PURCHASE_PRICE = Numeric(14, 4)
MARKUP_PERCENT = Numeric(7, 2)
CHARGE_TYPES = ("recurring", "non_recurring")
UNIT_STATUSES = ("in_stock", "issued")
FULFILMENTS = ("inventory", "order")
ITEM_STATUSES = ("open", "closed", "invoiced")
service_desk_number_seq = Sequence("service_desk_number_seq", start=1001, metadata=db.metadata)


class Supplier(Tracked, db.Model):
    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        Index("uq_suppliers_name_upper", func.upper(name), unique=True),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    def __str__(self) -> str:
        return self.name


class EquipmentType(Tracked, db.Model):
    __tablename__ = "equipment_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        Index("uq_equipment_types_name_upper", func.upper(name), unique=True),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    def __str__(self) -> str:
        return self.name


class EquipmentCatalog(Tracked, db.Model):
    """What a service desk item orders: equipment of one type, billed by the catalog's default charges."""

    __tablename__ = "equipment_catalogs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    equipment_type_id: Mapped[int] = mapped_column(ForeignKey("equipment_types.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    equipment_type = relationship("EquipmentType", lazy="joined")
    charges: Mapped[list["CatalogCharge"]] = relationship(back_populates="catalog", order_by="CatalogCharge.id",
                                                          lazy="selectin")
    __table_args__ = (
        Index("uq_equipment_catalogs_name_upper", func.upper(name), unique=True),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    def __str__(self) -> str:
        return self.name


class CatalogCharge(Tracked, db.Model):
    """A catalog's default charge. At most one per catalog is PO-priced, and only a non-recurring
    one that allows an override; a PO-priced charge has no override amount (both held here)."""

    __tablename__ = "catalog_charges"
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("equipment_catalogs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="RESTRICT"))
    charge_type: Mapped[str] = mapped_column(String(14), default="non_recurring")
    override_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    default_amount: Mapped[Decimal] = mapped_column(MONEY)
    override_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    po_pricing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    markup_percent: Mapped[Decimal | None] = mapped_column(MARKUP_PERCENT)
    markup_flat: Mapped[Decimal | None] = mapped_column(MONEY)
    catalog: Mapped[EquipmentCatalog] = relationship(back_populates="charges")
    bill_code = relationship("BillCode", lazy="joined")
    __table_args__ = (
        CheckConstraint("charge_type IN ('recurring', 'non_recurring')", name="charge_type"),
        CheckConstraint("default_amount >= 0", name="default_amount_not_negative"),
        CheckConstraint("override_amount IS NULL OR (override_allowed AND override_amount >= 0)",
                        name="override_amount_allowed"),
        CheckConstraint("NOT po_pricing OR (charge_type = 'non_recurring' AND override_allowed)",
                        name="po_pricing_eligible"),
        CheckConstraint("NOT po_pricing OR override_amount IS NULL", name="po_pricing_no_override_amount"),
        CheckConstraint("markup_percent IS NULL OR markup_percent >= 0", name="markup_percent_not_negative"),
        CheckConstraint("markup_flat IS NULL OR markup_flat >= 0", name="markup_flat_not_negative"),
        Index("uq_catalog_charges_one_po_priced", "catalog_id", unique=True,
              postgresql_where=text("po_pricing")),
    )

    def audit_scope(self):
        return ("equipment_catalogs", self.catalog_id)

    @property
    def amount(self) -> Decimal:
        """What the charge costs without PO pricing: its override amount, else its default."""
        return self.override_amount if self.override_amount is not None else self.default_amount

    def __str__(self) -> str:
        return self.name


class SupplierPO(Tracked, db.Model):
    """A purchase from a supplier: what each equipment type cost (never a customer PO's budget)."""

    __tablename__ = "supplier_pos"
    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    order_date: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    # the Specific modes' picker: the service desk item this PO was bought for
    service_desk_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_desk_items.id", ondelete="SET NULL", use_alter=True), index=True)
    supplier = relationship("Supplier", lazy="joined")
    service_desk_item = relationship("ServiceDeskItem", foreign_keys=[service_desk_item_id], lazy="select")
    lines: Mapped[list["SupplierPOLine"]] = relationship(back_populates="supplier_po", order_by="SupplierPOLine.line_no",
                                                         lazy="selectin", cascade="all, delete-orphan")
    __table_args__ = (
        Index("uq_supplier_pos_number_upper", func.upper(number), unique=True),
        CheckConstraint("length(trim(number)) > 0", name="number_not_blank"),
        Index("ix_supplier_pos_order", "order_date", "number"),
    )

    def __str__(self) -> str:
        return self.number


class SupplierPOLine(Tracked, db.Model):
    __tablename__ = "supplier_po_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_po_id: Mapped[int] = mapped_column(ForeignKey("supplier_pos.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    equipment_type_id: Mapped[int] = mapped_column(ForeignKey("equipment_types.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    purchase_price: Mapped[Decimal] = mapped_column(PURCHASE_PRICE)
    supplier_po: Mapped[SupplierPO] = relationship(back_populates="lines")
    equipment_type = relationship("EquipmentType", lazy="joined")
    units: Mapped[list["EquipmentUnit"]] = relationship(back_populates="line", order_by="EquipmentUnit.serial",
                                                        lazy="selectin")
    __table_args__ = (
        UniqueConstraint("supplier_po_id", "line_no", name="uq_supplier_po_lines_po_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("purchase_price >= 0", name="price_not_negative"),
    )

    def audit_scope(self):
        return ("supplier_pos", self.supplier_po_id)

    @property
    def awaits_units(self) -> bool:
        """A line takes units until as many as its quantity are received."""
        return len(self.units) < self.quantity

    def __str__(self) -> str:
        return f"line {self.line_no}"


class EquipmentUnit(Tracked, db.Model):
    """A unit received on a supplier PO line: in stock until a service desk item is given it."""

    __tablename__ = "equipment_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_po_line_id: Mapped[int] = mapped_column(ForeignKey("supplier_po_lines.id", ondelete="RESTRICT"), index=True)
    serial: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="in_stock")
    line: Mapped[SupplierPOLine] = relationship(back_populates="units", lazy="joined")
    __table_args__ = (
        Index("uq_equipment_units_serial_upper", func.upper(serial), unique=True),
        CheckConstraint("status IN ('in_stock', 'issued')", name="status"),
        CheckConstraint("length(trim(serial)) > 0", name="serial_not_blank"),
    )

    def __str__(self) -> str:
        return self.serial


class ServiceDeskItem(Tracked, db.Model):
    """A customer's service request; closing it makes a Repair Order, invoicing it a Service Invoice."""

    __tablename__ = "service_desk_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True,
                                        server_default=text("'SD' || nextval('service_desk_number_seq')::text"))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job_orders.id", ondelete="RESTRICT"), index=True)
    customer_po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="open")
    supplier_po_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_pos.id", ondelete="SET NULL"))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    service_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    debtor = relationship("Debtor", lazy="joined")
    job = relationship("JobOrder", lazy="select")
    customer_po = relationship("PurchaseOrder", lazy="select")
    supplier_po = relationship("SupplierPO", foreign_keys=[supplier_po_id], lazy="select")
    repair_order = relationship("Document", foreign_keys=[repair_order_id], lazy="select")
    service_invoice = relationship("Document", foreign_keys=[service_invoice_id], lazy="select")
    equipment: Mapped[list["ServiceDeskEquipment"]] = relationship(
        back_populates="item", order_by="ServiceDeskEquipment.id", lazy="selectin", cascade="all, delete-orphan")
    charges: Mapped[list["ServiceDeskCharge"]] = relationship(
        back_populates="item", order_by="ServiceDeskCharge.id", lazy="selectin", cascade="all, delete-orphan")
    # the item's edit form edits neither list (each line and charge has its own version): changing them leaves the
    # item's row version (portal/services/audit.py _changed_for_version)
    __version_ignores__ = ("equipment", "charges")
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'invoiced')", name="status"),
        CheckConstraint("length(trim(description)) > 0", name="description_not_blank"),
        CheckConstraint("status = 'open' OR repair_order_id IS NOT NULL", name="closed_has_repair_order"),
    )

    @property
    def charges_total(self) -> Decimal:
        """Its charges added up; a charge still awaiting its unit counts nothing."""
        return sum((c.amount for c in self.charges if c.amount is not None), Decimal("0"))

    def __str__(self) -> str:
        return self.number or "new service desk item"


class ServiceDeskEquipment(Tracked, db.Model):
    """Equipment ordered on a service desk item: from inventory (a unit is picked) or by order."""

    __tablename__ = "service_desk_equipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_desk_items.id", ondelete="CASCADE"), index=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("equipment_catalogs.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    fulfilment: Mapped[str] = mapped_column(String(10), default="order")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_units.id", ondelete="RESTRICT"))
    supplier_po_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_pos.id", ondelete="RESTRICT"))
    item: Mapped[ServiceDeskItem] = relationship(back_populates="equipment")
    catalog = relationship("EquipmentCatalog", lazy="joined")
    unit = relationship("EquipmentUnit", lazy="joined")
    supplier_po = relationship("SupplierPO", lazy="joined")
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 10000", name="quantity_range"),
        CheckConstraint("fulfilment IN ('inventory', 'order')", name="fulfilment"),
        CheckConstraint("unit_id IS NULL OR fulfilment = 'inventory'", name="unit_only_from_inventory"),
        Index("uq_service_desk_equipment_unit", "unit_id", unique=True, postgresql_where=text("unit_id IS NOT NULL")),
    )

    def audit_scope(self):
        return ("service_desk_items", self.item_id)

    def __str__(self) -> str:
        return f"{self.catalog} × {self.quantity}" if self.catalog else "equipment"


class ServiceDeskCharge(Tracked, db.Model):
    """A charge on a service desk item, from a catalog default charge of its equipment. `rate` is
    None while a PO-priced charge awaits its unit (Exact pricing, inventory fulfilment)."""

    __tablename__ = "service_desk_charges"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_desk_items.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("service_desk_equipment.id", ondelete="CASCADE"), index=True)
    catalog_charge_id: Mapped[int] = mapped_column(ForeignKey("catalog_charges.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(120))
    bill_code_id: Mapped[int] = mapped_column(ForeignKey("bill_codes.id", ondelete="RESTRICT"))
    charge_type: Mapped[str] = mapped_column(String(14))
    quantity: Mapped[int] = mapped_column(Integer)
    rate: Mapped[Decimal | None] = mapped_column(MONEY)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    po_priced: Mapped[bool] = mapped_column(Boolean, default=False)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    source_description: Mapped[str] = mapped_column(String(500), default="")
    item: Mapped[ServiceDeskItem] = relationship(back_populates="charges")
    catalog_charge = relationship("CatalogCharge", lazy="joined")
    bill_code = relationship("BillCode", lazy="joined")
    __table_args__ = (
        CheckConstraint("charge_type IN ('recurring', 'non_recurring')", name="charge_type"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("(rate IS NULL) = (amount IS NULL)", name="rate_and_amount_together"),
        CheckConstraint("rate IS NULL OR (rate >= 0 AND amount >= 0)", name="not_negative"),
    )

    def audit_scope(self):
        return ("service_desk_items", self.item_id)

    @property
    def awaiting_unit(self) -> bool:
        return self.rate is None

    def __str__(self) -> str:
        return self.name
