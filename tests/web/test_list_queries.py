"""Pages that list records run the same number of SQL statements for a few rows as for a full page
(no query per row). Each case grows its data between two visits and compares the counts."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert

from portal.models import AlertTemplate, BillCode, Notification, Role
from portal.services import documents, posting
from tests import factories


def _grow_jobs(s, world, n):
    for _ in range(n):
        job = factories.job(s, world["debtor"], world["branch"])
        factories.assignment(s, job, po=world["po"], start=date(2026, 1, 1))


def _grow_users(s, world, n):
    for _ in range(n):
        factories.user(s, role_name="Consultant", branches=[world["branch"]])


def _grow_notifications(s, world, n):
    s.execute(insert(Notification), [{"user_id": world["user"].id, "subject": f"PO at {i}%", "body": "", "link": ""}
                                     for i in range(n)])
    s.commit()


def _grow_groups(s, world, n):
    for _ in range(n):
        group = factories.po_group(s, world["debtor"])
        factories.po(s, world["debtor"], group=group)


def _grow_code_groups(s, world, n):
    for _ in range(n):
        factories.bill_code_group(s, f"G{world['seq']}", [f"C{world['seq']}", f"D{world['seq']}"])
        world["seq"] += 1


def _grow_master_pos(s, world, n):
    from portal.models import POLine, POLineBalance

    for _ in range(n):
        labour = factories.bill_code_group(s, f"M{world['seq']}", [f"M{world['seq']}"])
        world["seq"] += 1
        po = factories.po(s, world["debtor"], kind="multi_line_master", amount="300", expiration=date(2099, 12, 31))
        s.add(POLine(po_id=po.id, line_no=1, budget=Decimal("300"), bill_code_group_id=labour.id,
                     secondary_po_number="A", balance=POLineBalance(po_id=po.id)))
        s.commit()


def _grow_templates(s, world, n):
    roles = s.query(Role).all()
    for i in range(n):
        s.add(AlertTemplate(name=f"T{world['seq']}-{i}", thresholds=[75, 90], subject="s", message="m",
                            recipient_roles=roles[:2], recipient_users=[world["user"]]))
    world["seq"] += 1
    s.commit()


def _grow_documents(s, world, n, *, new_pos=False):
    for _ in range(n):
        po = factories.po(s, world["debtor"]) if new_pos else world["po"]
        doc = documents.save_draft(s, world["user"], None, documents.DocumentInput(
            debtor_id=world["debtor"].id, document_type_id=world["invoice"].id, number="", doc_date=date(2026, 3, 1),
            lines=(documents.LineInput(world["jobs"][0].id, world["code"].id, Decimal("1"), Decimal("10")),
                   documents.LineInput(None, world["code"].id, Decimal("2"), Decimal("5"), explicit_po_id=po.id))))
        posting.post(s, world["user"], doc.id, confirmed=True)


def _grow_documents_on_new_pos(s, world, n):
    _grow_documents(s, world, n, new_pos=True)


def _grow_equipment(s, world, n):
    for _ in range(n):
        factories.equipment_setup(s)


def _grow_desk_items(s, world, n):
    from portal.services import equipment_desk

    eq = world.get("eq") or factories.equipment_setup(s, selection="all")
    world["eq"] = eq
    for i in range(n):
        item = equipment_desk.save_item(s, world["user"], None, equipment_desk.ItemInput(
            debtor_id=world["debtor"].id, description=f"Router {i}", job_id=world["jobs"][0].id))
        equipment_desk.save_equipment(s, world["user"], item.id, None, equipment_desk.EquipmentInput(
            catalog_id=eq["catalog"].id, quantity="1", fulfilment="order"))


def growth_world(s, user) -> dict:
    """The rows every growth case starts from: one debtor with one long PO, a bill code, a branch and one job
    assigned to the PO (the `_grow_*` functions add rows to it)."""
    debtor = factories.debtor(s, "ACME")
    po = factories.po(s, debtor, "4500", amount="1000000", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    code = BillCode(code="ORD")
    s.add(code)
    s.commit()
    world = {"user": user, "debtor": debtor, "po": po, "code": code, "branch": factories.branch(s), "seq": 0,
             "invoice": factories.document_types(s)["Sales Invoice"]}
    world["jobs"] = [factories.job(s, debtor, world["branch"])]
    factories.assignment(s, world["jobs"][0], po=po, start=date(2020, 1, 1))
    return world


CASES = {
    "job orders": ("/job-orders/?debtor_id={debtor}&active=", _grow_jobs),
    "users": ("/admin/users", _grow_users),
    "notifications": ("/notifications/", _grow_notifications),
    "PO groups": ("/purchase-orders/groups?debtor_id={debtor}", _grow_groups),
    "debtor's POs": ("/debtors/{debtor}?tab=purchase_orders", _grow_groups),
    "master POs listed": ("/purchase-orders/?debtor_id={debtor}", _grow_master_pos),  # their lines: one query
    "bill code groups": ("/maintenance/bill-code-groups/", _grow_code_groups),
    "alert templates": ("/maintenance/alert-templates/", _grow_templates),
    "PO documents tab": ("/purchase-orders/{po}?tab=documents", _grow_documents),
    "PO assignments tab": ("/purchase-orders/{po}?tab=assignments", _grow_jobs),
    "spend report": ("/documents/report", _grow_documents_on_new_pos),
    "documents of a debtor": ("/documents/?debtor_id={debtor}", _grow_documents),
    "supplier POs": ("/equipment/supplier-pos/", _grow_equipment),
    "equipment catalogs": ("/equipment/catalogs/", _grow_equipment),
    "service desk items": ("/service-desk/", _grow_desk_items),
}


@pytest.mark.parametrize("name", list(CASES))
def test_list_pages_run_a_constant_number_of_queries(name, db_session, login_as, count_queries):
    browser, user = login_as("Administrator")
    world = growth_world(db_session, user)
    debtor, po = world["debtor"], world["po"]
    url_template, grow = CASES[name]
    url = url_template.format(debtor=debtor.id, po=po.id)

    def queries() -> tuple[int, int]:
        # a change to branches or roles (the growth adds a branch) has the next request read the user's
        # grants again (two queries, portal/services/principals.py), and a change to the debtors has the next
        # list read them again (portal/services/debtors.py): counted after it, like every visit but one
        browser.get(url)
        with count_queries() as statements:
            response = browser.get(url)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return len(statements), response.get_data(as_text=True).count("<tr")

    grow(db_session, world, 2)
    small, small_rows = queries()
    grow(db_session, world, 20)
    large, large_rows = queries()
    assert large_rows > small_rows  # the page shows the new rows...
    assert large == small  # ...with the same statements


def test_a_document_page_reads_its_lines_jobs_and_pos_in_a_constant_number_of_queries(db_session, login_as,
                                                                                       count_queries):
    """Each line's job, PO and master line come with the document (one query each for all lines): a page
    of 20 lines on 20 POs once read them line by line."""
    browser, user = login_as("Administrator")
    world = growth_world(db_session, user)

    def page_of(n: int) -> tuple[int, str]:
        lines = []
        for _ in range(n):
            job = factories.job(db_session, world["debtor"], world["branch"])
            po = factories.po(db_session, world["debtor"])
            lines.append(documents.LineInput(job.id, world["code"].id, Decimal("1"), Decimal("10"), explicit_po_id=po.id))
        doc = documents.save_draft(db_session, user, None, documents.DocumentInput(
            debtor_id=world["debtor"].id, document_type_id=world["invoice"].id, number="", doc_date=date(2026, 3, 1),
            lines=tuple(lines)))
        assert posting.post(db_session, user, doc.id, confirmed=True).posted
        browser.get(f"/documents/{doc.id}")
        with count_queries() as statements:
            response = browser.get(f"/documents/{doc.id}")
            assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    small, _ = page_of(2)
    large, html = page_of(12)
    assert html.count('href="/purchase-orders/') >= 12 and html.count('href="/job-orders/') >= 12
    assert large == small


def test_a_document_search_reads_the_document_types_once(db_session, login_as, count_queries):
    """The list's type filter and the search's match on a type's name share one read of the types."""
    browser, _ = login_as("Billing Admin")
    factories.document_types(db_session)
    browser.get("/documents/?q=inv")
    with count_queries() as statements:
        response = browser.get("/documents/?q=inv")
    assert response.status_code == 200
    assert sum("FROM document_types" in s for s in statements) == 1
