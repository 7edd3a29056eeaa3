"""The equipment pages' button-only POSTs (delete a charge, set a unit's status, remove a desk item's
equipment): each goes back to its page saying what happened, or why nothing did."""
from __future__ import annotations

from decimal import Decimal as D

from portal.models import CatalogCharge, EquipmentUnit, ServiceDeskEquipment
from portal.services import equipment_desk as desk
from tests import factories


def _flash(browser, response) -> str:
    assert response.status_code == 302, response.status_code
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def _charged_item(db_session, eq, user):
    debtor = factories.debtor(db_session, "DESK")
    item = desk.save_item(db_session, user, None, desk.ItemInput(debtor.id, "Swap the router"))
    desk.save_equipment(db_session, user, item.id, None, desk.EquipmentInput(eq["catalog"].id, "1", "order"))
    return item


def test_a_charge_is_deleted_with_a_message_and_a_charged_one_is_refused_with_the_reason(db_session, login_as):
    eq = factories.equipment_setup(db_session)
    browser, admin = login_as("Administrator")
    spare = CatalogCharge(catalog_id=eq["catalog"].id, name="Spare cable", bill_code_id=eq["bill_code"].id,
                          charge_type="non_recurring", override_allowed=False, default_amount=D("5.00"))
    db_session.add(spare)
    db_session.commit()
    spare_id, catalog_id = spare.id, eq["catalog"].id

    page = _flash(browser, browser.post(f"/equipment/catalogs/{catalog_id}/charges/{spare_id}/delete"))
    assert "Charge deleted." in page
    assert db_session.get(CatalogCharge, spare_id) is None

    _charged_item(db_session, eq, admin)
    router_id = eq["priced"].id
    page = _flash(browser, browser.post(f"/equipment/catalogs/{catalog_id}/charges/{router_id}/delete"))
    assert "is charged on service desk items: it cannot be deleted." in page
    assert "Charge deleted." not in page
    db_session.expire_all()
    assert db_session.get(CatalogCharge, router_id) is not None


def test_a_units_status_is_saved_and_an_unknown_status_is_refused(db_session, login_as):
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Administrator")
    spo = eq["spo_1001"]
    unit_id = spo.lines[0].units[0].id
    url = f"/equipment/supplier-pos/{spo.id}/units/{unit_id}/status"

    page = _flash(browser, browser.post(url, {"status": "lost"}))
    assert "Choose in stock or issued." in page
    db_session.expire_all()
    assert db_session.get(EquipmentUnit, unit_id).status == "in_stock"

    page = _flash(browser, browser.post(url, {"status": "issued"}))
    assert "Unit saved." in page
    db_session.expire_all()
    assert db_session.get(EquipmentUnit, unit_id).status == "issued"


def test_a_desk_items_equipment_is_removed_with_a_message(db_session, login_as):
    eq = factories.equipment_setup(db_session)
    browser, admin = login_as("Administrator")
    item = _charged_item(db_session, eq, admin)
    line_id = item.equipment[0].id

    page = _flash(browser, browser.post(f"/service-desk/{item.id}/equipment/{line_id}/delete"))
    assert "Equipment removed with its charges." in page
    db_session.expire_all()
    assert db_session.get(ServiceDeskEquipment, line_id) is None


def test_a_quantity_whose_charge_comes_to_more_than_any_amount_is_refused_by_its_box(db_session, login_as):
    """Found from outside: 10,000 of a catalog whose charge is 999,999,999,999.99 reached the database, which refused
    the amount on an error page that lost the form. The quantity's box says so, nothing is written."""
    from sqlalchemy import func, select

    from portal.models import ServiceDeskCharge

    eq = factories.equipment_setup(db_session)
    browser, admin = login_as("Administrator")
    for charge in db_session.scalars(select(CatalogCharge).where(CatalogCharge.catalog_id == eq["catalog"].id)):
        charge.default_amount, charge.override_amount, charge.po_pricing = D("999999999999.99"), None, False
    db_session.commit()
    debtor = factories.debtor(db_session, "DESK")
    item = desk.save_item(db_session, admin, None, desk.ItemInput(debtor.id, "Many routers"))
    url = f"/service-desk/{item.id}/equipment/new"
    form = {"catalog_id": str(eq["catalog"].id), "quantity": "10000", "fulfilment": "order"}
    page = browser.post(url, data=form)
    assert page.status_code == 200
    assert "comes to more than any amount can be: enter a smaller quantity" in page.get_data(as_text=True)
    assert 'value="10000"' in page.get_data(as_text=True)  # as typed
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(ServiceDeskEquipment)) == 0
    assert db_session.scalar(select(func.count()).select_from(ServiceDeskCharge)) == 0
