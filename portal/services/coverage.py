"""Which bill codes each master PO line covers (seed 003): no bill code in two lines of one PO.

`po_line_bill_codes` is derived from the lines' bill code groups and carries a UNIQUE (PO, bill
code) index, so the rule holds in the database even when two people edit at once. Call
`sync_po` after a master PO's lines change and `sync_group` after a group's members change; both
raise ValidationFailed naming the PO, lines and bill codes that would be in two lines, and the
caller's transaction must then be rolled back.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import BillCode, POLine, PurchaseOrder, bill_code_group_members, po_line_bill_codes
from portal.services.errors import ValidationFailed


def _insert_for(session: Session, line_filter) -> None:
    """Each PO line covers every bill code of its bill code group."""
    rows = (
        select(POLine.po_id, POLine.id, bill_code_group_members.c.bill_code_id)
        .join(bill_code_group_members, bill_code_group_members.c.group_id == POLine.bill_code_group_id)
        .where(line_filter)
    )
    session.execute(po_line_bill_codes.insert().from_select(["po_id", "po_line_id", "bill_code_id"], rows))


def _clashes(session: Session, line_filter) -> list[str]:
    """Human-readable clashes among the lines selected by `line_filter` and their PO's other lines."""
    l1, l2 = POLine.__table__.alias("l1"), POLine.__table__.alias("l2")
    m1, m2 = bill_code_group_members.alias("m1"), bill_code_group_members.alias("m2")
    po_ids = select(POLine.po_id).where(line_filter).scalar_subquery()
    stmt = (
        select(PurchaseOrder.number, l1.c.line_no, l2.c.line_no, BillCode.code)
        .select_from(l1)
        .join(l2, (l2.c.po_id == l1.c.po_id) & (l2.c.line_no > l1.c.line_no))
        .join(m1, m1.c.group_id == l1.c.bill_code_group_id)
        .join(m2, (m2.c.group_id == l2.c.bill_code_group_id) & (m2.c.bill_code_id == m1.c.bill_code_id))
        .join(BillCode, BillCode.id == m1.c.bill_code_id)
        .join(PurchaseOrder, PurchaseOrder.id == l1.c.po_id)
        .where(l1.c.po_id.in_(po_ids))
        .order_by(PurchaseOrder.number, l1.c.line_no, BillCode.code)
    )
    return [f"PO {num}: bill code {code} would be in lines {a} and {b}" for num, a, b, code in session.execute(stmt)]


def _sync(session: Session, line_filter, field: str) -> None:
    """Rebuild the bill codes the lines cover; a bill code on two lines of one PO is refused, naming each clash."""
    # the sub-transaction lets the caller report every clash instead of a bare IntegrityError
    try:
        with session.begin_nested():
            session.execute(delete(po_line_bill_codes).where(
                po_line_bill_codes.c.po_line_id.in_(select(POLine.id).where(line_filter))))
            _insert_for(session, line_filter)
    except IntegrityError:
        clashes = _clashes(session, line_filter) or ["a bill code would be in two lines of one PO"]
        raise ValidationFailed({field: [f"No bill code may sit in two lines of one PO: {'; '.join(clashes)}."]})


def sync_po(session: Session, po_id: int, field: str = "lines") -> None:
    """Re-derive the covered bill codes of one PO's lines (call after its lines change)."""
    session.flush()
    _sync(session, POLine.po_id == po_id, field)


def sync_group(session: Session, group_id: int, field: str = "bill_codes") -> None:
    """Re-derive the covered bill codes of every line using a group (call after its members change)."""
    session.flush()
    _sync(session, POLine.bill_code_group_id == group_id, field)


def line_for_bill_code(session: Session, po_id: int, bill_code_id: int) -> int | None:
    """The master line of `po_id` whose group holds `bill_code_id` (None: not covered)."""
    return session.scalar(select(po_line_bill_codes.c.po_line_id).where(
        po_line_bill_codes.c.po_id == po_id, po_line_bill_codes.c.bill_code_id == bill_code_id))
