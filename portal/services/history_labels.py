"""History as users read it: field labels instead of column names, records by their names instead of
ids, kinds in words; bookkeeping columns (row versions, search keys) left out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from portal.domain import formatting
from portal.services.documents import with_lines_hidden_from
from portal.services.job_visibility import branch_limit, may_see, may_see_branch
from portal.models import (AlertTemplate, BillCode, BillCodeGroup, Branch, CatalogCharge, Contract, Debtor, Document,
                           DocumentLine, DocumentType, EquipmentCatalog, EquipmentType, JobOrder, JobPOAssignment,
                           POGroup, PurchaseOrder, Role, ServiceDeskItem, Supplier, SupplierPO, User)

HIDDEN = {"id", "row_version", "number_key", "created_at", "created_by_id", "changed_at", "changed_by_id",
          "password_hash", "session_version", "end_before_cut", "cause_before_cut"}

LABELS = {
    "debtor_id": "Debtor", "po_id": "PO", "group_id": "PO group", "alert_template_id": "Alert template",
    "document_type_id": "Document type", "branch_id": "Branch", "job_id": "Job order", "bill_code_id": "Bill code",
    "bill_code_group_id": "Bill code group", "consultant_id": "Consultant", "po_line_id": "PO line",
    "source_document_id": "Made from", "source_line_id": "Made from line", "tolerance_pct": "Tolerance %",
    "effective": "Effective", "expiration": "Expires", "enforce_purchase_orders": "Enforces purchase orders",
    "over_budget_policy": "Over-budget policy", "po_reference": "On-the-fly PO number", "start_date": "Start",
    "discontinued_date": "Discontinued", "manual_end": "Ends on", "secondary_po_number": "Secondary PO number",
    "doc_date": "Date", "bill_from": "Bill period from", "bill_to": "Bill period to", "po_number": "PO number",
    "explicit_po": "PO named on the line", "line_no": "Line", "override_used": "Posted past a blocked budget",
    "posted_at": "Posted at", "posted_by_id": "Posted by", "voided_at": "Voided at", "is_master": "Master PO",
    "supplier_id": "Supplier", "supplier_po_id": "Supplier PO", "supplier_po_line_id": "Supplier PO line",
    "equipment_type_id": "Equipment type", "catalog_id": "Catalog", "catalog_charge_id": "Catalog charge",
    "customer_po_id": "Customer PO", "item_id": "Service desk item", "equipment_id": "Equipment",
    "contract_id": "Contract", "document_id": "Document", "document_line_id": "Document line",
    "owner_id": "Owner", "role_id": "Role", "repair_order_id": "Repair order", "service_invoice_id": "Service invoice",
    "item": "Permission item",  # a role grant's
    "end_cause": "Ended by",
}
VALUES = {
    "kind": {"single_line": "Single line", "multi_line": "Multi-line", "multi_line_master": "Multi-line master"},
    "over_budget_policy": {"warn": "Warn", "block": "Block"},
    "source": {"manual": "By hand", "bulk": "Bulk assignment", "po_edit": "PO change", "job_order": "New job order"},
    "end_cause": {"manual": "Clearing by hand", "expiry": "PO expiry", "next": "Next assignment",
                  "move": "Job moved to another debtor"},
}
ENTITIES = {
    "purchase_orders": "purchase order", "po_lines": "PO line", "po_groups": "PO group", "job_orders": "job order",
    "job_po_assignments": "job PO assignment", "documents": "document", "document_lines": "document line",
    "debtors": "debtor", "bill_codes": "bill code", "bill_code_groups": "bill code group",
    "document_types": "document type", "alert_templates": "alert template", "po_eligible_types": "eligible document type",
    "role_grants": "role grant",
}
# *_id columns and how their record is named (after its label: "PO" then "4500", not "PO PO 4500")
NAMED = {
    "debtor_id": (Debtor, lambda d: str(d)), "po_id": (PurchaseOrder, lambda p: p.number),
    "group_id": (POGroup, lambda g: g.description), "alert_template_id": (AlertTemplate, lambda t: t.name),
    "document_type_id": (DocumentType, lambda t: t.name), "branch_id": (Branch, lambda b: b.code),
    "job_id": (JobOrder, lambda j: f"{j.number} {j.title}"), "bill_code_id": (BillCode, lambda c: c.code),
    "bill_code_group_id": (BillCodeGroup, lambda g: g.name), "consultant_id": (User, lambda u: u.username),
    "posted_by_id": (User, lambda u: u.username), "owner_id": (User, lambda u: u.username),
    "supplier_id": (Supplier, lambda s: s.name), "supplier_po_id": (SupplierPO, lambda p: p.number),
    "equipment_type_id": (EquipmentType, lambda t: t.name), "catalog_id": (EquipmentCatalog, lambda c: c.name),
    "catalog_charge_id": (CatalogCharge, lambda c: c.name), "customer_po_id": (PurchaseOrder, lambda p: p.number),
    "item_id": (ServiceDeskItem, lambda i: i.number), "contract_id": (Contract, lambda c: c.number),
    "document_id": (Document, lambda d: d.number), "source_document_id": (Document, lambda d: d.number),
    "repair_order_id": (Document, lambda d: d.number), "service_invoice_id": (Document, lambda d: d.number),
    "role_id": (Role, lambda r: r.name),
}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    at: datetime | None  # None: a row saying what is left out (`_left_out`)
    actor: str
    action: str
    what: str
    summary: str
    reason: str | None
    changes: list[Change]


def label(field: str) -> str:
    """A field's name as users read it in the history: its label, else the name in words ('due_date' → 'Due date')."""
    return LABELS.get(field) or field.replace("_", " ").capitalize()


def _shown(field: str, value, names: dict) -> str:
    """A value as the history shows it: a record's name for its id (or '(removed, #id)'), Yes/No, — for blank."""
    if value is None or value == "" or value == []:
        return "—"
    if field in NAMED and isinstance(value, int):
        return names.get((field, value), f"(removed, #{value})")
    if field in VALUES and isinstance(value, str):
        return VALUES[field].get(value, value)
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, list):
        return ", ".join(_shown(field, v, names) for v in value) or "—"
    if isinstance(value, str):
        if field in ("amount", "budget", "total", "rate") or field.endswith("_amount"):
            try:
                return formatting.money(Decimal(value))
            except InvalidOperation:
                return value
        if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                return formatting.day(date.fromisoformat(value[:10])) + value[10:16].replace("T", " ")
            except ValueError:
                return value
    return str(value)


# records that belong to one job order, and how their hidden entries are counted: a user limited to
# branches reads none of the history of those on another branch's job (job security, as the pages)
JOB_SCOPED = {"document_lines": (DocumentLine, "lines on"),
              "job_po_assignments": (JobPOAssignment, "assignments of")}


def _on_hidden_jobs(session: Session, entries: list, user) -> set[int]:
    """The ids of the entries of JOB_SCOPED records whose job order lies outside the user's branches: the
    record's job as stored now, else (deleted since) the last job its history names."""
    scoped = sorted((e for e in entries if e.entity_type in JOB_SCOPED), key=lambda e: e.id, reverse=True)
    if user is None or branch_limit(user) is None or not scoped:
        return set()
    job_of: dict[tuple[str, int], int | None] = {}
    for e in scoped:  # newest first: the first job named is the last the record had
        pair = (e.changes or {}).get("job_id")
        named = [v for v in (pair[::-1] if isinstance(pair, list) else [pair]) if isinstance(v, int)]
        if named:
            job_of.setdefault((e.entity_type, e.entity_id), named[0])
        elif e.scope_type == "job_orders":  # an assignment's rows are scoped to their job
            job_of.setdefault((e.entity_type, e.entity_id), e.scope_id)
    for kind, (model, _) in JOB_SCOPED.items():
        ids = {e.entity_id for e in scoped if e.entity_type == kind}
        if ids:
            job_of.update({(kind, i): j for i, j in session.execute(select(model.id, model.job_id)
                                                                    .where(model.id.in_(ids)))})
    jobs = {j for j in job_of.values() if j is not None}
    branch_of = dict(session.execute(select(JobOrder.id, JobOrder.branch_id)
                                     .where(JobOrder.id.in_(jobs))).all()) if jobs else {}
    return {e.id for e in scoped if (job := job_of.get((e.entity_type, e.entity_id))) is not None
            and not may_see_branch(user, branch_of.get(job))}


def _left_out(entries: list, hidden: set[int]) -> list[Entry]:
    """A row per kind of record saying how many of its changes are not shown (the history table has no
    other place for it)."""
    out = []
    for kind, (_, words) in JOB_SCOPED.items():
        if n := sum(1 for e in entries if e.id in hidden and e.entity_type == kind):
            out.append(Entry(None, "", "", f"{formatting.plural(n, 'change')} to {words} job orders outside your "
                                           f"branches {formatting.verb(n, 'is', 'are')} not shown.", "", None, []))
    return out


TOTAL_NOT_SHOWN = "not shown"


def _totals_not_shown(session: Session, entries: list, user, hidden: set[int]) -> set[int]:
    """The documents whose `total` the history does not show a user limited to branches: those with a line on another
    branch's job, now or by the history's hidden line entries (a line since moved or removed). Such a total less the
    lines shown is what those lines billed; the document's page shows the total of the lines shown instead."""
    if user is None or branch_limit(user) is None:
        return set()
    totals = {e.entity_id for e in entries if e.entity_type == "documents" and "total" in (e.changes or {})}
    named = {e.scope_id for e in entries if e.id in hidden and e.entity_type == "document_lines"
             and e.scope_type == "documents"} & totals
    return named | with_lines_hidden_from(session, user, totals - named)


def readable(session: Session, entries, user=None) -> list[Entry]:
    """The entries as a History table shows them; the records named are read in one query per kind.
    A job order outside the user's branches is not named (job security), only said to be hidden; the
    entries of a document line or assignment on such a job are left out, and a last row says how many; the
    total of a document with such a line is "not shown", and a row says why."""
    entries = list(entries)
    hidden = _on_hidden_jobs(session, entries, user)
    left_out = _left_out(entries, hidden)
    totals_not_shown = _totals_not_shown(session, entries, user, hidden)
    if totals_not_shown:
        left_out.append(Entry(None, "", "", "The document's total is not shown: it counts lines on job orders "
                                            "outside your branches.", "", None, []))
    entries = [e for e in entries if e.id not in hidden]
    wanted: dict[str, set[int]] = {}
    for e in entries:
        for field, pair in (e.changes or {}).items():
            if field in NAMED:
                for v in pair if isinstance(pair, list) else [pair]:
                    if isinstance(v, int):
                        wanted.setdefault(field, set()).add(v)
    names: dict[tuple[str, int], str] = {}
    for field, ids in wanted.items():
        model, name = NAMED[field]
        # the records' own columns name them: none of their eager relationships (a PO's lines, types,
        # balance and forecast, a user's roles and grants) is read
        for obj in session.scalars(select(model).where(model.id.in_(ids)).options(lazyload("*"))):
            hidden = model is JobOrder and user is not None and not may_see(user, obj)
            names[(field, obj.id)] = "a job order of another branch" if hidden else name(obj)
    out = []
    for e in entries:
        changes = []
        for field, pair in (e.changes or {}).items():
            if field in HIDDEN:
                continue
            old, new = (pair if isinstance(pair, list) and len(pair) == 2 else (None, pair))
            if field == "total" and e.entity_type == "documents" and e.entity_id in totals_not_shown:
                changes.append(Change(label(field), TOTAL_NOT_SHOWN, TOTAL_NOT_SHOWN))
                continue
            changes.append(Change(label(field), _shown(field, old, names), _shown(field, new, names)))
        out.append(Entry(e.at, str(e.actor) if e.actor else "system", e.action,
                         ENTITIES.get(e.entity_type, e.entity_type.replace("_", " ")), e.summary or "", e.reason,
                         changes))
    return out + left_out
