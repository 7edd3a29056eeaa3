"""What still refers to a record, so it is never deleted while referenced.

One registry, filled here and nowhere else: for each model, the queries counting what refers to an
instance ("3 purchase orders"). A delete service calls `delete_unreferenced`, which asks it.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import (AlertTemplate, BillCode, BillCodeGroup, CatalogCharge, Contract, Debtor, Delivery,
                           Document, DocumentLine, DocumentType, JobOrder, JobPOAssignment, LedgerEntry, Opportunity,
                           POEligibleType, POGroup, POLine, PurchaseOrder, Role, ServiceDeskCharge, ServiceDeskItem,
                           SsoGroupMapping, alert_template_roles, bill_code_group_members, po_line_bill_codes)
from portal.domain import formatting
from portal.services import audit
from portal.services.errors import Conflict, NotFound
from portal.services.locks import locked


def _count(table, *where) -> Select:
    return select(func.count()).select_from(table).where(*where)


def _group_assignments_on(po: PurchaseOrder) -> Select:
    """SQL for domain.po_edit.group_jobs_left_without_po on delete: assignments to the PO's group
    that hold an active job on one of the PO's days (the group's jobs draw on it then)."""
    if po.group_id is None:
        return select(literal(0))
    first, last = po.effective, po.expiration
    return (select(func.count()).select_from(JobPOAssignment).join(JobOrder, JobOrder.id == JobPOAssignment.job_id)
            .where(JobPOAssignment.group_id == po.group_id,
                   JobPOAssignment.start_date <= last,
                   or_(JobPOAssignment.manual_end.is_(None), JobPOAssignment.manual_end >= first),
                   JobOrder.start_date <= last,
                   or_(JobOrder.discontinued_date.is_(None), JobOrder.discontinued_date >= first),
                   JobOrder.start_date <= func.coalesce(JobPOAssignment.manual_end, last),
                   JobPOAssignment.start_date <= func.coalesce(JobOrder.discontinued_date, last)))


# model -> [(count statement for an instance, noun)], in the order the message names them
REFERENCES: dict[type, list[tuple[Callable[[object], Select], str]]] = {
    PurchaseOrder: [
        (lambda po: _count(DocumentLine, DocumentLine.po_id == po.id), "document line"),
        (lambda po: _count(LedgerEntry, LedgerEntry.po_id == po.id), "ledger entry"),
        (lambda po: _count(JobPOAssignment, JobPOAssignment.po_id == po.id), "job assignment"),
        (lambda po: _group_assignments_on(po), "job assignment through its PO group"),
        (lambda po: _count(Contract, Contract.po_id == po.id), "contract"),
        (lambda po: _count(Opportunity, Opportunity.po_id == po.id), "opportunity"),
        (lambda po: _count(ServiceDeskItem, ServiceDeskItem.customer_po_id == po.id), "service desk item"),
    ],
    Debtor: [
        (lambda d: _count(PurchaseOrder, PurchaseOrder.debtor_id == d.id), "purchase order"),
        (lambda d: _count(POGroup, POGroup.debtor_id == d.id), "PO group"),
        (lambda d: _count(JobOrder, JobOrder.debtor_id == d.id), "job order"),
        (lambda d: _count(Document, Document.debtor_id == d.id), "document"),
        (lambda d: _count(Contract, Contract.debtor_id == d.id), "contract"),
        (lambda d: _count(ServiceDeskItem, ServiceDeskItem.debtor_id == d.id), "service desk item"),
    ],
    POGroup: [
        (lambda g: _count(PurchaseOrder, PurchaseOrder.group_id == g.id), "purchase order"),
        (lambda g: _count(JobPOAssignment, JobPOAssignment.group_id == g.id), "job assignment"),
    ],
    BillCode: [
        (lambda c: _count(bill_code_group_members, bill_code_group_members.c.bill_code_id == c.id), "bill code group"),
        (lambda c: _count(DocumentLine, DocumentLine.bill_code_id == c.id), "document line"),
        (lambda c: _count(LedgerEntry, LedgerEntry.bill_code_id == c.id), "ledger entry"),
        (lambda c: _count(po_line_bill_codes, po_line_bill_codes.c.bill_code_id == c.id), "master PO line"),
        (lambda c: _count(Delivery, Delivery.bill_code_id == c.id), "contract delivery"),
        (lambda c: _count(CatalogCharge, CatalogCharge.bill_code_id == c.id), "catalog charge"),
        (lambda c: _count(ServiceDeskCharge, ServiceDeskCharge.bill_code_id == c.id), "service desk charge"),
    ],
    BillCodeGroup: [
        (lambda g: _count(POLine, POLine.bill_code_group_id == g.id), "PO line"),
    ],
    DocumentType: [
        (lambda t: _count(Document, Document.document_type_id == t.id), "document"),
        (lambda t: _count(POEligibleType, POEligibleType.document_type_id == t.id), "purchase order eligibility"),
    ],
    AlertTemplate: [
        (lambda t: _count(PurchaseOrder, PurchaseOrder.alert_template_id == t.id), "purchase order"),
    ],
}


# model -> [(statement selecting the names of what refers to an instance, noun)]: references the database would
# cascade away with the record (foreign keys ON DELETE CASCADE), named because the administrator has to go and
# change each of them first (a role's SSO group mappings carry a branch limit too; a template left with no
# recipient alerts no one)
NAMED_REFERENCES: dict[type, list[tuple[Callable[[object], Select], str]]] = {
    Role: [
        (lambda r: select(SsoGroupMapping.group_name).where(SsoGroupMapping.role_id == r.id)
         .order_by(func.upper(SsoGroupMapping.group_name), SsoGroupMapping.id), "SSO group mapping"),
        (lambda r: select(AlertTemplate.name).join(alert_template_roles)
         .where(alert_template_roles.c.role_id == r.id).order_by(func.upper(AlertTemplate.name)), "alert template"),
    ],
}
NAMES_SHOWN = 5  # a reference names at most this many records, then says how many more


plural = formatting.plural  # "1 ledger entry", "2 ledger entries": one helper for the whole portal


def _named(names: list[str], noun: str) -> str:
    """'alert template Watchers' for one; '3 SSO group mappings (a, b, c)' for more, at most NAMES_SHOWN named."""
    if len(names) == 1:
        return f"{noun} {names[0]}"
    more = len(names) - NAMES_SHOWN
    shown = ", ".join(names[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return f"{plural(len(names), noun)} ({shown})"


def _references(session: Session, obj) -> list[tuple[int, str]]:
    """(how many, in words) of each kind of record that refers to `obj`, in the registries' order."""
    found: list[tuple[int, str]] = []
    for statement, noun in REFERENCES.get(type(obj), []):
        if count := session.scalar(statement(obj)):
            found.append((count, plural(count, noun)))
    for statement, noun in NAMED_REFERENCES.get(type(obj), []):
        if names := list(session.scalars(statement(obj))):
            found.append((len(names), _named(names, noun)))
    return found


def references_of(session: Session, obj) -> list[str]:
    """Human-readable list of what refers to `obj` (empty: safe to delete)."""
    return [words for _, words in _references(session, obj)]


def delete_unreferenced(session: Session, model: type, pk, *, actor, label=str, guard=None) -> None:
    """Delete a record under a row lock if nothing refers to it; NotFound or Conflict otherwise.

    `guard(obj)` may raise first (an ownership rule); `label(obj)` names it in the message.
    """
    audit.acting(session, actor)
    obj = locked(session, model, pk)
    if obj is None:
        raise NotFound("No such record.")
    if guard is not None:
        guard(obj)
    refs = _references(session, obj)
    if refs:
        session.rollback()
        one = len(refs) == 1 and refs[0][0] == 1
        raise Conflict(f"{label(obj)} cannot be deleted: {', '.join(words for _, words in refs)} "
                       f"{formatting.verb(1 if one else 2, 'refers', 'refer')} to it.")
    session.delete(obj)
    try:
        session.commit()
    except IntegrityError:  # a reference the registry does not know yet (a test holds it to the schema's keys)
        session.rollback()
        raise Conflict(f"{label(obj)} cannot be deleted: other records refer to it.") from None
