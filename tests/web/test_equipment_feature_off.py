"""Editing a PO-priced catalog charge while PO pricing is Off (Settings → PO selection Off): the flag is
neither shown nor changed, the charge behaves as a normal one. An edit giving it an override amount, or
making it recurring or no longer overridable, takes it off PO pricing and says so; an unchanged edit
changes nothing. Never "saved" and then dropped, never a refusal on a hidden field."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, CatalogCharge, ServiceDeskCharge, ServiceDeskItem
from tests import factories
from tests.web.forms_walk import opened_version, post_forms

LEFT = "saved; it no longer uses PO pricing (turned off in Settings): "


@pytest.fixture
def customer(db_session):
    return factories.customer(db_session)


@pytest.fixture
def off(db_session, login_as):
    """Routers whose charge "Router" (non-recurring, override allowed, default 75.00) is PO-priced, the
    feature then turned Off; an administrator's browser."""
    eq = factories.equipment_setup(db_session, selection="off")
    browser, _ = login_as("Administrator")
    return eq, browser


def _edit_url(eq) -> str:
    return f"/equipment/catalogs/{eq['catalog'].id}/charges/{eq['priced'].id}/edit"


def _form_as_rendered(browser, eq) -> dict[str, list[str]]:
    """The charge form's fields exactly as the page would post them."""
    page = browser.get(_edit_url(eq)).get_data(as_text=True)
    [form] = [f for f in post_forms(page) if f.action in ("", _edit_url(eq))]
    return form.data()


def _post(browser, eq, **changes):
    data = _form_as_rendered(browser, eq)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [value]
    return browser.post(_edit_url(eq), data)


def _followed(browser, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def _settings(browser, selection):
    url = "/admin/settings/po-pricing"
    response = browser.post(url, {"selection": selection, "pricing": "average", "markup_percent": "",
                                  "markup_flat": "", "row_version": opened_version(browser, url)})
    assert response.status_code == 302


def _new_line_router_charge(browser, db_session, customer, eq) -> ServiceDeskCharge:
    """A new service desk item with one unit of the catalog: its Router charge."""
    response = browser.post("/service-desk/new", {
        "debtor_id": str(customer["debtor"].id), "job_id": str(customer["job"].id), "customer_po_id": "",
        "description": "Swap the router at reception"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    item = db_session.scalars(select(ServiceDeskItem).order_by(ServiceDeskItem.id.desc())).first()
    response = browser.post(f"/service-desk/{item.id}/equipment/new", {
        "catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "order", "unit_id": "",
        "supplier_po_id": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    db_session.expire_all()
    return db_session.scalars(select(ServiceDeskCharge).where(ServiceDeskCharge.item_id == item.id,
                                                              ServiceDeskCharge.name == "Router")).one()


def _charge_entries(db_session, eq) -> list[AuditEntry]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "catalog_charges", AuditEntry.entity_id == eq["priced"].id)
        .order_by(AuditEntry.id)))


def test_the_form_while_off_shows_nothing_of_po_pricing(off):
    eq, browser = off
    page = browser.get(_edit_url(eq)).get_data(as_text=True)
    assert "po_pricing" not in page and "data-po-pricing" not in page and "markup" not in page
    assert 'name="override_amount"' in page and "disabled" not in page.split('name="override_amount"')[1][:40]


def test_f1_an_override_typed_while_off_is_kept_and_used_by_a_new_service_desk_line(db_session, off, customer):
    eq, browser = off
    before = len(_charge_entries(db_session, eq))
    page = _followed(browser, _post(browser, eq, override_amount="99.00"))
    assert f"Charge Router {LEFT}it has an override amount of its own." in page
    assert "99.00" in page.split('id="catalog-charges"')[1].split("</table>")[0]
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert charge.override_amount == D("99.00") and not charge.po_pricing
    assert charge.default_amount == D("75.00") and charge.charge_type == "non_recurring"
    # history: one entry for the edit, with both changes and why PO pricing went
    entries = _charge_entries(db_session, eq)
    assert len(entries) == before + 1
    assert entries[-1].changes["override_amount"] == [None, "99.00"]
    assert entries[-1].changes["po_pricing"] == [True, False]
    assert "no longer uses PO pricing" in entries[-1].reason
    # a new service desk line is charged the override amount
    router = _new_line_router_charge(browser, db_session, customer, eq)
    assert router.rate == D("99.00") and not router.po_priced
    # turned back On, the charge is a normal one with its override amount, as saved
    _settings(browser, "all")
    router = _new_line_router_charge(browser, db_session, customer, eq)
    assert router.rate == D("99.00") and not router.po_priced
    form = browser.get(_edit_url(eq)).get_data(as_text=True)
    assert 'value="99.00"' in form and 'data-po-pricing="on"' not in form


@pytest.mark.parametrize("changes,reason", [
    ({"charge_type": "recurring"}, "it is recurring"),
    ({"override_allowed": None}, "it does not allow an override amount"),
])
def test_f2_an_edit_making_it_ineligible_while_off_is_saved_and_says_so(db_session, off, changes, reason):
    eq, browser = off
    response = _post(browser, eq, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]  # no refusal on a hidden field
    assert f"Charge Router {LEFT}{reason}." in _followed(browser, response)
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert not charge.po_pricing
    assert charge.charge_type == changes.get("charge_type", "non_recurring")
    assert charge.override_allowed == ("override_allowed" not in changes)
    assert "no longer uses PO pricing" in _charge_entries(db_session, eq)[-1].reason


def test_an_override_without_override_allowed_is_refused_at_the_visible_field(db_session, off):
    eq, browser = off
    version = eq["priced"].row_version
    response = _post(browser, eq, override_allowed=None, override_amount="99.00")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tick &#34;override amount allowed&#34; to give an override amount." in page or \
        "Tick &quot;override amount allowed&quot; to give an override amount." in page
    assert "po_pricing" not in page and "PO pricing" not in page
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert charge.po_pricing and charge.override_allowed and charge.override_amount is None
    assert charge.row_version == version


def test_an_unchanged_edit_while_off_changes_nothing_and_on_again_it_prices_from_pos(db_session, off, customer):
    eq, browser = off
    version, before = eq["priced"].row_version, len(_charge_entries(db_session, eq))
    page = _followed(browser, _post(browser, eq))
    assert "Charge Router saved." in page and "no longer uses PO pricing" not in page
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert charge.po_pricing and charge.override_amount is None and charge.row_version == version
    assert len(_charge_entries(db_session, eq)) == before
    # while Off a new line gets the catalog default, as a normal charge
    router = _new_line_router_charge(browser, db_session, customer, eq)
    assert router.rate == D("75.00") and not router.po_priced
    # turned back On, the charge is priced from supplier POs again: average of 6 units = 100.25
    _settings(browser, "all")
    router = _new_line_router_charge(browser, db_session, customer, eq)
    assert router.rate == D("100.25") and router.po_priced


def test_a_changed_default_amount_while_off_keeps_po_pricing(db_session, off):
    eq, browser = off
    page = _followed(browser, _post(browser, eq, default_amount="80.00"))
    assert "Charge Router saved." in page and "no longer uses PO pricing" not in page
    db_session.expire_all()
    charge = db_session.get(CatalogCharge, eq["priced"].id)
    assert charge.po_pricing and charge.default_amount == D("80.00")
