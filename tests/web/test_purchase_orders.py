"""Purchase orders through the browser-facing routes: ownership, bad input, lists."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from portal.models import AuditEntry, POBalance, PurchaseOrder
from tests import factories


def _form(**kw):
    data = {"number": "4500123", "kind": "single_line", "effective": "2026-01-01", "expiration": "2026-12-31",
            "amount": "10000.00", "tolerance_pct": "90", "description": "", "notes": ""}
    data.update(kw)
    return data


def _count(session, model=PurchaseOrder):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_create_single_line_po_with_balance_row_and_audit(db_session, login_as):
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    response = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id)))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    po = db_session.scalars(select(PurchaseOrder)).one()
    assert po.amount == Decimal("10000.00") and po.tolerance_pct == Decimal("90")
    assert po.balance is not None and po.balance.used == 0
    assert len(po.eligible) == 6  # none ticked: every document type
    assert po.created_by_id == user.id
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "purchase_orders", AuditEntry.action == "create")) == 1


def test_split_po_same_number_disjoint_types(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    types = factories.document_types(db_session)
    sales = [str(types[n].id) for n in ("Sales Order", "Sales Invoice")]
    service = [str(types[n].id) for n in ("Repair Order", "Service Invoice")]
    assert browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), amount="4000",
                                                      document_type_ids=sales)).status_code == 302
    assert browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), amount="6000",
                                                      document_type_ids=service)).status_code == 302
    clash = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), amount="1",
                                                       document_type_ids=[sales[1]]))
    assert clash.status_code == 200 and "already used for Sales Invoice" in clash.get_data(as_text=True)
    assert _count(db_session) == 2


BAD = [
    ({"amount": "0"}, "more than zero"),
    ({"amount": "-10"}, "more than zero"),
    ({"amount": "ten"}, "as a number"),
    ({"amount": "1000000000000"}, "at most 999,999,999,999.99"),
    ({"amount": "1e400"}, "as a number"),
    ({"expiration": "2025-12-31"}, "on or after the effective date"),
    ({"effective": "2026-02-30"}, "Enter the date as YYYY-MM-DD"),
    ({"effective": "2026-3-1"}, "Enter the date as YYYY-MM-DD"),  # WTForms' own parser took it
    ({"effective": "20260301"}, "Enter the date as YYYY-MM-DD"),
    ({"effective": ""}, "Enter the effective date"),
    ({"tolerance_pct": "101"}, "between 0 and 100"),
    ({"tolerance_pct": "lots"}, "between 0 and 100"),
    ({"number": ""}, "Enter the PO number"),
    ({"number": "x" * 10_000}, "Field cannot be longer than 50 characters"),
    ({"kind": "triple"}, "Choose single line"),
    ({"document_type_ids": ["99999"]}, "Choose document types from the list"),
    ({"group_id": "99999"}, "Choose an active PO group of this debtor"),
    ({"alert_template_id": "abc"}, "Choose an alert template"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_input_gets_a_field_message_and_writes_nothing(db_session, login_as, change, message):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    response = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), **change))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db_session) == 0 and _count(db_session, POBalance) == 0


def test_another_debtors_group_is_refused(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, other = factories.debtor(db_session), factories.debtor(db_session)
    group = factories.po_group(db_session, other)
    response = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), group_id=str(group.id)))
    assert "Choose an active PO group of this debtor" in response.get_data(as_text=True)
    assert _count(db_session) == 0


def test_group_overlap_names_the_po_and_days(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor)
    factories.po(db_session, debtor, "CC-H1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    response = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), number="CC-H2",
                                                          group_id=str(group.id), effective="2026-06-30"))
    assert "Overlaps PO CC-H1" in response.get_data(as_text=True) and "1 day" in response.get_data(as_text=True)
    ok = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), number="CC-H2",
                                                    group_id=str(group.id), effective="2026-07-01"))
    assert ok.status_code == 302


def test_master_po_amount_is_the_sum_of_its_lines(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    expenses = factories.bill_code_group(db_session, "Expenses", ["EXP"])
    response = browser.post("/purchase-orders/new", _form(
        debtor_id=str(debtor.id), kind="multi_line_master", amount="",
        line_id=["", ""], line_budget=["800.00", "200.50"], line_group=[str(labour.id), str(expenses.id)],
        line_secondary=["M-A", "M-B"], line_description=["Labour", "Expenses"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    po = db_session.scalars(select(PurchaseOrder)).one()
    assert po.amount == Decimal("1000.50")
    assert [(l.line_no, l.secondary_po_number) for l in po.lines] == [(1, "M-A"), (2, "M-B")]
    assert all(l.balance is not None for l in po.lines)
    po.lines[1].balance.used = Decimal("250.00")  # past the Expenses line's 200.50
    po.lines[0].balance.commitments = Decimal("300.00")
    db_session.commit()
    tab = browser.get(f"/purchase-orders/{po.id}?tab=lines").get_data(as_text=True)
    labour_row, expenses_row = tab.split("<td>M-A</td>")[0], tab.split("<td>M-A</td>")[1]
    assert 'class="budget-red"' not in labour_row.rsplit("<tr", 1)[1] and "500.00" in expenses_row  # 800 − 300
    assert 'class="budget-red"' in expenses_row and "(49.50)" in expenses_row  # 200.50 − 250


def test_master_po_needs_a_bill_code_group_to_exist(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    response = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), kind="multi_line_master"))
    assert "Create a bill code group first" in response.get_data(as_text=True)


def test_lines_total_fragment(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/purchase-orders/lines-total", {"line_budget": ["10.10", "0.90"], "line_group": ["", ""],
                                                             "line_secondary": ["a", "b"]}, headers={"HX-Request": "true"})
    assert "11.00" in response.get_data(as_text=True) and "<html" not in response.get_data(as_text=True)


def test_number_locked_without_override(db_session, login_as):
    browser, user = login_as("Relationship Lead")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "OLD-1", created_by=user)
    page = browser.get(f"/purchase-orders/{po.id}/edit")
    assert "Locked once created" in page.get_data(as_text=True)
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(number="NEW-1", row_version=str(po.row_version)))
    assert "locked once created" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).number == "OLD-1"


def test_override_may_renumber(db_session, login_as):
    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "OLD-1")
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(number="NEW-1", row_version=str(po.row_version)))
    assert response.status_code == 302
    db_session.expire_all()
    refreshed = db_session.get(PurchaseOrder, po.id)
    assert refreshed.number == "NEW-1" and {e.number_key for e in refreshed.eligible} == {"NEW-1"}


def test_add_edit_changes_and_deletes_only_its_own(db_session, login_as):
    browser, lead = login_as("Relationship Lead")
    _, other = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    mine = factories.po(db_session, debtor, "MINE", created_by=lead)
    theirs = factories.po(db_session, debtor, "THEIRS", created_by=other)
    assert browser.get(f"/purchase-orders/{theirs.id}/edit").status_code == 403
    refused = browser.post(f"/purchase-orders/{theirs.id}/delete")
    # the service's own reason, not the role's (the role holds add_edit)
    assert refused.status_code == 403 and "You may delete only purchase orders you created." in refused.get_data(
        as_text=True)
    assert "Delete" not in browser.get(f"/purchase-orders/{theirs.id}").get_data(as_text=True).split("<nav class=\"tabs\"")[0].split("</h1>")[1]
    assert browser.post(f"/purchase-orders/{mine.id}/delete").status_code == 302
    assert {p.number for p in db_session.scalars(select(PurchaseOrder))} == {"THEIRS"}


def test_full_deletes_anyones_but_never_a_referenced_po(db_session, login_as):
    from portal.models import JobOrder, JobPOAssignment

    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    free, used = factories.po(db_session, debtor, "FREE"), factories.po(db_session, debtor, "USED")
    job = JobOrder(title="Picker", debtor_id=debtor.id, branch_id=factories.branch(db_session).id,
                   start_date=date(2026, 1, 1))
    db_session.add(job)
    db_session.flush()
    db_session.add(JobPOAssignment(job_id=job.id, debtor_id=debtor.id, po_id=used.id, start_date=date(2026, 1, 1)))
    db_session.commit()
    assert browser.post(f"/purchase-orders/{free.id}/delete").status_code == 302
    response = browser.post(f"/purchase-orders/{used.id}/delete", follow_redirects=True)
    assert "1 job assignment" in response.get_data(as_text=True)
    assert {p.number for p in db_session.scalars(select(PurchaseOrder))} == {"USED"}


def test_stale_edit_is_refused(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    po = factories.po(db_session, factories.debtor(db_session), "S-1")
    response = browser.post(f"/purchase-orders/{po.id}/edit", _form(number="S-1", amount="5", row_version="0"))
    assert "changed by someone else" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).amount == Decimal("10000.00")


def test_view_only_roles_cannot_create(db_session, login_as):
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    assert browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id))).status_code == 403
    assert _count(db_session) == 0


def test_unknown_po_is_404(db_session, login_as):
    browser, _ = login_as("Auditor")
    assert browser.get("/purchase-orders/424242").status_code == 404


def test_list_filters_expired_and_colours_rows(db_session, login_as):
    browser, _ = login_as("Auditor")
    debtor = factories.debtor(db_session)
    today = date.today()
    factories.po(db_session, debtor, "YELLOW", tolerance=90, used="9500", expiration=today + timedelta(days=30))
    factories.po(db_session, debtor, "RED", used="10000.01", expiration=today + timedelta(days=30))
    factories.po(db_session, debtor, "OLD", effective=today - timedelta(days=400), expiration=today - timedelta(days=1))
    html = browser.get("/purchase-orders/").get_data(as_text=True)
    assert "OLD" not in html and 'class="budget-yellow"' in html and 'class="budget-red"' in html
    assert "OLD" in browser.get("/purchase-orders/?expired=1").get_data(as_text=True)
    fragment = browser.get("/purchase-orders/?q=yel", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "YELLOW" in fragment and "RED" not in fragment and "<html" not in fragment


def test_list_query_count_is_constant(db_session, login_as, count_queries):
    browser, _ = login_as("Auditor")
    debtor = factories.debtor(db_session)
    for n in range(10):
        factories.po(db_session, debtor, f"P{n}")

    def queries():
        # the first visit after a change reads the grants (principals) or the debtors again (debtors.all_debtors)
        browser.get("/purchase-orders/?expired=1")
        with count_queries() as statements:
            assert browser.get("/purchase-orders/?expired=1").status_code == 200
        return len(statements)

    small = queries()
    rows = [{"debtor_id": debtor.id, "number": f"BULK{n}", "kind": "single_line", "effective": date(2026, 1, 1),
             "expiration": date(2027, 1, 1), "amount": Decimal("100"), "description": "", "notes": ""}
            for n in range(2000)]
    db_session.execute(insert(PurchaseOrder), rows)
    db_session.commit()
    assert queries() == small


def test_a_groups_po_count_links_to_that_groups_pos_only(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor, "Winter staffing")
    factories.po(db_session, debtor, "GR-IN", group=group, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    factories.po(db_session, debtor, "NOT-IN", effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    groups_page = browser.get(f"/purchase-orders/groups?debtor_id={debtor.id}").get_data(as_text=True)
    import re
    link = re.search(r'<td class="num"><a href="([^"]+)">1</a>', groups_page).group(1).replace("&amp;", "&")
    listed = browser.get(link).get_data(as_text=True)
    assert "GR-IN" in listed and "NOT-IN" not in listed
    assert f'name="group_id" value="{group.id}"' in listed  # the filters keep to the group


@pytest.mark.parametrize(("tab", "reads_lines", "reads_types"), [
    ("summary", False, True), ("documents", False, False), ("spend", False, False), ("lines", True, False),
])
def test_a_po_tab_reads_the_lines_and_eligible_types_only_where_it_shows_them(db_session, login_as, count_queries,
                                                                               tab, reads_lines, reads_types):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    invoice = factories.document_types(db_session)["Sales Invoice"]
    po = factories.po(db_session, debtor, "SHOWN", kind="multi_line_master" if tab == "lines" else "single_line",
                      types=[invoice])
    url = f"/purchase-orders/{po.id}?tab={tab}"
    browser.get(url)
    with count_queries() as statements:
        page = browser.get(url)
    assert page.status_code == 200
    assert any(s.startswith("SELECT po_lines.") for s in statements) is reads_lines
    # the summary's eligible types come joined in the PO's own statement (no statement of their own)
    assert any("po_eligible_types" in s for s in statements) is reads_types
    assert not any(s.startswith("SELECT po_eligible_types.") for s in statements)
    if reads_types:
        assert "<dt>Eligible document types</dt><dd>Sales Invoice</dd>" in page.get_data(as_text=True)


def test_a_po_summary_names_its_alert_template_without_reading_its_recipients(db_session, login_as, count_queries):
    browser, _ = login_as("Billing Admin")
    template = factories.threshold_template(db_session, "Watchful", [80])
    po = factories.po(db_session, factories.debtor(db_session), "ALERTED", alert_template_id=template.id)
    url = f"/purchase-orders/{po.id}"
    browser.get(url)
    with count_queries() as statements:
        page = browser.get(url)
    assert "<dt>Alert template</dt><dd>Watchful</dd>" in page.get_data(as_text=True)
    # joined in the PO's own statement (the summary's two round trips fewer)
    assert any(s.startswith("SELECT purchase_orders.") and "alert_templates" in s for s in statements)
    assert not any(s.startswith("SELECT alert_templates.") for s in statements)
    assert not [s for s in statements if "alert_template_roles" in s or "alert_template_users" in s
                or s.startswith("SELECT role_grants.")]


def _audit_entries(session, po_id: int):
    session.expire_all()
    return session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "purchase_orders",
                                                    AuditEntry.entity_id == po_id).order_by(AuditEntry.id)).all()


def test_eligible_document_types_are_written_to_the_pos_history_by_name(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    types = factories.document_types(db_session)
    invoice, credit = str(types["Sales Invoice"].id), str(types["Credit Memo"].id)
    assert browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), document_type_ids=[invoice, credit])
                        ).status_code == 302
    po = db_session.scalars(select(PurchaseOrder)).one()
    [created] = _audit_entries(db_session, po.id)
    assert created.action == "create"
    assert created.changes["eligible_document_types"] == [None, ["Sales Invoice", "Credit Memo"]]

    # only the eligible types change: the save still has its entry, naming them before and after
    edit = browser.post(f"/purchase-orders/{po.id}/edit", _form(row_version=str(po.row_version),
                                                               document_type_ids=[credit]))
    assert edit.status_code == 302, edit.get_data(as_text=True)[:2000]
    changed = _audit_entries(db_session, po.id)[-1]
    assert changed.action == "update"
    assert changed.changes == {"eligible_document_types": [["Sales Invoice", "Credit Memo"], ["Credit Memo"]]}

    # with another field: one entry holds both; none ticked means every type
    po = db_session.get(PurchaseOrder, po.id)
    edit = browser.post(f"/purchase-orders/{po.id}/edit", _form(row_version=str(po.row_version), amount="12000.00"))
    assert edit.status_code == 302, edit.get_data(as_text=True)[:3000]
    both = _audit_entries(db_session, po.id)[-1]
    assert both.changes["amount"] == ["10000.00", "12000.00"]
    assert both.changes["eligible_document_types"][0] == ["Credit Memo"]
    assert set(both.changes["eligible_document_types"][1]) == set(types)

    # an unchanged save of the types writes nothing about them
    po = db_session.get(PurchaseOrder, po.id)
    browser.post(f"/purchase-orders/{po.id}/edit", _form(row_version=str(po.row_version), amount="12500.00"))
    assert "eligible_document_types" not in _audit_entries(db_session, po.id)[-1].changes

    history = browser.get(f"/purchase-orders/{po.id}?tab=history").get_data(as_text=True)
    assert ("<dt>Eligible document types</dt><dd><del>Sales Invoice, Credit Memo</del> → <ins>Credit Memo</ins></dd>"
            in history)
    assert "<dt>Eligible document types</dt><dd>Sales Invoice, Credit Memo</dd>" in history  # the creation


def _po_form_of(html: str):
    from tests.web.forms_walk import post_forms

    [form] = [f for f in post_forms(html) if "kind" in f.data()]
    return form


@pytest.mark.parametrize(("typed", "message"), [
    ({"line_budget": "1000.005"}, "Line 1: The budget may have at most two decimals."),
    ({"line_budget": "abc"}, "Line 1: Enter the budget as a number"),
    ({"line_budget": "-5"}, "Line 1: The budget must be more than zero."),
    ({"line_description": "d" * 201}, "Line 1: the description may have at most 200 characters."),
])
def test_a_refused_master_line_comes_back_as_typed_and_posted_back_unchanged_is_refused_again(
        db_session, login_as, typed, message):
    """README: too many decimals are refused with a message, never rounded: the form shown again holds
    what was typed, so saving it again unchanged is refused again and creates nothing."""
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    line = {"line_id": "", "line_budget": "800.00", "line_group": str(labour.id), "line_secondary": "M-A",
            "line_description": "Labour", **typed}
    first = browser.post("/purchase-orders/new", _form(debtor_id=str(debtor.id), kind="multi_line_master", amount="",
                                                       **{k: [v] for k, v in line.items()}))
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and message in html
    shown = _po_form_of(html).data()
    assert {k: shown[k] for k in line} == {k: [v] for k, v in line.items()}  # every line field as typed
    total = html.split('id="master-total"', 1)[1].split("</span>", 1)[0]
    if "line_budget" in typed:  # no figure (1,000.00 or 1,000.01) for a budget that is refused
        assert '<strong id="master-total-value">—</strong>' in total and "not a total yet" in total
        assert message in total and "1,000.0" not in total
    else:
        assert '<strong id="master-total-value">800.00</strong>' in total

    again = browser.post("/purchase-orders/new", shown)
    assert again.status_code == 200 and message in again.get_data(as_text=True)
    assert _count(db_session) == 0 and _count(db_session, POBalance) == 0


def test_a_refused_budget_on_a_master_pos_edit_form_comes_back_as_typed(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    assert browser.post("/purchase-orders/new", _form(
        debtor_id=str(debtor.id), kind="multi_line_master", amount="", line_id=[""], line_budget=["800.00"],
        line_group=[str(labour.id)], line_secondary=["M-A"], line_description=[""])).status_code == 302
    po = db_session.scalars(select(PurchaseOrder)).one()
    page = browser.get(f"/purchase-orders/{po.id}/edit").get_data(as_text=True)
    data = _po_form_of(page).data()
    assert data["line_budget"] == ["800.00"]
    data["line_budget"] = ["1000.005"]
    refused = browser.post(f"/purchase-orders/{po.id}/edit", data).get_data(as_text=True)
    assert "Line 1: The budget may have at most two decimals." in refused
    data = _po_form_of(refused).data()
    assert data["line_budget"] == ["1000.005"]
    assert "Line 1: The budget may have at most two decimals." in browser.post(
        f"/purchase-orders/{po.id}/edit", data).get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(PurchaseOrder, po.id).amount == Decimal("800.00")


def test_the_live_total_shows_no_rounded_figure_for_a_budget_that_will_be_refused(db_session, login_as):
    browser, _ = login_as("Billing Admin")

    def total(*budgets):
        return browser.post("/purchase-orders/lines-total", {"line_budget": list(budgets), "line_secondary": "a"},
                            headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "1,000.50" in total("1000.00", "0.50")
    refused = total("1000.005", "0.50")
    assert "1,000.5" not in refused and "1,000.01" not in refused and "1,000.00" not in refused
    assert "Line 1: The budget may have at most two decimals." in refused


def test_an_edit_posted_back_unchanged_keeps_what_was_made_inactive_since(db_session, login_as):
    """Defect: the edit form offered active items only, so an edit that changed nothing else dropped a document
    type, alert template or master line's bill code group made inactive since: a Repair-Order-only PO became
    eligible for every type (none ticked), its alerts stopped for good, a master PO could not be saved at all.
    The form offers what the PO holds, marked inactive, and posting it back unchanged keeps it."""
    from portal.models import AlertTemplate, BillCodeGroup, DocumentType

    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    types = factories.document_types(db_session)
    template = AlertTemplate(name="Watch", thresholds=[75], days_before_expiry=30, subject="s", message="m")
    db_session.add(template)
    db_session.commit()
    repair_only = factories.po(db_session, debtor, "RO-ONLY", types=[types["Repair Order"]],
                               alert_template_id=template.id)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    created = browser.post("/purchase-orders/new", _form(
        debtor_id=str(debtor.id), number="MASTER-1", kind="multi_line_master", amount="", line_id=[""],
        line_budget=["800.00"], line_group=[str(labour.id)], line_secondary=["M-A"], line_description=["Labour"]))
    assert created.status_code == 302
    master = db_session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == "MASTER-1")).one()
    for model, name in ((DocumentType, "Repair Order"), (AlertTemplate, "Watch"), (BillCodeGroup, "Labour")):
        db_session.scalars(select(model).where(model.name == name)).one().active = False
    db_session.commit()
    for po in (repair_only, master):
        page = browser.get(f"/purchase-orders/{po.id}/edit").get_data(as_text=True)
        assert "(inactive)" in page
        saved = browser.post(f"/purchase-orders/{po.id}/edit", _po_form_of(page).data())
        assert saved.status_code == 302, saved.get_data(as_text=True)[-3000:]
    db_session.expire_all()
    assert [e.document_type.name for e in db_session.get(PurchaseOrder, repair_only.id).eligible] == ["Repair Order"]
    assert db_session.get(PurchaseOrder, repair_only.id).alert_template_id == template.id
    assert [line.bill_code_group_id for line in db_session.get(PurchaseOrder, master.id).lines] == [labour.id]


def test_a_master_pos_lines_history_lists_what_changed_and_an_unchanged_save_writes_none(db_session, login_as):
    """Defects: a master PO's line removed never reached the history; every save (one changing nothing too) wrote
    two renumberings a line ("Line 1 → -1", "-1 → 1") and a new line was created as "line -1". Now: lines created
    with their numbers, an unchanged save writes nothing, a removed line is a delete entry, and swapping two lines'
    groups saves (it answered "conflicts with another record; reload and try again")."""
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    expenses = factories.bill_code_group(db_session, "Expenses", ["EXP"])
    created = browser.post("/purchase-orders/new", _form(
        debtor_id=str(debtor.id), number="M-HIST", kind="multi_line_master", amount="", line_id=["", ""],
        line_budget=["800.00", "200.00"], line_group=[str(labour.id), str(expenses.id)],
        line_secondary=["M-A", "M-B"], line_description=["Labour", "Expenses"]))
    assert created.status_code == 302
    po = db_session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == "M-HIST")).one()

    def line_history():
        db_session.expire_all()
        return [(r.action, r.changes) for r in db_session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "po_lines").order_by(AuditEntry.id))]

    assert [(a, c["line_no"]) for a, c in line_history()] == [("create", [None, 1]), ("create", [None, 2])]
    edit = f"/purchase-orders/{po.id}/edit"
    saved = browser.post(edit, _po_form_of(browser.get(edit).get_data(as_text=True)).data())
    assert saved.status_code == 302 and len(line_history()) == 2
    swap = _po_form_of(browser.get(edit).get_data(as_text=True)).data()
    swap["line_group"] = [str(expenses.id), str(labour.id)]
    swapped = browser.post(edit, swap)
    assert swapped.status_code == 302, swapped.get_data(as_text=True)[-2000:]
    db_session.expire_all()
    assert [line.bill_code_group_id for line in db_session.get(PurchaseOrder, po.id).lines] == [expenses.id, labour.id]
    first = _po_form_of(browser.get(edit).get_data(as_text=True)).data()
    only_second = {k: (v[1:] if k.startswith("line_") else v) for k, v in first.items()}
    assert browser.post(edit, only_second).status_code == 302
    action, changes = line_history()[-2]
    assert action == "delete" and changes["secondary_po_number"] == ["M-A", None]
    assert line_history()[-1][1] == {"line_no": [2, 1]}  # the line left moved up, once
    assert all(c["line_no"][1] is None or c["line_no"][1] > 0 for _, c in line_history() if "line_no" in c)


def test_a_master_lines_group_cannot_change_once_documents_drew_on_it(db_session, login_as):
    """Defect: a line's group changed after invoices drew on it: the line read "Training — Used 600" for ORD
    charges, and the ORD charges were covered by no line. Refused while documents draw on it, as removing is."""
    from portal.models import DocumentLine, POLine
    from portal.services import documents

    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    labour = factories.bill_code_group(db_session, "Labour", ["ORD", "OT"])
    training = factories.bill_code_group(db_session, "Training", ["TRN"])
    assert browser.post("/purchase-orders/new", _form(
        debtor_id=str(debtor.id), number="M-DRAWN", kind="multi_line_master", amount="", line_id=[""],
        line_budget=["1000.00"], line_group=[str(labour.id)], line_secondary=["M-A"],
        line_description=["Labour"])).status_code == 302
    po = db_session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == "M-DRAWN")).one()
    line = db_session.scalars(select(POLine).where(POLine.po_id == po.id)).one()
    job = factories.job(db_session, debtor, factories.branch(db_session))
    user = factories.user(db_session, role_name="Billing Admin")
    ord_code = next(c for c in labour.bill_codes if c.code == "ORD")
    doc = documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id,
        number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(job.id, ord_code.id, Decimal("6"), Decimal("100"), explicit_po_id=po.id),)))
    db_session.execute(DocumentLine.__table__.update().where(DocumentLine.document_id == doc.id)
                       .values(po_line_id=line.id))  # drawn on line 1, as posting draws
    db_session.commit()
    edit = f"/purchase-orders/{po.id}/edit"
    form = _po_form_of(browser.get(edit).get_data(as_text=True)).data()
    form["line_group"] = [str(training.id)]
    refused = browser.post(edit, form).get_data(as_text=True)
    assert "Line 1 has documents drawn on it: its bill code group cannot change" in refused
    db_session.expire_all()
    assert db_session.get(POLine, line.id).bill_code_group_id == labour.id


def test_an_edit_narrowing_the_types_away_from_a_drafted_one_is_shown_in_the_types_fieldset(db_session, login_as):
    from portal.models import BillCode
    from portal.services import documents
    from portal.services.documents import DocumentInput, LineInput

    browser, user = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    types = factories.document_types(db_session)
    po = factories.po(db_session, debtor, "4500123", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                      tolerance=90)
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    documents.save_draft(db_session, user, None, DocumentInput(
        debtor_id=debtor.id, document_type_id=types["Estimate"].id, number="", doc_date=date(2026, 3, 1),
        lines=(LineInput(job_id=None, bill_code_id=code.id, quantity=Decimal("1"), rate=Decimal("10"),
                         explicit_po_id=po.id),)))
    edit = browser.post(f"/purchase-orders/{po.id}/edit", _form(row_version=str(po.row_version),
                                                               document_type_ids=[str(types["Sales Invoice"].id)]))
    html = edit.get_data(as_text=True)
    assert edit.status_code == 200
    types_box = html[html.index('id="po-types"'):html.index("</fieldset>", html.index('id="po-types"'))]
    assert ("Documents on this PO use Estimate (1 document): keep that type eligible while they are on it."
            in types_box)
    db_session.expire_all()
    assert len(db_session.get(PurchaseOrder, po.id).eligible) == len(types)
