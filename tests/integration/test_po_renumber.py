"""A renumbered PO's spend follows it in the spend by PO number report (found from outside: the report kept the
spend so far under the old number, a PO that no longer exists, and only later spend under the new one)."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from portal.models import DocumentLine, PurchaseOrder
from portal.services import integrity, purchase_orders, reports
from tests import factories
from tests.integration.test_posting import draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def _report(s, debtor):
    page = reports.spend_by_po_number(s, debtor.id)
    return [(r.po_number, r.used, r.documents) for r in page.rows], page.totals


def test_a_renumbered_pos_spend_moves_to_its_new_number_with_its_documents(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "W-200", amount="1000")
    typed = factories.job(s, world["debtor"])
    typed.po_reference = "W-200"  # the same text typed on the fly for another job: not the PO's, it stays
    s.commit()
    first = draft(world, "Sales Invoice", [line(world, "120", po=po), line(world, "5", typed)])
    assert post(world, first).posted
    data = purchase_orders.snapshot(s.get(PurchaseOrder, po.id))
    purchase_orders.update_po(s, po.id, replace(data, number="W-201"), actor=world["user"])
    assert post(world, draft(world, "Sales Invoice", [line(world, "31.50", po=po)])).posted
    rows, totals = _report(s, world["debtor"])
    assert rows == [("W-200", D("5.00"), 1), ("W-201", D("151.50"), 2)]
    assert totals[0] == D("156.50")
    assert set(s.scalars(select(DocumentLine.po_number).where(DocumentLine.po_id == po.id))) == {"W-201"}
    assert integrity.check(s) == []
