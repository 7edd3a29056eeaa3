"""The database holds seed 002's rules that it can hold, whatever a service forgets."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.models import CatalogCharge
from tests import factories


def _raw(session, sql: str, **params) -> None:
    with pytest.raises(IntegrityError):
        session.execute(text(sql), params)
        session.flush()
    session.rollback()


def test_one_po_priced_charge_per_catalog(db_session):
    eq = factories.equipment_setup(db_session)
    _raw(db_session, "INSERT INTO catalog_charges (catalog_id, name, bill_code_id, charge_type, override_allowed, "
                     "default_amount, po_pricing) VALUES (:c, 'Second', :b, 'non_recurring', true, 1, true)",
         c=eq["catalog"].id, b=eq["bill_code"].id)


def test_po_priced_charge_has_no_override_amount(db_session):
    eq = factories.equipment_setup(db_session)
    _raw(db_session, "UPDATE catalog_charges SET override_amount = 5 WHERE id = :id", id=eq["priced"].id)


@pytest.mark.parametrize("change", ["charge_type = 'recurring'", "override_allowed = false"])
def test_po_pricing_needs_non_recurring_with_override(db_session, change):
    eq = factories.equipment_setup(db_session)
    _raw(db_session, f"UPDATE catalog_charges SET {change} WHERE id = :id", id=eq["priced"].id)


def test_negative_and_over_precise_prices_are_refused_or_exact(db_session):
    eq = factories.equipment_setup(db_session)
    line = eq["spo_1001"].lines[0]
    _raw(db_session, "UPDATE supplier_po_lines SET purchase_price = -1 WHERE id = :id", id=line.id)
    _raw(db_session, "UPDATE supplier_po_lines SET quantity = 0 WHERE id = :id", id=line.id)
    db_session.execute(text("UPDATE supplier_po_lines SET purchase_price = 1.2345 WHERE id = :id"), {"id": line.id})
    db_session.commit()
    db_session.refresh(line)
    assert line.purchase_price == D("1.2345")


def test_charge_keeps_catalog_default_without_po_pricing(db_session):
    eq = factories.equipment_setup(db_session)
    monthly = db_session.get(CatalogCharge, eq["monthly"].id)
    assert monthly.amount == D("10.00") and not monthly.po_pricing
