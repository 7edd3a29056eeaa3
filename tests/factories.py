"""Small factories for test data."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from portal.models import Branch, Debtor, Role, User
from portal.services.passwords import hash_password

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def role(session, name: str) -> Role:
    return session.scalars(select(Role).where(Role.name == name)).one()


def user(session, username: str | None = None, role_name: str = "Administrator", *, branches=(),
         active: bool = True) -> User:
    username = username or f"user{next(_seq)}"
    obj = User(username=username, full_name=username.title(), email=f"{username}@example.com",
               password_hash=hash_password(PASSWORD), roles=[role(session, role_name)] if role_name else [],
               branches=list(branches), active=active)
    session.add(obj)
    session.commit()
    return obj


def branch(session, code: str | None = None) -> Branch:
    code = code or f"B{next(_seq)}"
    obj = Branch(code=code, name=f"Branch {code}")
    session.add(obj)
    session.commit()
    return obj


def debtor(session, code: str | None = None, **kw) -> Debtor:
    code = code or f"D{next(_seq)}"
    obj = Debtor(code=code, name=kw.pop("name", f"Debtor {code}"), **kw)
    session.add(obj)
    session.commit()
    return obj


def document_types(session) -> dict:
    from portal.models import DocumentType

    return {t.name: t for t in session.scalars(select(DocumentType))}


def po_group(session, debtor, description: str | None = None, active: bool = True):
    from portal.models import POGroup

    obj = POGroup(debtor_id=debtor.id, description=description or f"Group {next(_seq)}", active=active)
    session.add(obj)
    session.commit()
    return obj


def po(session, debtor, number: str | None = None, *, amount="10000.00", effective=None, expiration=None,
       kind="single_line", group=None, types=None, tolerance=None, used="0", commitments="0", estimates="0",
       created_by=None, **kw):
    """A PO with its balance row and eligible types (default all) written straight to the tables."""
    from datetime import date
    from decimal import Decimal

    from portal.models import POBalance, POEligibleType, PurchaseOrder

    number = number or f"PO{next(_seq)}"
    obj = PurchaseOrder(debtor_id=debtor.id, number=number, kind=kind, amount=Decimal(amount),
                        effective=effective or date(2026, 1, 1), expiration=expiration or date(2027, 12, 31),
                        group_id=group.id if group else None,
                        tolerance_pct=Decimal(str(tolerance)) if tolerance is not None else None,
                        created_by_id=created_by.id if created_by else None, **kw)
    obj.balance = POBalance(used=Decimal(used), commitments=Decimal(commitments), estimates=Decimal(estimates))
    session.add(obj)
    session.flush()
    for t in types if types is not None else document_types(session).values():
        session.add(POEligibleType(po_id=obj.id, document_type_id=t.id, debtor_id=debtor.id, number_key=number.upper()))
    session.commit()
    return obj


def bill_code_group(session, name: str, codes: list[str]):
    from portal.models import BillCode, BillCodeGroup

    existing = {c.code: c for c in session.scalars(select(BillCode))}
    members = []
    for code in codes:
        if code not in existing:
            existing[code] = BillCode(code=code, description=code)
            session.add(existing[code])
        members.append(existing[code])
    obj = BillCodeGroup(name=name, bill_codes=members)
    session.add(obj)
    session.commit()
    return obj


def job(session, debtor, branch=None, *, start=None, discontinued=None, title=None, site=""):
    from datetime import date

    from portal.models import JobOrder

    obj = JobOrder(title=title or f"Job {next(_seq)}", debtor_id=debtor.id, branch_id=(branch or globals()["branch"](session)).id,
                   start_date=start or date(2026, 1, 1), discontinued_date=discontinued, site=site)
    session.add(obj)
    session.commit()
    return obj


def assignment(session, job_obj, *, po=None, group=None, start, end=None, source="manual"):
    from portal.models import JobPOAssignment

    obj = JobPOAssignment(job_id=job_obj.id, debtor_id=job_obj.debtor_id, po_id=po.id if po else None,
                          group_id=group.id if group else None, start_date=start, manual_end=end, source=source)
    session.add(obj)
    session.commit()
    return obj


def customer(session, code: str = "ACME") -> dict:
    """A debtor with PO 4500 (1,000.00) and a job assigned to it from 2026-01-01: the customer a service desk
    item or a document is for."""
    from datetime import date

    debtor_row = debtor(session, code)
    po_row = po(session, debtor_row, "4500", amount="1000")
    job_row = job(session, debtor_row)
    assignment(session, job_row, po=po_row, start=date(2026, 1, 1))
    return {"debtor": debtor_row, "po": po_row, "job": job_row}


def equipment_setup(session, *, selection="off", pricing_method="average", percent=None, flat=None):
    """Routers: a supplier, an equipment type, a catalog with a PO-priced charge (default 75.00) and a
    recurring one, two supplier POs (SPO-1001: 2 @ 100; SPO-1007: 1 @ 130 and 3 @ 90.50) and an
    in-stock unit on each line; the PO pricing settings as given."""
    from datetime import date
    from decimal import Decimal

    from portal.models import (BillCode, CatalogCharge, EquipmentCatalog, EquipmentType, EquipmentUnit, Setting,
                               Supplier, SupplierPO, SupplierPOLine)

    n = next(_seq)
    code = session.scalar(select(BillCode).where(BillCode.code == "EQP")) or BillCode(code="EQP", description="Equipment")
    session.add(code)
    supplier = Supplier(name=f"Netgear {n}")
    router = EquipmentType(name=f"Router {n}")
    catalog = EquipmentCatalog(name=f"Router catalog {n}", equipment_type=router)
    session.add_all([supplier, router, catalog])
    session.flush()
    priced = CatalogCharge(catalog_id=catalog.id, name="Router", bill_code_id=code.id, charge_type="non_recurring",
                           override_allowed=True, default_amount=Decimal("75.00"), po_pricing=True,
                           markup_percent=Decimal(percent) if percent is not None else None,
                           markup_flat=Decimal(flat) if flat is not None else None)
    monthly = CatalogCharge(catalog_id=catalog.id, name="Monitoring", bill_code_id=code.id, charge_type="recurring",
                            override_allowed=False, default_amount=Decimal("10.00"))
    pos = []
    for number, day, lines in ((f"SPO-1001-{n}", date(2026, 1, 10), [(2, "100.0000")]),
                               (f"SPO-1007-{n}", date(2026, 2, 1), [(1, "130.0000"), (3, "90.5000")])):
        po = SupplierPO(supplier=supplier, number=number, order_date=day, notes="")
        for no, (qty, price) in enumerate(lines, 1):
            line = SupplierPOLine(line_no=no, equipment_type=router, quantity=qty, purchase_price=Decimal(price))
            line.units.append(EquipmentUnit(serial=f"RT-{n}-{number}-{no}", status="in_stock"))
            po.lines.append(line)
        pos.append(po)
    session.add_all([priced, monthly, *pos])
    row = session.get(Setting, "po_pricing") or Setting(key="po_pricing", value={})
    row.value = {"selection": selection, "pricing": pricing_method, "markup_percent": None, "markup_flat": None}
    session.add(row)
    session.commit()
    return {"supplier": supplier, "type": router, "catalog": catalog, "priced": priced, "monthly": monthly,
            "spo_1001": pos[0], "spo_1007": pos[1], "bill_code": code}


def threshold_template(session, name: str, thresholds, *, message: str = "{remaining} left"):
    """An alert template firing at the given draw percentages, subject "PO {po_number} at {percentage}%",
    sent to the Billing Admin role."""
    from decimal import Decimal

    from portal.models import AlertTemplate

    template = AlertTemplate(name=name, thresholds=[Decimal(str(t)) for t in thresholds],
                             subject="PO {po_number} at {percentage}%", message=message,
                             recipient_roles=[role(session, "Billing Admin")])
    session.add(template)
    session.commit()
    return template
