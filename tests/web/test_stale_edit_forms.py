"""Every edit form of an existing record is refused when stale, as the user, role and branch forms are: posted
without its row version (WTForms filled a missing one from the record itself, so the check always passed; a
blank one skipped it), or with a version older than the record's (someone saved it since). The settings tabs
carry their setting's row version and are checked the same way (an older tab put back another admin's change).
Posted back unchanged with its version, each form still saves."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import (AlertTemplate, BillCode, BillCodeGroup, CatalogCharge, Debtor, Document, DocumentType,
                           EquipmentCatalog, JobOrder, POGroup, PurchaseOrder, ServiceDeskEquipment, ServiceDeskItem,
                           Opportunity, Supplier, SupplierPO, debtor_relationship_leads)
from portal.services import contracts, equipment, settings
from portal.services.contracts import DeliveryInput
from tests import factories
from tests.web.forms_walk import opened_version, post_forms

STALE = "was changed by someone else since you opened it"


def _form(browser, url: str) -> dict:
    """The edit form on `url` (the one carrying a row version) as the page would post it back."""
    page = browser.get(url)
    assert page.status_code == 200, url
    [form] = [f for f in post_forms(page.get_data(as_text=True)) if "row_version" in f.data()]
    return form.data()


def _record(session, model, attr):
    return lambda record_id: getattr(session.get(model, record_id), attr)


def _document(session, browser) -> int:
    customer = factories.customer(session)
    code = BillCode(code="ORD")
    session.add(code)
    session.commit()
    made = browser.post("/documents/new", {
        "debtor_id": str(customer["debtor"].id), "document_type_id": str(factories.document_types(session)[
            "Sales Invoice"].id), "number": "", "doc_date": "2026-03-01", "bill_from": "", "bill_to": "",
        "po_number": "", "notes": "", "line_job": [str(customer["job"].id)], "line_code": [str(code.id)],
        "line_date": [""], "line_description": ["hours"], "line_quantity": ["10"], "line_rate": ["95.00"],
        "line_po": [""], "line_key": ["k1"]})
    assert made.status_code == 302, made.get_data(as_text=True)[-1500:]
    return session.scalars(select(Document.id)).one()


def _desk_item(session, browser) -> ServiceDeskItem:
    customer = factories.customer(session)
    made = browser.post("/service-desk/new", {"debtor_id": str(customer["debtor"].id),
                                              "job_id": str(customer["job"].id), "customer_po_id": "",
                                              "description": "Swap the router"})
    assert made.status_code == 302, made.get_data(as_text=True)[-1500:]
    return session.scalars(select(ServiceDeskItem)).one()


def _equipment_line(session, browser) -> tuple[str, int]:
    eq = factories.equipment_setup(session, selection="off")
    item = _desk_item(session, browser)
    assert browser.post(f"/service-desk/{item.id}/equipment/new", {
        "catalog_id": str(eq["catalog"].id), "quantity": "1", "fulfilment": "order", "unit_id": "",
        "supplier_po_id": ""}).status_code == 302
    line_id = session.scalars(select(ServiceDeskEquipment.id)).one()
    return f"/service-desk/{item.id}/equipment/{line_id}/edit", line_id


def _case(kind: str, session, browser):
    """(url, field, read the field back, three values: the refused change, the other admin's, the stale one)."""
    names = ("Changed", "Now", "Older")
    if kind == "debtor":
        d = factories.debtor(session, "ACME")
        return f"/debtors/{d.id}/edit", "name", lambda: _record(session, Debtor, "name")(d.id), names
    if kind == "job order":
        j = factories.job(session, factories.debtor(session, "ACME"))
        return f"/job-orders/{j.id}/edit", "title", lambda: _record(session, JobOrder, "title")(j.id), names
    if kind == "purchase order":
        p = factories.po(session, factories.debtor(session, "ACME"), "4500")
        return (f"/purchase-orders/{p.id}/edit", "description",
                lambda: _record(session, PurchaseOrder, "description")(p.id), names)
    if kind == "po group":
        g = factories.po_group(session, factories.debtor(session, "ACME"))
        return (f"/purchase-orders/groups/{g.id}/edit", "description",
                lambda: _record(session, POGroup, "description")(g.id), names)
    if kind == "document draft":
        doc_id = _document(session, browser)
        return f"/documents/{doc_id}/edit", "notes", lambda: _record(session, Document, "notes")(doc_id), names
    if kind == "bill code":
        c = BillCode(code="LAB")
        session.add(c)
        session.commit()
        return (f"/maintenance/bill-codes/{c.id}/edit", "description",
                lambda: _record(session, BillCode, "description")(c.id), names)
    if kind == "bill code group":
        g = factories.bill_code_group(session, "Labour", ["LAB"])
        return (f"/maintenance/bill-code-groups/{g.id}/edit", "description",
                lambda: _record(session, BillCodeGroup, "description")(g.id), names)
    if kind == "document type":
        t = factories.document_types(session)["Sales Order"]
        return (f"/maintenance/document-types/{t.id}/edit", "name",
                lambda: _record(session, DocumentType, "name")(t.id), names)
    if kind == "alert template":
        t = factories.threshold_template(session, "Usage", [75, 90])
        return (f"/maintenance/alert-templates/{t.id}/edit", "name",
                lambda: _record(session, AlertTemplate, "name")(t.id), names)
    if kind == "supplier":
        s = factories.equipment_setup(session)["supplier"]
        return f"/equipment/suppliers/{s.id}/edit", "name", lambda: _record(session, Supplier, "name")(s.id), names
    if kind == "catalog":
        c = factories.equipment_setup(session)["catalog"]
        return (f"/equipment/catalogs/{c.id}/edit", "name",
                lambda: _record(session, EquipmentCatalog, "name")(c.id), names)
    if kind == "catalog charge":
        eq = factories.equipment_setup(session)
        c = eq["monthly"]
        return (f"/equipment/catalogs/{eq['catalog'].id}/charges/{c.id}/edit", "name",
                lambda: _record(session, CatalogCharge, "name")(c.id), names)
    if kind == "supplier po":
        s = factories.equipment_setup(session)["spo_1001"]
        return (f"/equipment/supplier-pos/{s.id}/edit", "notes",
                lambda: _record(session, SupplierPO, "notes")(s.id), names)
    if kind == "service desk item":
        item = _desk_item(session, browser)
        return (f"/service-desk/{item.id}/edit", "description",
                lambda: _record(session, ServiceDeskItem, "description")(item.id), names)
    if kind == "service desk equipment":
        url, line_id = _equipment_line(session, browser)
        return (url, "quantity", lambda: _record(session, ServiceDeskEquipment, "quantity")(line_id),
                ("2", "3", "4"))
    if kind == "assignment prompt setting":
        return "/admin/settings", "text", lambda: settings.assignment_prompt(session), names
    assert kind == "po pricing setting"
    factories.equipment_setup(session, selection="all")
    return ("/admin/settings/po-pricing", "markup_percent",
            lambda: format(equipment.pricing_settings(session).markup_percent or 0, "f"), ("11", "12", "13"))


KINDS = ["debtor", "job order", "purchase order", "po group", "document draft", "bill code", "bill code group",
         "document type", "alert template", "supplier", "catalog", "catalog charge", "supplier po",
         "service desk item", "service desk equipment", "assignment prompt setting", "po pricing setting"]


def _same(value, typed: str) -> bool:
    return str(value) == typed or (isinstance(value, Decimal) and value == Decimal(typed))


@pytest.mark.parametrize("kind", KINDS)
def test_an_edit_form_without_its_row_version_or_stale_is_refused_and_unchanged_saves(db_session, login_as, kind):
    admin, _ = login_as("Administrator")
    url, field, value, (changed, now, older) = _case(kind, db_session, admin)
    opened = _form(admin, url)
    before = value()
    # posted back as it is: saved (or nothing to save), not refused
    unchanged = admin.post(url, opened)
    assert unchanged.status_code == 302, unchanged.get_data(as_text=True)[-1500:]
    for sent in ("left out", "blank"):
        form = _form(admin, url) | {field: [changed]}
        if sent == "left out":
            del form["row_version"]
        else:
            form["row_version"] = [""]
        refused = admin.post(url, form)
        assert refused.status_code == 200 and STALE in refused.get_data(as_text=True), (kind, sent)
        db_session.expire_all()
        assert not _same(value(), changed) and str(value()) == str(before), (kind, sent)
    # two forms opened at once: the first saved, the older one refused and what the first saved kept
    assert admin.post(url, _form(admin, url) | {field: [now]}).status_code == 302
    db_session.expire_all()
    assert _same(value(), now), kind
    stale = admin.post(url, opened | {field: [older]})
    assert stale.status_code == 200 and STALE in stale.get_data(as_text=True), kind
    db_session.expire_all()
    assert _same(value(), now), kind


def test_a_settings_tab_opened_before_the_setting_was_first_saved_is_refused_once_it_was(db_session, login_as):
    """A setting never saved has no row: its tab carries version 0, and another admin's first save (the row
    made) makes it stale."""
    a, _ = login_as("Administrator")
    b, _ = login_as("Administrator")
    older = _form(b, "/admin/settings")
    assert older["row_version"] == [str(settings.NEVER_SET)]
    assert a.post("/admin/settings", _form(a, "/admin/settings") | {"text": ["Set by A"]}).status_code == 302
    refused = b.post("/admin/settings", older | {"text": ["Set by B"]})
    assert refused.status_code == 200 and STALE in refused.get_data(as_text=True)
    db_session.expire_all()
    assert settings.assignment_prompt(db_session) == "Set by A"


@pytest.fixture
def contract(db_session):
    lead = factories.user(db_session, "lee", role_name="Relationship Lead")
    debtor = factories.debtor(db_session, "DELL")
    po = factories.po(db_session, debtor, "4500", amount="400000", effective=date(2026, 1, 1),
                      expiration=date(2026, 12, 31))
    code = BillCode(code="TRN")
    db_session.add(code)
    db_session.execute(debtor_relationship_leads.insert().values(debtor_id=debtor.id, user_id=lead.id))
    db_session.commit()
    consultant = factories.user(db_session, role_name="Consultant")
    made = contracts.enter_contract(db_session, consultant, contracts.ContractInput(
        debtor.id, po.id, "Data centre course", None, None,
        (DeliveryInput(code.id, date(2026, 3, 10), "Class A", Decimal("1"), Decimal("16000")),)),
        today=date(2026, 2, 10), confirmed=True).contract
    return {"contract": made, "code": code}


def _schedule_rows(code, amount: str) -> dict:
    return {"delivery_code": [str(code.id)], "delivery_date": ["2026-03-12"], "delivery_description": ["Class C"],
            "delivery_quantity": ["1"], "delivery_rate": [amount]}


def test_a_contract_schedule_form_without_its_row_version_or_stale_is_refused(db_session, login_as, contract):
    browser, _ = login_as("Consultant")
    c, code = contract["contract"], contract["code"]
    url = f"/contracts/{c.id}/schedule"

    def scheduled():
        db_session.expire_all()
        return len(contracts.deliveries_of(db_session, c.id))

    opened = _form(browser, url)
    for sent in ("left out", "blank"):
        form = _form(browser, url) | _schedule_rows(code, "1000")
        if sent == "left out":
            del form["row_version"]
        else:
            form["row_version"] = [""]
        refused = browser.post(url, form)
        assert refused.status_code == 200 and STALE in refused.get_data(as_text=True), sent
        assert scheduled() == 1
    assert browser.post(url, _form(browser, url) | _schedule_rows(code, "1000")).status_code == 302
    assert scheduled() == 2
    stale = browser.post(url, opened | _schedule_rows(code, "2000"))
    assert stale.status_code == 200 and STALE in stale.get_data(as_text=True)
    assert scheduled() == 2


def test_an_opportunity_change_without_its_row_version_or_stale_is_refused(db_session, browser, contract):
    """Losing an opportunity (and handing it over, reopening it: one form helper) is checked as an edit is."""
    opp = db_session.scalar(select(Opportunity))
    browser.login("lee")
    lose = f"/opportunities/{opp.id}/lose"

    def status():
        db_session.expire_all()
        return db_session.get(Opportunity, opp.id).status

    opened = opened_version(browser, f"/opportunities/{opp.id}")
    for version in (None, ""):
        data = {"reason": "Budget frozen"} | ({} if version is None else {"row_version": version})
        shown = browser.post(lose, data, follow_redirects=True).get_data(as_text=True)
        assert STALE in shown and status() == "open", version
    assert browser.post(lose, {"reason": "Budget frozen", "row_version": opened}).status_code == 302
    assert status() == "lost"
    shown = browser.post(f"/opportunities/{opp.id}/reopen", {"row_version": opened},
                         follow_redirects=True).get_data(as_text=True)
    assert STALE in shown and status() == "lost"  # the form opened before it was lost
