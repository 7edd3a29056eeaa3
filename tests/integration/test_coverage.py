from datetime import date
from decimal import Decimal

import pytest

from portal.models import BillCode, BillCodeGroup, POLine, PurchaseOrder
from portal.services import coverage
from portal.services.errors import ValidationFailed
from tests import factories


def _setup(session):
    debtor = factories.debtor(session)
    ord_, ot, exp = (BillCode(code=c) for c in ("ORD", "OT", "EXP"))
    labour = BillCodeGroup(name="Labour", bill_codes=[ord_, ot])
    expenses = BillCodeGroup(name="Expenses", bill_codes=[exp])
    po = PurchaseOrder(debtor_id=debtor.id, number="M1", kind="multi_line_master", effective=date(2026, 1, 1),
                       expiration=date(2026, 12, 31), amount=Decimal("300"))
    session.add_all([labour, expenses, po])
    session.flush()
    po.lines = [POLine(line_no=1, budget=Decimal("200"), bill_code_group_id=labour.id, secondary_po_number="M1-A"),
                POLine(line_no=2, budget=Decimal("100"), bill_code_group_id=expenses.id, secondary_po_number="M1-B")]
    session.flush()
    coverage.sync_po(session, po.id)
    session.commit()
    return po, labour, expenses, ord_, ot, exp


def test_each_bill_code_finds_its_line(db_session):
    po, labour, expenses, ord_, ot, exp = _setup(db_session)
    assert coverage.line_for_bill_code(db_session, po.id, ot.id) == po.lines[0].id
    assert coverage.line_for_bill_code(db_session, po.id, exp.id) == po.lines[1].id
    other = BillCode(code="ALLOW")
    db_session.add(other)
    db_session.flush()
    assert coverage.line_for_bill_code(db_session, po.id, other.id) is None


def test_editing_a_group_into_a_clash_is_refused_with_the_po_and_code(db_session):
    po, labour, expenses, ord_, ot, exp = _setup(db_session)
    expenses.bill_codes.append(ot)
    with pytest.raises(ValidationFailed, match="PO M1: bill code OT would be in lines 1 and 2"):
        coverage.sync_group(db_session, expenses.id)
    db_session.rollback()
    assert [c.code for c in db_session.get(BillCodeGroup, expenses.id).bill_codes] == ["EXP"]
