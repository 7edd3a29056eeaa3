"""Equipment priced from supplier POs through the web: settings, charge eligibility, supplier PO lines,
service desk items (pricing, pickers, overrides, closing and invoicing) and bad input."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from portal.models import (CatalogCharge, Document, LedgerEntry, POBalance, ServiceDeskCharge, ServiceDeskItem,
                           Setting, SupplierPOLine)
from tests import factories
from tests.web.forms_walk import opened_version, post_forms


def _settings(browser, selection="all", pricing="average", percent="", flat=""):
    url = "/admin/settings/po-pricing"
    return browser.post(url, {"selection": selection, "pricing": pricing, "markup_percent": percent,
                              "markup_flat": flat, "row_version": opened_version(browser, url)})


def _charge_form(eq, **kw):
    data = {"name": "Router", "bill_code_id": str(eq["bill_code"].id), "charge_type": "non_recurring",
            "default_amount": "75.00", "override_allowed": "y", "override_amount": "", "po_pricing": "y",
            "markup_percent": "", "markup_flat": ""}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def customer(db_session):
    return factories.customer(db_session)


def _item(browser, db_session, customer, **kw):
    data = {"debtor_id": str(customer["debtor"].id), "job_id": str(customer["job"].id), "customer_po_id": "",
            "description": "Swap the router at reception"}
    data.update(kw)
    response = browser.post("/service-desk/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    return db_session.scalars(select(ServiceDeskItem).order_by(ServiceDeskItem.id.desc())).first()


def _add(browser, item, eq, **kw):
    data = {"catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "order", "unit_id": "",
            "supplier_po_id": ""}
    data.update(kw)
    return browser.post(f"/service-desk/{item.id}/equipment/new", data)


def _charges(db_session, item) -> dict[str, ServiceDeskCharge]:
    db_session.expire_all()
    return {c.name: c for c in db_session.scalars(select(ServiceDeskCharge).where(ServiceDeskCharge.item_id == item.id))}


# ---- settings ------------------------------------------------------------------------------

def test_settings_tab_is_off_by_default_and_saves(db_session, login_as):
    browser, _ = login_as("Administrator")
    page = browser.get("/admin/settings/po-pricing").get_data(as_text=True)
    assert '<option selected value="off">' in page and "Purchase order pricing" in page
    assert _settings(browser, "last_or_specific", "highest", "20", "5.00").status_code == 302
    db_session.expire_all()
    assert db_session.get(Setting, "po_pricing").value == {"selection": "last_or_specific", "pricing": "highest",
                                                           "markup_percent": "20", "markup_flat": "5.00"}
    assert "Users &amp; roles" in browser.get("/admin/settings").get_data(as_text=True)


@pytest.mark.parametrize("percent,flat,message", [
    ("20.123", "", "at most 2 decimals"), ("-5", "", "zero or more"), ("abc", "", "as a number"),
    ("", "5.001", "at most 2 decimals"), ("", "-1", "zero or more"), ("5000", "", "at most 1,000"),
])
def test_settings_refuse_bad_markups(db_session, login_as, percent, flat, message):
    browser, _ = login_as("Administrator")
    response = _settings(browser, "all", "average", percent, flat)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db_session.get(Setting, "po_pricing") is None


def test_settings_refuse_unknown_choices(db_session, login_as):
    browser, _ = login_as("Administrator")
    text = _settings(browser, "sometimes", "median").get_data(as_text=True)
    assert "Choose a PO selection" in text and "Choose a pricing method" in text


@pytest.mark.parametrize("role_name", ["Billing Admin", "Consultant", "Relationship Lead", "Auditor"])
def test_only_settings_holders_reach_the_tab(login_as, role_name):
    browser, _ = login_as(role_name)
    assert browser.get("/admin/settings/po-pricing").status_code == 403
    assert _settings(browser).status_code == 403


# ---- catalog charges ----------------------------------------------------------------------

def test_while_off_po_pricing_fields_and_columns_are_hidden(db_session, login_as):
    eq = factories.equipment_setup(db_session, selection="off")
    browser, _ = login_as("Billing Admin")
    catalog = browser.get(f"/equipment/catalogs/{eq['catalog'].id}").get_data(as_text=True)
    form = browser.get(f"/equipment/catalogs/{eq['catalog'].id}/charges/{eq['priced'].id}/edit").get_data(as_text=True)
    assert "PO pricing" not in catalog and "Markup" not in catalog
    assert "po_pricing" not in form and "markup_percent" not in form
    # saving the form while Off leaves the PO pricing flag as it was
    response = browser.post(f"/equipment/catalogs/{eq['catalog'].id}/charges/{eq['priced'].id}/edit",
                            _charge_form(eq, po_pricing=None, default_amount="80.00",
                                         row_version=str(eq["priced"].row_version)))
    assert response.status_code == 302
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert charge.po_pricing and charge.default_amount == D("80.00")


def test_when_on_the_grid_and_form_show_po_pricing(db_session, login_as):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Billing Admin")
    catalog = browser.get(f"/equipment/catalogs/{eq['catalog'].id}").get_data(as_text=True)
    form = browser.get(f"/equipment/catalogs/{eq['catalog'].id}/charges/{eq['priced'].id}/edit").get_data(as_text=True)
    assert "PO pricing" in catalog and "Markup %" in catalog
    assert 'name="po_pricing"' in form and 'data-po-pricing="on"' in form
    assert 'id="override_amount" name="override_amount" value="" disabled' in form


@pytest.mark.parametrize("changes,message", [
    ({"charge_type": "recurring"}, "Only a non-recurring charge can use PO pricing"),
    ({"override_allowed": None}, "Only a charge that allows an override amount can use PO pricing"),
])
def test_ineligible_charge_is_refused_with_the_rule(db_session, login_as, changes, message):
    eq = factories.equipment_setup(db_session, selection="all")
    db_session.delete(eq["priced"])
    db_session.commit()
    browser, _ = login_as("Billing Admin")
    response = browser.post(f"/equipment/catalogs/{eq['catalog'].id}/charges/new", _charge_form(eq, **changes))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(CatalogCharge).where(CatalogCharge.po_pricing)) == 0


def test_second_po_priced_charge_in_a_catalog_is_refused(db_session, login_as):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Billing Admin")
    response = browser.post(f"/equipment/catalogs/{eq['catalog'].id}/charges/new", _charge_form(eq, name="Install"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Only one charge per catalog can use PO pricing: Router already does" in text
    db_session.expire_all()
    assert len(db_session.scalars(select(CatalogCharge).where(CatalogCharge.catalog_id == eq["catalog"].id)).all()) == 2


def test_enabling_clears_the_override_and_prefills_markups_from_settings(db_session, login_as):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Administrator")
    assert _settings(browser, "all", "average", "20", "5").status_code == 302
    db_session.delete(eq["priced"])
    db_session.commit()
    response = browser.post(f"/equipment/catalogs/{eq['catalog'].id}/charges/new",
                            _charge_form(eq, override_amount="99.00", markup_flat="7.50"))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    db_session.expire_all()
    charge = db_session.scalars(select(CatalogCharge).where(CatalogCharge.po_pricing)).one()
    assert charge.override_amount is None
    assert charge.markup_percent == D("20") and charge.markup_flat == D("7.50")  # its own flat kept


@pytest.mark.parametrize("field,value,message", [
    ("default_amount", "75.001", "at most 2 decimals"), ("default_amount", "-1", "zero or more"),
    ("default_amount", "", "Enter the default amount"), ("markup_percent", "10.555", "at most 2 decimals"),
    ("markup_flat", "-2", "zero or more"), ("default_amount", "1e40", "as a number"),
    ("default_amount", "1000000000000", "at most"),
])
def test_charge_bad_amounts(db_session, login_as, field, value, message):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Billing Admin")
    response = browser.post(f"/equipment/catalogs/{eq['catalog'].id}/charges/{eq['priced'].id}/edit",
                            _charge_form(eq, **{field: value}))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(CatalogCharge, eq["priced"].id).default_amount == D("75.00")


# ---- supplier POs -------------------------------------------------------------------------

@pytest.mark.parametrize("price,quantity,message", [
    ("110.12345", "1", "at most 4 decimals"), ("-3", "1", "zero or more"), ("1", "0", "whole number"),
    ("1", "1.5", "whole number"), ("x", "1", "as a number"),
])
def test_supplier_po_line_bad_input(db_session, login_as, price, quantity, message):
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Billing Admin")
    spo = eq["spo_1001"]
    response = browser.post(f"/equipment/supplier-pos/{spo.id}/lines", {
        "equipment_type_id": str(eq["type"].id), "quantity": quantity, "purchase_price": price})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(SupplierPOLine)
                             .where(SupplierPOLine.supplier_po_id == spo.id)) == 1


def test_supplier_po_line_keeps_four_decimals_and_units_are_received(db_session, login_as):
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Billing Admin")
    spo = eq["spo_1001"]
    assert browser.post(f"/equipment/supplier-pos/{spo.id}/lines", {
        "equipment_type_id": str(eq["type"].id), "quantity": "2", "purchase_price": "110.1234"}).status_code == 302
    db_session.expire_all()
    line = db_session.scalars(select(SupplierPOLine).where(SupplierPOLine.supplier_po_id == spo.id,
                                                           SupplierPOLine.line_no == 2)).one()
    assert line.purchase_price == D("110.1234")
    for serial in ("NEW-1", "NEW-2"):
        assert browser.post(f"/equipment/supplier-pos/{spo.id}/lines/{line.id}/units", {"serial": serial}).status_code == 302
    third = browser.post(f"/equipment/supplier-pos/{spo.id}/lines/{line.id}/units", {"serial": "NEW-3"})
    assert "all of them are received" in third.get_data(as_text=True)
    dup = browser.post(f"/equipment/supplier-pos/{spo.id}/lines/{eq['spo_1001'].lines[0].id}/units", {"serial": "new-1"})
    assert "exists" in dup.get_data(as_text=True)


def test_supplier_pos_never_touch_a_customer_po(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Billing Admin")
    browser.post(f"/equipment/supplier-pos/{eq['spo_1001'].id}/lines", {
        "equipment_type_id": str(eq["type"].id), "quantity": "50", "purchase_price": "999"})
    db_session.expire_all()
    balance = db_session.get(POBalance, customer["po"].id)
    assert (balance.used, balance.commitments, balance.estimates) == (0, 0, 0)
    assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


# ---- service desk items: pricing ----------------------------------------------------------

@pytest.mark.parametrize("selection,pricing,expected", [
    ("all", "average", D("100.25")), ("all", "highest", D("130.00")), ("all", "lowest", D("90.50")),
    ("last", "average", D("100.38")), ("last", "lowest", D("90.50")),
])
def test_equipment_is_priced_from_supplier_pos(db_session, login_as, customer, selection, pricing, expected):
    eq = factories.equipment_setup(db_session, selection=selection, pricing_method=pricing)
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq, quantity="2").status_code == 302
    charges = _charges(db_session, item)
    assert charges["Router"].rate == expected and charges["Router"].amount == expected * 2
    assert charges["Router"].po_priced and charges["Router"].source_description.startswith("PO pricing: ")
    assert charges["Monitoring"].rate == D("10.00") and charges["Monitoring"].source_description == "Catalog default"
    page = browser.get(f"/service-desk/{item.id}").get_data(as_text=True)
    assert "Source description" in page and charges["Router"].source_description in page


def test_markups_percent_then_flat_with_the_description(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="specific", pricing_method="average", percent="20", flat="5")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq, supplier_po_id=str(eq["spo_1001"].id)).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("125.00")  # 100 + 20% = 120 + 5
    assert router.source_description == (f"PO pricing: Average of 2 units on {eq['spo_1001'].number} = 100.00; "
                                         "+20% = 120.00; +5.00 = 125.00")


def test_no_supplier_po_with_the_type_keeps_the_catalog_default(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all")
    from portal.models import EquipmentType

    eq["catalog"].equipment_type = EquipmentType(name="Switch, never bought")
    db_session.commit()
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("75.00") and not router.po_priced
    assert router.source_description == "Catalog default 75.00: no supplier PO has this equipment type"


def test_exact_with_inventory_waits_for_the_unit(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="exact")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq, fulfilment="inventory").status_code == 302
    router = _charges(db_session, item)["Router"]
    assert router.rate is None and router.amount is None
    page = browser.get(f"/service-desk/{item.id}").get_data(as_text=True)
    assert "awaiting unit" in page
    closing = browser.post(f"/service-desk/{item.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "awaiting a unit" in closing
    unit = eq["spo_1007"].lines[0].units[0]
    line_id = db_session.scalars(select(ServiceDeskItem).where(ServiceDeskItem.id == item.id)).one().equipment[0].id
    response = browser.post(f"/service-desk/{item.id}/equipment/{line_id}/edit", {
        "catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "inventory", "unit_id": str(unit.id),
        "row_version": opened_version(browser, f"/service-desk/{item.id}/equipment/{line_id}/edit")})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("130.00") and f"unit {unit.serial}" in router.source_description
    db_session.refresh(unit)
    assert unit.status == "issued"


def test_a_unit_cannot_be_picked_twice_or_from_another_type(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="exact")
    other = factories.equipment_setup(db_session, selection="all", pricing_method="exact")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    unit = eq["spo_1001"].lines[0].units[0]
    assert _add(browser, item, eq, fulfilment="inventory", unit_id=str(unit.id)).status_code == 302
    again = _add(browser, item, eq, fulfilment="inventory", unit_id=str(unit.id))
    wrong_type = _add(browser, item, eq, fulfilment="inventory", unit_id=str(other["spo_1001"].lines[0].units[0].id))
    for response in (again, wrong_type):
        assert response.status_code == 200 and "Choose an in-stock unit" in response.get_data(as_text=True)


def test_override_while_open_says_so_and_off_keeps_prices(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="highest")
    browser, admin = login_as("Administrator")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("130.00")
    opened = str(router.row_version)
    bad = browser.post(f"/service-desk/{item.id}/charges/{router.id}", {"rate": "1.001", "row_version": opened})
    assert bad.status_code == 200 and "at most 2 decimals" in bad.get_data(as_text=True)
    assert browser.post(f"/service-desk/{item.id}/charges/{router.id}",
                        {"rate": "-4", "row_version": opened}).status_code == 200
    assert browser.post(f"/service-desk/{item.id}/charges/{router.id}",
                        {"rate": "120.00", "row_version": opened}).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("120.00") and router.overridden
    assert router.source_description.endswith("| Overridden by hand: 120.00")
    # turning the feature Off keeps every price, also when the equipment changes
    assert _settings(browser, "off").status_code == 302
    line_id = db_session.get(ServiceDeskItem, item.id).equipment[0].id
    browser.post(f"/service-desk/{item.id}/equipment/{line_id}/edit", {
        "catalog_id": str(eq["catalog"].id), "quantity": "3", "fulfilment": "order",
        "row_version": opened_version(browser, f"/service-desk/{item.id}/equipment/{line_id}/edit")})
    charges = _charges(db_session, item)
    assert charges["Router"].rate == D("120.00") and charges["Router"].amount == D("360.00")


def test_a_refused_override_or_line_keeps_what_was_typed_and_its_address_leads_back(db_session, login_as, customer):
    """The override box came back empty after "1.001" was refused, and the address the refusal was shown at
    (the form's action) answered 405 when reloaded or bookmarked."""
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq).status_code == 302
    router = _charges(db_session, item)["Router"]
    bad = browser.post(f"/service-desk/{item.id}/charges/{router.id}",
                       {"rate": "1.001", "row_version": str(router.row_version)}).get_data(as_text=True)
    [form] = [f for f in post_forms(bad) if f.action.endswith(f"/charges/{router.id}")]
    assert form.data()["rate"] == ["1.001"]
    back = browser.get(f"/service-desk/{item.id}/charges/{router.id}")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/service-desk/{item.id}")
    spo = eq["spo_1001"]
    line = spo.lines[0]
    taken = line.units[0].serial
    dup = browser.post(f"/equipment/supplier-pos/{spo.id}/lines/{line.id}/units", {"serial": taken}).get_data(as_text=True)
    [form] = [f for f in post_forms(dup) if f.action.endswith(f"/lines/{line.id}/units")]
    assert "exists" in dup and form.data()["serial"] == [taken]
    for url in (f"/equipment/supplier-pos/{spo.id}/lines", f"/equipment/supplier-pos/{spo.id}/lines/{line.id}/units"):
        back = browser.get(url)
        assert back.status_code == 302 and back.headers["Location"].endswith(f"/equipment/supplier-pos/{spo.id}"), url


def test_an_override_opened_before_the_charge_was_repriced_is_refused(db_session, login_as, customer):
    """The override box was applied even when the charge had been re-priced (its quantity changed) since the item
    page was opened: the rate typed against the old price went over the new one without a word."""
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="highest")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq).status_code == 302
    router = _charges(db_session, item)["Router"]
    page = browser.get(f"/service-desk/{item.id}").get_data(as_text=True)
    [form] = [f for f in post_forms(page) if f.action.endswith(f"/charges/{router.id}")]
    typed = {**{name: values[0] for name, values in form.data().items()}, "rate": "99.00"}
    assert typed["row_version"] == str(router.row_version)
    db_session.execute(update(CatalogCharge).where(CatalogCharge.id == eq["priced"].id).values(markup_flat=D("7.00")))
    db_session.commit()
    line = db_session.get(ServiceDeskItem, item.id).equipment[0]
    assert browser.post(f"/service-desk/{item.id}/equipment/{line.id}/edit", {
        "catalog_id": str(eq["catalog"].id), "quantity": "2", "fulfilment": "order",
        "row_version": str(line.row_version)}).status_code == 302
    assert _charges(db_session, item)["Router"].rate == D("137.00")  # re-priced: 130.00 + 7.00
    stale = browser.post(form.action, typed, follow_redirects=True).get_data(as_text=True)
    assert "changed by someone else" in stale
    router = _charges(db_session, item)["Router"]
    assert (router.rate, router.overridden) == (D("137.00"), False)
    fresh = {**typed, "row_version": str(router.row_version)}
    assert browser.post(form.action, fresh).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert (router.rate, router.overridden) == (D("99.00"), True)
    missing = {k: v for k, v in fresh.items() if k != "row_version"}
    refused = browser.post(form.action, missing, follow_redirects=True).get_data(as_text=True)
    assert "changed by someone else" in refused


def test_turning_off_keeps_a_po_price_not_overridden(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="lowest")
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    _add(browser, item, eq)
    assert _settings(browser, "off").status_code == 302
    line_id = db_session.get(ServiceDeskItem, item.id).equipment[0].id
    browser.post(f"/service-desk/{item.id}/equipment/{line_id}/edit", {
        "catalog_id": str(eq["catalog"].id), "quantity": "2", "fulfilment": "order",
        "row_version": opened_version(browser, f"/service-desk/{item.id}/equipment/{line_id}/edit")})
    router = _charges(db_session, item)["Router"]
    assert router.rate == D("90.50") and router.amount == D("181.00") and router.po_priced


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "abc", "100000", ""])
def test_equipment_bad_quantity(db_session, login_as, customer, quantity):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    response = _add(browser, item, eq, quantity=quantity)
    assert response.status_code == 200 and "whole number" in response.get_data(as_text=True)
    assert _charges(db_session, item) == {}


# ---- pickers ------------------------------------------------------------------------------

def test_pickers_only_with_a_specific_mode(db_session, login_as, customer):
    factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    for url in (f"/service-desk/{item.id}/edit", "/equipment/supplier-pos/new", f"/service-desk/{item.id}/equipment/new"):
        text = browser.get(url).get_data(as_text=True)
        assert 'name="supplier_po_id"' not in text and 'name="service_desk_item_id"' not in text, url
    _settings(browser, "specific")
    assert 'name="supplier_po_id"' in browser.get(f"/service-desk/{item.id}/edit").get_data(as_text=True)
    spo_form = browser.get("/equipment/supplier-pos/new").get_data(as_text=True)
    assert 'name="service_desk_item_id"' in spo_form and item.number in spo_form


def test_item_po_prefills_equipment_without_restricting_it(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="specific", pricing_method="average")
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer, supplier_po_id=str(eq["spo_1007"].id))
    form = browser.get(f"/service-desk/{item.id}/equipment/new").get_data(as_text=True)
    assert f'<option selected value="{eq["spo_1007"].id}">' in form
    # another PO can still be chosen
    assert _add(browser, item, eq, supplier_po_id=str(eq["spo_1001"].id)).status_code == 302
    assert _charges(db_session, item)["Router"].rate == D("100.00")


def test_last_or_specific_prefills_the_last_applicable_po(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="last_or_specific", pricing_method="average")
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    form = browser.get(f"/service-desk/{item.id}/equipment/new?catalog_id={eq['catalog'].id}").get_data(as_text=True)
    assert f'<option selected value="{eq["spo_1007"].id}">' in form


def test_last_on_a_day_two_pos_were_ordered_is_the_higher_number_by_value(db_session, login_as, customer):
    """SPO-999 and SPO-1010 ordered the same day: pricing and the pre-fill took SPO-999 (text order), the older."""
    from portal.models import SupplierPO, SupplierPOLine

    eq = factories.equipment_setup(db_session, selection="last_or_specific", pricing_method="average")
    day = date(2026, 3, 1)
    pos = {}
    for number, price in (("SPO-999", "50.0000"), ("SPO-1010", "60.0000")):
        pos[number] = SupplierPO(supplier=eq["supplier"], number=number, order_date=day, notes="", lines=[
            SupplierPOLine(line_no=1, equipment_type=eq["type"], quantity=1, purchase_price=D(price))])
    db_session.add_all(pos.values())
    db_session.commit()
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    form = browser.get(f"/service-desk/{item.id}/equipment/new?catalog_id={eq['catalog'].id}").get_data(as_text=True)
    assert f'<option selected value="{pos["SPO-1010"].id}">' in form
    _settings(browser, selection="last")
    assert _add(browser, item, eq).status_code == 302
    assert _charges(db_session, item)["Router"].rate == D("60.00")


def test_supplier_po_picks_a_service_desk_item(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="specific")
    browser, _ = login_as("Administrator")
    item = _item(browser, db_session, customer)
    spo = eq["spo_1001"]
    response = browser.post(f"/equipment/supplier-pos/{spo.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": spo.number, "order_date": "2026-01-10", "notes": "",
        "service_desk_item_id": str(item.id), "row_version": str(spo.row_version)})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(type(spo), spo.id).service_desk_item_id == item.id
    bad = browser.post(f"/equipment/supplier-pos/{spo.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": spo.number, "order_date": "2026-01-10",
        "service_desk_item_id": "999999"})
    assert "Choose a service desk item from the list" in bad.get_data(as_text=True)


# ---- items: bad input, branch security ----------------------------------------------------

def test_item_refuses_other_debtors_jobs_and_pos(db_session, login_as, customer):
    other = factories.debtor(db_session, "OTHER")
    other_job = factories.job(db_session, other)
    other_po = factories.po(db_session, other, "9999")
    browser, _ = login_as("Billing Admin")
    response = browser.post("/service-desk/new", {"debtor_id": str(customer["debtor"].id), "job_id": str(other_job.id),
                                                  "customer_po_id": str(other_po.id), "description": "x"})
    text = response.get_data(as_text=True)
    assert "Choose one of the debtor&#39;s job orders" in text and "Choose one of the debtor&#39;s purchase orders" in text
    empty = browser.post("/service-desk/new", {"debtor_id": "", "description": "   "}).get_data(as_text=True)
    assert "Choose the debtor" in empty and "Describe what the customer needs" in empty
    nul = browser.post("/service-desk/new", {"debtor_id": str(customer["debtor"].id), "description": "a\x00b"})
    assert 400 <= nul.status_code < 500
    assert db_session.scalar(select(func.count()).select_from(ServiceDeskItem)) == 0


def _split_pos(db_session, debtor):
    """Seed 001's split PO (Sales * vs Service/Repair *), a PO for Repair Orders only, one for every type."""
    types = factories.document_types(db_session)
    named = lambda *names: [types[n] for n in names]  # noqa: E731
    return {"sales": factories.po(db_session, debtor, "ACM-SPLIT", description="Inventory items",
                                  types=named("Estimate", "Sales Order", "Sales Invoice", "Credit Memo")),
            "service": factories.po(db_session, debtor, "ACM-SPLIT", description="Service work",
                                    types=named("Repair Order", "Service Invoice")),
            "orders_only": factories.po(db_session, debtor, "RO-ONLY", types=named("Repair Order")),
            "any": factories.po(db_session, debtor, "ACM-ANY")}


def _po_options(page: str) -> dict[str, str]:
    select_html = page.split('id="customer_po_id"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)<', select_html)
    return {value: label.strip() for value, label in options}


def test_item_offers_and_takes_only_pos_its_repair_order_and_service_invoice_may_name(db_session, login_as, customer):
    """The Customer PO list offered every PO of the debtor, the split PO's twins both as "ACM-SPLIT (…)", and
    saving took the Sales twin; closing then failed ("PO ACM-SPLIT is not eligible for Repair Order")."""
    eq = factories.equipment_setup(db_session, selection="all")
    pos = _split_pos(db_session, customer["debtor"])
    browser, _ = login_as("Billing Admin")
    page = browser.get(f"/service-desk/new?debtor_id={customer['debtor'].id}").get_data(as_text=True)
    offered = _po_options(page)
    assert set(offered) == {str(customer["po"].id), str(pos["service"].id), str(pos["any"].id)}
    assert offered[str(pos["service"].id)].startswith("PO ACM-SPLIT (")
    for wrong in ("sales", "orders_only"):
        refused = browser.post("/service-desk/new", {"debtor_id": str(customer["debtor"].id), "job_id": "",
                                                     "customer_po_id": str(pos[wrong].id), "description": "Router"})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 200 and "is not eligible for Repair Order and Service Invoice" in text, wrong
        assert re.search(r'<small class="field-error" id="customer_po_id-err">PO ACM-SPLIT \(Inventory items\)|'
                         r'<small class="field-error" id="customer_po_id-err">PO RO-ONLY', text), wrong
    assert db_session.scalar(select(func.count()).select_from(ServiceDeskItem)) == 0
    item = _item(browser, db_session, customer, job_id="", customer_po_id=str(pos["service"].id))
    assert _add(browser, item, eq).status_code == 302
    closed = browser.post(f"/service-desk/{item.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "could not be made" not in closed
    db_session.expire_all()
    order = db_session.get(ServiceDeskItem, item.id).repair_order
    assert order is not None and {l.po_id for l in order.lines} == {pos["service"].id}


def test_an_item_holding_a_po_it_may_not_use_shows_it_told_apart_and_says_why_on_save(db_session, login_as, customer):
    """An item saved with the Sales twin before the check: its edit form still shows that PO (not silently
    "— none —"), the twins named apart by description as the job form names them, and saving says why."""
    pos = _split_pos(db_session, customer["debtor"])
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    item.customer_po_id = pos["sales"].id  # as an item saved before the check holds it
    db_session.commit()
    page = browser.get(f"/service-desk/{item.id}/edit").get_data(as_text=True)
    offered = _po_options(page)
    assert offered[str(pos["sales"].id)].startswith("PO ACM-SPLIT — Inventory items (")
    assert offered[str(pos["service"].id)].startswith("PO ACM-SPLIT — Service work (")
    assert re.search(rf'<option[^>]*selected[^>]*value="{pos["sales"].id}"|<option[^>]*value="{pos["sales"].id}"'
                     r'[^>]*selected', page)
    [form] = [f for f in post_forms(page) if "customer_po_id" in f.data()]
    saved = browser.post(f"/service-desk/{item.id}/edit", {k: v[0] for k, v in form.data().items()})
    assert saved.status_code == 200
    assert "PO ACM-SPLIT (Inventory items) is not eligible for Repair Order" in saved.get_data(as_text=True)


def test_the_item_form_s_po_list_takes_the_same_queries_for_few_or_many_pos(db_session, login_as, customer,
                                                                              count_queries):
    browser, _ = login_as("Billing Admin")
    url = f"/service-desk/new?debtor_id={customer['debtor'].id}"

    def queries():
        browser.get(url)
        with count_queries() as statements:
            assert browser.get(url).status_code == 200
        return len(statements)

    few = queries()
    _split_pos(db_session, customer["debtor"])
    for n in range(8):
        factories.po(db_session, customer["debtor"], f"MORE{n}")
    assert queries() == few


def test_branch_security_hides_another_branchs_item(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all")
    admin_browser, _ = login_as("Administrator")
    item = _item(admin_browser, db_session, customer)
    elsewhere = factories.branch(db_session)
    browser, _ = login_as("Billing Admin", branches=[elsewhere])
    assert browser.get(f"/service-desk/{item.id}").status_code == 404
    assert item.number not in browser.get("/service-desk/").get_data(as_text=True)
    assert item.number in admin_browser.get("/service-desk/").get_data(as_text=True)
    assert _add(browser, item, eq).status_code == 404
    refused = browser.post("/service-desk/new", {"debtor_id": str(customer["debtor"].id), "job_id": str(customer["job"].id),
                                                 "description": "x"})
    assert "Choose one of the debtor&#39;s job orders" in refused.get_data(as_text=True)


# ---- closing and invoicing through the documents flow ------------------------------------

def test_close_makes_a_repair_order_that_draws_on_the_customer_po(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="average", percent="20", flat="5")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq).status_code == 302
    charges = _charges(db_session, item)
    assert charges["Router"].rate == D("125.30")  # 100.25 + 20% = 120.30 + 5.00
    closed = browser.post(f"/service-desk/{item.id}/close")
    assert closed.status_code == 302
    db_session.expire_all()
    item = db_session.get(ServiceDeskItem, item.id)
    order = db_session.get(Document, item.repair_order_id)
    assert item.status == "closed" and order.document_type.name == "Repair Order" and order.status == "draft"
    assert order.total == D("135.30") and [l.amount for l in order.lines] == [D("125.30"), D("10.00")]
    # closed: no more changes
    assert browser.post(f"/service-desk/{item.id}/charges/{charges['Router'].id}", {"rate": "1"}).status_code == 302
    assert _charges(db_session, item)["Router"].rate == D("125.30")
    # invoicing needs the order posted first
    early = browser.post(f"/service-desk/{item.id}/invoice", follow_redirects=True).get_data(as_text=True)
    assert "Post Repair Order" in early
    assert browser.post(f"/documents/{order.id}/post", {"confirmed": "1"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(POBalance, customer["po"].id).commitments == D("135.30")
    # the item is invoiced from its Repair Order: voided, it could never be billed (found from outside)
    kept = browser.post(f"/documents/{order.id}/void", follow_redirects=True).get_data(as_text=True)
    assert f"is service desk item {item.number}&#39;s Repair Order" in kept
    db_session.expire_all()
    assert db_session.get(Document, order.id).status == "posted"
    assert browser.post(f"/service-desk/{item.id}/invoice").status_code == 302
    db_session.expire_all()
    item = db_session.get(ServiceDeskItem, item.id)
    invoice = db_session.get(Document, item.service_invoice_id)
    assert item.status == "invoiced" and invoice.document_type.name == "Service Invoice"
    assert invoice.source_document_id == order.id and invoice.total == D("135.30")
    assert browser.post(f"/documents/{invoice.id}/post", {"confirmed": "1"}).status_code == 302
    db_session.expire_all()
    balance = db_session.get(POBalance, customer["po"].id)
    assert (balance.used, balance.commitments) == (D("135.30"), D("0.00"))
    twice = browser.post(f"/service-desk/{item.id}/invoice", follow_redirects=True).get_data(as_text=True)
    assert "only a closed item can be invoiced" in twice


def test_block_policy_applies_to_the_repair_order(db_session, login_as):
    debtor = factories.debtor(db_session, "BLK", over_budget_policy="block")
    po = factories.po(db_session, debtor, "77", amount="50")
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="highest")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, {"debtor": debtor, "job": factories.job(db_session, debtor)},
                 job_id="", customer_po_id=str(po.id))
    _add(browser, item, eq)
    assert browser.post(f"/service-desk/{item.id}/close").status_code == 302
    db_session.expire_all()
    order = db_session.get(ServiceDeskItem, item.id).repair_order
    refused = browser.post(f"/documents/{order.id}/post", {"confirmed": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Posting refused" in refused
    db_session.expire_all()
    assert db_session.get(POBalance, po.id).commitments == 0


def test_closing_needs_the_documents_grant_and_an_open_item(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="all")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    empty = browser.post(f"/service-desk/{item.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "Add equipment with charges before closing" in empty
    _add(browser, item, eq)
    auditor, _ = login_as("Auditor")
    assert auditor.post(f"/service-desk/{item.id}/close").status_code == 403
    assert auditor.get(f"/service-desk/{item.id}").status_code == 200
    db_session.expire_all()
    assert db_session.get(ServiceDeskItem, item.id).status == "open"


def test_demo_prices_the_router_as_the_issue_shows(app, db_session):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    db_session.expire_all()
    charge = db_session.scalars(select(ServiceDeskCharge).where(ServiceDeskCharge.name == "Router")).one()
    assert charge.rate == D("137.00")
    assert charge.source_description == ("PO pricing: Average of 3 units on SPO-1001, SPO-1007 = 110.00; "
                                         "+20% = 132.00; +5.00 = 137.00")


def test_supplier_po_never_links_or_names_another_branchs_service_desk_item(db_session, login_as, customer):
    eq = factories.equipment_setup(db_session, selection="specific")
    admin_browser, _ = login_as("Administrator")
    item = _item(admin_browser, db_session, customer)
    spo, other = eq["spo_1001"], eq["spo_1007"]
    elsewhere = factories.branch(db_session)
    browser, _ = login_as("Billing Admin", branches=[elsewhere])
    # linking another branch's item by its id is refused, and nothing is written
    refused = browser.post(f"/equipment/supplier-pos/{other.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": other.number, "order_date": "2026-01-10", "notes": "",
        "service_desk_item_id": str(item.id), "row_version": str(other.row_version)})
    assert "Choose a service desk item from the list" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(type(other), other.id).service_desk_item_id is None
    # a supplier PO linked (by someone who may) to that item does not name it to this user
    linked = admin_browser.post(f"/equipment/supplier-pos/{spo.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": spo.number, "order_date": "2026-01-10", "notes": "",
        "service_desk_item_id": str(item.id), "row_version": str(spo.row_version)})
    assert linked.status_code == 302
    assert item.number in admin_browser.get(f"/equipment/supplier-pos/{spo.id}").get_data(as_text=True)
    assert item.number not in browser.get(f"/equipment/supplier-pos/{spo.id}").get_data(as_text=True)
    # posting that supplier PO's form back unchanged keeps the link it cannot see
    db_session.expire_all()
    spo = db_session.get(type(spo), spo.id)
    kept = browser.post(f"/equipment/supplier-pos/{spo.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": spo.number, "order_date": "2026-01-10", "notes": "",
        "service_desk_item_id": str(item.id), "row_version": str(spo.row_version)})
    assert kept.status_code == 302
    db_session.expire_all()
    assert db_session.get(type(spo), spo.id).service_desk_item_id == item.id


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_a_supplier_po_order_date_out_of_reach_is_refused(db_session, login_as, typed):
    """Found from outside: 0001 and 9999 were saved, and a 9999 PO stayed the "Last" one for pricing for ever."""
    eq = factories.equipment_setup(db_session)
    browser, _ = login_as("Billing Admin")
    spo = eq["spo_1001"]
    before = spo.order_date
    refused = browser.post(f"/equipment/supplier-pos/{spo.id}/edit", {
        "supplier_id": str(eq["supplier"].id), "number": spo.number, "order_date": typed, "notes": "",
        "row_version": str(spo.row_version)})
    assert refused.status_code == 200 and "Enter an order date from 2000-01-01 to" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(type(spo), spo.id).order_date == before


def test_a_charge_awaiting_its_unit_when_the_feature_goes_off_is_priced_as_a_normal_charge(db_session, login_as,
                                                                                          customer):
    """Found from outside: turned Off, a charge awaiting its unit (Exact, from inventory) stayed awaiting even with the
    unit picked, and the item could never be closed ("Pick the unit first")."""
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="exact")
    admin, _ = login_as("Administrator")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    assert _add(browser, item, eq, fulfilment="inventory").status_code == 302
    assert _charges(db_session, item)["Router"].rate is None
    assert _settings(admin, selection="off").status_code == 302
    unit = eq["spo_1007"].lines[0].units[0]
    line_id = db_session.scalars(select(ServiceDeskItem).where(ServiceDeskItem.id == item.id)).one().equipment[0].id
    assert browser.post(f"/service-desk/{item.id}/equipment/{line_id}/edit", {
        "catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "inventory", "unit_id": str(unit.id),
        "row_version": opened_version(browser, f"/service-desk/{item.id}/equipment/{line_id}/edit"),
    }).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert (router.rate, router.po_priced) == (eq["catalog"].charges[0].amount, False)
    assert browser.post(f"/service-desk/{item.id}/close").status_code == 302
    db_session.expire_all()
    assert db_session.get(ServiceDeskItem, item.id).status == "closed"


def test_a_stale_equipment_form_is_refused_not_saved_over_anothers_change(db_session, login_as, customer):
    """Two users open the same equipment line; the second to save sent back the quantity (and so the
    prices) the first had just changed, without a word. A form opened before the change is refused now."""
    eq = factories.equipment_setup(db_session, selection="all")
    first, _ = login_as("Billing Admin")
    second, _ = login_as("Billing Admin")
    item = _item(first, db_session, customer)
    assert _add(first, item, eq, quantity="10").status_code == 302
    db_session.expire_all()
    line = db_session.scalars(select(ServiceDeskItem).where(ServiceDeskItem.id == item.id)).one().equipment[0]
    url = f"/service-desk/{item.id}/equipment/{line.id}/edit"
    forms = []
    for browser in (first, second):
        [form] = [f for f in post_forms(browser.get(url).get_data(as_text=True)) if "quantity" in f.data()]
        forms.append({name: values[0] for name, values in form.data().items()})
    assert first.post(url, {**forms[0], "quantity": "3"}).status_code == 302
    stale = second.post(url, forms[1])
    assert stale.status_code == 200 and "changed by someone else" in stale.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(type(line), line.id).quantity == 3


def test_an_item_form_opened_before_equipment_was_added_still_saves(db_session, login_as, customer):
    """Adding, pricing, overriding or removing an item's equipment changes neither the item's fields nor its
    row version: an item form opened before (another user's tab) still saves; before, it was refused as stale
    ("SD… was changed by someone else") though nobody had changed the item."""
    eq = factories.equipment_setup(db_session, selection="all", pricing_method="highest")
    browser, _ = login_as("Billing Admin")
    item = _item(browser, db_session, customer)
    url = f"/service-desk/{item.id}/edit"
    [form] = [f for f in post_forms(browser.get(url).get_data(as_text=True)) if "description" in f.data()]
    opened = {name: values[0] for name, values in form.data().items()}
    assert _add(browser, item, eq).status_code == 302
    router = _charges(db_session, item)["Router"]
    assert browser.post(f"/service-desk/{item.id}/charges/{router.id}",
                        {"rate": "99.00", "row_version": str(router.row_version)}).status_code == 302
    saved = browser.post(url, {**opened, "description": "Swap the router at reception, then test it"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-800:]
    db_session.expire_all()
    assert db_session.get(ServiceDeskItem, item.id).description == "Swap the router at reception, then test it"
    # the item's own change still makes an older form stale
    stale = browser.post(url, {**opened, "description": "Older tab"})
    assert "was changed by someone else" in stale.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(ServiceDeskItem, item.id).description == "Swap the router at reception, then test it"
