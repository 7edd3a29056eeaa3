"""Demo data for `make run`: default roles, branches, one user per role, a few debtors.

Idempotent: running it again adds only what is missing. Later areas append their own step to
`STEPS`.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Branch, Debtor, Role, User
from portal.services import audit
from portal.services.passwords import hash_password
from portal.services.reference_data import seed_reference_data
from portal.services.security import seed_default_roles

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin", "Ada Admin", "Administrator", None),
    ("billing", "Bill Ingram", "Billing Admin", None),
    ("clerk", "Clara Clerk", "Billing Clerk", None),
    ("consultant", "Connie Sultan", "Consultant", None),
    ("consultant.north", "Nora North", "Consultant", "NTH"),
    ("lead", "Lee Relations", "Relationship Lead", None),
    ("auditor", "Audrey Tor", "Auditor", None),
]
DEMO_BRANCHES = [("NTH", "North"), ("STH", "South"), ("CTY", "City")]
DEMO_DEBTORS = [
    ("DELL", "Dell Technologies", True, "warn"),
    ("ACME", "Acme Manufacturing", False, "warn"),
    ("CITY", "City Council", True, "block"),
    ("GLOBEX", "Globex Services", False, "block"),
]


def _base(session: Session) -> None:
    seed_reference_data(session)
    roles = seed_default_roles(session)
    audit.acting(session, None)
    branches = {b.code: b for b in session.scalars(select(Branch))}
    for code, name in DEMO_BRANCHES:
        if code not in branches:
            branches[code] = Branch(code=code, name=name)
            session.add(branches[code])
    existing = {u.username for u in session.scalars(select(User))}
    for username, full_name, role, branch in DEMO_USERS:
        if username not in existing:
            session.add(User(username=username, full_name=full_name, email=f"{username}@example.com",
                             password_hash=hash_password(DEMO_PASSWORD), roles=[roles[role]],
                             branches=[branches[branch]] if branch else []))
    codes = set(session.scalars(select(func.upper(Debtor.code))))
    for code, name, enforce, policy in DEMO_DEBTORS:
        if code not in codes:
            session.add(Debtor(code=code, name=name, enforce_purchase_orders=enforce, over_budget_policy=policy))
    session.commit()


def _maintenance(session: Session) -> None:
    from portal.models import AlertTemplate, BillCode, BillCodeGroup

    audit.acting(session, None)
    codes = {c.code: c for c in session.scalars(select(BillCode))}
    for code, description in [("ORD", "Ordinary time"), ("OT", "Overtime"), ("ALLOW", "Allowances"),
                              ("EXP", "Expenses")]:
        if code not in codes:
            codes[code] = BillCode(code=code, description=description)
            session.add(codes[code])
    groups = {g.name for g in session.scalars(select(BillCodeGroup))}
    for name, members in [("Labour", ["ORD", "OT"]), ("Expenses", ["ALLOW", "EXP"])]:
        if name not in groups:
            session.add(BillCodeGroup(name=name, description=f"{name} bill codes",
                                      bill_codes=[codes[c] for c in members]))
    if not session.scalar(select(AlertTemplate).where(AlertTemplate.name == "Standard")):
        roles = session.scalars(select(Role).where(Role.name.in_(["Billing Admin", "Relationship Lead"]))).all()
        session.add(AlertTemplate(
            name="Standard", thresholds=[Decimal("75"), Decimal("90"), Decimal("100")], days_before_expiry=30,
            subject="PO {po_number} for {debtor} at {percentage}%",
            message="PO {po_number} of {debtor} has passed {percentage}% of its amount (now at {drawn}%); {remaining} remains. "
                    "It expires on {expiration}.", recipient_roles=list(roles)))
    session.commit()


def _purchase_orders(session: Session) -> None:
    from portal.domain.purchase_orders import LineInput, POInput
    from portal.models import AlertTemplate, BillCodeGroup, DocumentType, POGroup, PurchaseOrder
    from portal.services import po_groups, purchase_orders

    if session.scalar(select(func.count()).select_from(PurchaseOrder)):
        return
    admin = session.scalar(select(User).where(User.username == "billing"))
    debtors = {d.code: d for d in session.scalars(select(Debtor))}
    types = {t.name: t.id for t in session.scalars(select(DocumentType))}
    template = session.scalar(select(AlertTemplate).where(AlertTemplate.name == "Standard"))
    labour = session.scalar(select(BillCodeGroup).where(BillCodeGroup.name == "Labour"))
    expenses = session.scalar(select(BillCodeGroup).where(BillCodeGroup.name == "Expenses"))
    today = date.today()
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)

    def po(debtor: str, number: str, amount: str, **kw) -> PurchaseOrder:
        data = POInput(number=number, kind=kw.pop("kind", "single_line"), effective=kw.pop("effective", year_start),
                       expiration=kw.pop("expiration", year_end), amount=Decimal(amount),
                       tolerance_pct=kw.pop("tolerance", Decimal("90")),
                       alert_template_id=template.id if template else None, **kw)
        return purchase_orders.create_po(session, debtors[debtor].id, data, actor=admin)

    po("DELL", "4500123", "150000.00", description="Training programme 2026 (only ~20k scheduled)")
    po("ACME", "ACM-2026-01", "48000.00", kind="multi_line", tolerance=Decimal("70"),
       description="Warehouse labour, ordinary vs overtime")
    sales = tuple(types[n] for n in ("Estimate", "Sales Order", "Sales Invoice", "Credit Memo"))
    service = tuple(types[n] for n in ("Repair Order", "Service Invoice"))
    po("ACME", "ACM-SPLIT", "4000.00", description="Inventory items", document_type_ids=sales)
    po("ACME", "ACM-SPLIT", "6000.00", description="Service work", document_type_ids=service)
    group = po_groups.save_group(session, debtors["CITY"].id, None, actor=admin, description="City cleaning", active=True)
    half = date(today.year, 6, 30)
    po("CITY", "CC-H1", "60000.00", group_id=group.id, expiration=half, description="Cleaning, first half")
    po("CITY", "CC-H2", "60000.00", group_id=group.id, effective=half + timedelta(days=1), description="Cleaning, second half")
    if labour and expenses:
        po("GLOBEX", "GLX-MASTER", "0", kind="multi_line_master", description="Site services", lines=(
            LineInput(Decimal("80000.00"), labour.id, "GLX-LAB-01", "Labour"),
            LineInput(Decimal("20000.00"), expenses.id, "GLX-EXP-01", "Expenses")))
    po("DELL", "4400999", "25000.00", effective=date(today.year - 1, 1, 1), expiration=date(today.year - 1, 12, 31),
       description="Last year's PO (expired)")
    assert POGroup


def _job_orders(session: Session) -> None:
    from portal.domain.assignment import Target
    from portal.models import Branch, JobOrder, POGroup, PurchaseOrder
    from portal.services import assignments, job_orders

    if session.scalar(select(func.count()).select_from(JobOrder)):
        return
    billing = session.scalar(select(User).where(User.username == "billing"))
    consultant = session.scalar(select(User).where(User.username == "consultant"))
    debtors = {d.code: d for d in session.scalars(select(Debtor))}
    branches = {b.code: b for b in session.scalars(select(Branch))}
    pos = {p.number: p for p in session.scalars(select(PurchaseOrder))}
    group = session.scalar(select(POGroup).where(POGroup.description == "City cleaning"))
    today = date.today()
    year_start = date(today.year, 1, 1)
    plan = [
        ("DELL", "NTH", "Trainer — data centre course", "Austin campus", Target("po", pos["4500123"].id), None),
        ("DELL", "STH", "Course coordinator", "Round Rock", Target("po", pos["4500123"].id), None),
        ("ACME", "NTH", "Forklift driver", "North depot", None, "ACME-REF-77"),
        ("ACME", "CTY", "Warehouse picker", "City depot", Target("po", pos["ACM-2026-01"].id), None),
        ("ACME", "CTY", "Service technician", "City depot", None, None),
        ("GLOBEX", "STH", "Site supervisor", "South yard", Target("po", pos["GLX-MASTER"].id), None),
    ]
    plan += [("CITY", code, f"Cleaner {n}", "Town hall", Target("group", group.id), None)
             for n, code in enumerate(["NTH", "STH", "CTY", "NTH", "STH"], start=1)]
    for debtor, branch, title, site, target, reference in plan:
        job_orders.create_job(session, consultant if target is None or debtor != "CITY" else billing,
                              job_orders.JobInput(title=title, debtor_id=debtors[debtor].id,
                                                  branch_id=branches[branch].id, start_date=year_start, site=site,
                                                  consultant_id=consultant.id, po_reference=reference or "",
                                                  target=target), today=today)
    discontinued = job_orders.create_job(session, billing, job_orders.JobInput(
        title="Seasonal packer (finished)", debtor_id=debtors["ACME"].id, branch_id=branches["NTH"].id,
        start_date=year_start, discontinued_date=year_start + timedelta(days=60), site="North depot"), today=today)
    assignments.assign(session, billing, discontinued.id, Target("po", pos["ACM-2026-01"].id), year_start,
                       source="manual")


def _documents(session: Session) -> None:
    from portal.models import BillCode, Document, DocumentType, JobOrder
    from portal.services import documents, posting

    if session.scalar(select(func.count()).select_from(Document)):
        return
    billing = session.scalar(select(User).where(User.username == "billing"))
    types = {t.name: t.id for t in session.scalars(select(DocumentType))}
    codes = {c.code: c.id for c in session.scalars(select(BillCode))}
    debtors = {d.code: d for d in session.scalars(select(Debtor))}
    jobs = {j.title: j for j in session.scalars(select(JobOrder))}
    today = date.today()
    day = max(date(today.year, 1, 15), today - timedelta(days=20))

    def doc(debtor: str, type_name: str, lines: list[tuple[str, str, str, str]], post: bool = True):
        data = documents.DocumentInput(
            debtor_id=debtors[debtor].id, document_type_id=types[type_name], number="", doc_date=day,
            bill_from=day - timedelta(days=13), bill_to=day,
            lines=tuple(documents.LineInput(job_id=jobs[job].id, bill_code_id=codes[code], quantity=Decimal(qty),
                                            rate=Decimal(rate), description=f"{code} hours") for job, code, qty, rate in lines))
        draft = documents.save_draft(session, billing, None, data)
        if post:
            posting.post(session, billing, draft.id, confirmed=True, override=True, today=today)
        return draft

    doc("DELL", "Sales Invoice", [("Trainer — data centre course", "ORD", "120", "95.00"),
                                  ("Course coordinator", "ORD", "80", "70.00")])
    doc("DELL", "Estimate", [("Trainer — data centre course", "ORD", "40", "95.00")])
    doc("ACME", "Sales Order", [("Warehouse picker", "ORD", "300", "32.50")])
    doc("ACME", "Sales Invoice", [("Warehouse picker", "ORD", "600", "32.50"), ("Warehouse picker", "OT", "120", "48.75")])
    doc("ACME", "Sales Invoice", [("Forklift driver", "ORD", "40", "35.00")])  # on-the-fly PO number, no budget
    doc("GLOBEX", "Sales Invoice", [("Site supervisor", "ORD", "400", "85.00"), ("Site supervisor", "EXP", "1", "1850.00")])
    doc("CITY", "Service Invoice", [("Cleaner 1", "ORD", "900", "28.00"), ("Cleaner 2", "ORD", "880", "28.00")])
    doc("DELL", "Sales Invoice", [("Course coordinator", "ORD", "10", "70.00")], post=False)


def _equipment(session: Session) -> None:
    """Seed 002: a supplier, two supplier POs of routers, a catalog with a PO-priced charge, PO pricing
    on (All, Average, +20%, +5.00) and an open service desk item priced from them (137.00)."""
    from portal.models import BillCode, JobOrder, PurchaseOrder, Setting, Supplier
    from portal.services import equipment, equipment_desk

    if session.scalar(select(func.count()).select_from(Supplier)):
        return
    billing = session.scalar(select(User).where(User.username == "billing"))
    audit.acting(session, billing)
    if not session.scalar(select(BillCode).where(BillCode.code == "EQP")):
        session.add(BillCode(code="EQP", description="Equipment"))
    if session.get(Setting, equipment.PO_PRICING) is None:
        session.add(Setting(key=equipment.PO_PRICING, value={"selection": "all", "pricing": "average",
                                                              "markup_percent": "20", "markup_flat": "5.00"}))
    session.commit()
    code = session.scalar(select(BillCode).where(BillCode.code == "EQP"))
    supplier = equipment.save_named(session, "suppliers", None, actor=billing, name="Netgear Wholesale", active=True)
    router = equipment.save_named(session, "equipment_types", None, actor=billing, name="Router", active=True)
    catalog = equipment.save_catalog(session, None, actor=billing, name="Office router", equipment_type_id=router.id,
                                     active=True)
    equipment.save_charge(session, catalog.id, None, equipment.ChargeInput(
        name="Router", bill_code_id=code.id, charge_type="non_recurring", override_allowed=True,
        default_amount="75.00", po_pricing=True, markup_percent="", markup_flat=""), actor=billing)
    equipment.save_charge(session, catalog.id, None, equipment.ChargeInput(
        name="Router monitoring", bill_code_id=code.id, charge_type="recurring", override_allowed=False,
        default_amount="10.00"), actor=billing)
    today = date.today()
    for number, days_ago, qty, price in (("SPO-1001", 60, "2", "100.0000"), ("SPO-1007", 20, "1", "130.0000")):
        spo = equipment.save_supplier_po(session, None, actor=billing, supplier_id=supplier.id, number=number,
                                         order_date=today - timedelta(days=days_ago), notes="")
        line = equipment.add_line(session, spo.id, actor=billing, equipment_type_id=router.id, quantity=qty,
                                  purchase_price=price)
        for n in range(int(qty)):
            equipment.receive_unit(session, spo.id, line.id, actor=billing, serial=f"{number}-RT{n + 1}")
    acme = session.scalar(select(Debtor).where(Debtor.code == "ACME"))
    job = session.scalar(select(JobOrder).where(JobOrder.title == "Service technician"))
    po = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "ACM-2026-01"))
    item = equipment_desk.save_item(session, billing, None, equipment_desk.ItemInput(
        debtor_id=acme.id, description="Replace the router in the city depot office",
        job_id=job.id if job else None, customer_po_id=po.id if po else None))
    equipment_desk.save_equipment(session, billing, item.id, None, equipment_desk.EquipmentInput(
        catalog_id=catalog.id, quantity="1", fulfilment="order"))


STEPS: list[Callable[[Session], None]] = [_base, _maintenance, _purchase_orders, _job_orders, _documents, _equipment]


def load(session: Session) -> list[str]:
    """Run every demo step and return the lines to print (the demo sign-ins)."""
    for step in STEPS:
        step(session)
    lines = ["", "Demo sign-ins (password for all: %s):" % DEMO_PASSWORD]
    for username, full_name, role, branch in DEMO_USERS:
        lines.append(f"  {username:<18} {role}{' (branch ' + branch + ' only)' if branch else ''}")
    lines.append("")
    return lines


assert Role  # re-exported for steps that need it


def _contracts(session: Session) -> None:
    """Seed 000's Dell story: a PO for 150,000 with 18,000 scheduled (balance 132,000 as the lead's
    opportunity), 12,000 more scheduled on 2 March (120,000), 2,000 cancelled on 5 March (122,000)."""
    from portal.domain.contracts import Delivery as DeliveryInput
    from portal.domain.purchase_orders import POInput
    from portal.models import BillCode, Contract, PurchaseOrder, debtor_relationship_leads
    from portal.services import contracts, purchase_orders

    if session.scalar(select(func.count()).select_from(Contract)):
        return
    audit.acting(session, None)
    users = {u.username: u for u in session.scalars(select(User))}
    debtors = {d.code: d for d in session.scalars(select(Debtor))}
    code = session.scalar(select(BillCode).where(BillCode.code == "TRN"))
    if code is None:
        code = BillCode(code="TRN", description="Training classes")
        session.add(code)
    linked = set(session.execute(select(debtor_relationship_leads.c.debtor_id, debtor_relationship_leads.c.user_id)))
    for debtor in debtors.values():
        if (debtor.id, users["lead"].id) not in linked:
            session.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=users["lead"].id))
    session.commit()
    year = date.today().year
    po = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "4500150"))
    if po is None:
        po = purchase_orders.create_po(session, debtors["DELL"].id, POInput(
            number="4500150", kind="single_line", effective=date(year, 1, 1), expiration=date(year, 12, 31),
            amount=Decimal("150000.00"), description="Training classes 2026: ~20k scheduled so far",
            tolerance_pct=Decimal("90")), actor=users["billing"])

    def classes(*rows):
        return tuple(DeliveryInput(code.id, date(year, m, d), text, Decimal(qty), Decimal(rate))
                     for m, d, text, qty, rate in rows)

    lc = users["consultant"]
    contract = contracts.enter_contract(session, lc, contracts.ContractInput(
        debtors["DELL"].id, po.id, "Data centre training programme", None, None, classes(
            (3, 9, "Data centre fundamentals — class 1", "4", "1500.00"),
            (3, 16, "Data centre fundamentals — class 2", "4", "1500.00"),
            (4, 13, "Storage administration", "6", "1000.00"))),
        today=date(year, 2, 10), confirmed=True).contract
    contracts.schedule_more(session, users["lead"], contract.id, classes(
        (5, 4, "Networking essentials", "10", "1000.00"), (5, 11, "Networking lab day", "2", "1000.00")),
        today=date(year, 3, 2), confirmed=True)
    lab = next(d for d in contracts.deliveries_of(session, contract.id) if d.description == "Networking lab day")
    contracts.cancel_deliveries(session, lc, contract.id, [lab.id], today=date(year, 3, 5))
    contracts.add_note(session, users["lead"], contract.id, "Client expects to schedule the cloud track in the autumn.")

STEPS.append(_contracts)
