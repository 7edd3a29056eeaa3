"""UX round 2: the tester's findings in Chromium, each seen from outside through the test client."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from portal.models import BillCode, Document
from tests import factories
from tests.web.forms_walk import post_forms

IMPORT = """document_type,number,date,debtor,bill_code,quantity,rate,po_number
Sales Invoice,UXI-20,2026-03-01,ACME,ORD,1,100,4500
Sales Invoice,UXI-21,2026-03-02,ACME,ORD,2,100,4500
"""


def _upload(browser, text, action="preview"):
    return browser.post("/documents/import", {"action": action, "file": (io.BytesIO(text.encode()), "export.csv")},
                        content_type="multipart/form-data")


def _documents(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document))


def _import_setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    factories.po(db_session, debtor, "4500", amount="1000")
    db_session.add(BillCode(code="ORD"))
    db_session.commit()


def test_importing_numbers_that_exist_is_a_row_error_not_a_500(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    _import_setup(db_session)
    assert "2 documents posted" in browser.post("/documents/import", {"action": "post", "content": IMPORT},
                                                follow_redirects=True).get_data(as_text=True)
    again = _upload(browser, IMPORT)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "UXI-20 already exists" in html and "UXI-21 already exists" in html
    assert "Post all" not in html


def test_a_posted_file_answers_with_a_redirect_and_reposting_it_posts_nothing(db_session, login_as):
    """Posting answers with a redirect (post/redirect/get): refreshing the page that says what posted reads
    it again and sends nothing. The file sent once more (the browser's back and resubmit) posts nothing
    and says why."""
    browser, _ = login_as("Billing Admin")
    _import_setup(db_session)
    form = {"action": "post", "content": IMPORT, "seen": ""}
    posted = browser.post("/documents/import", form)
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/documents/import")
    shown = browser.get("/documents/import").get_data(as_text=True)
    assert "2 documents posted: UXI-20, UXI-21." in shown
    assert "posted:" not in browser.get("/documents/import").get_data(as_text=True)  # said once
    refresh = browser.post("/documents/import", form)
    html = refresh.get_data(as_text=True)
    assert refresh.status_code == 200 and "Row 2: UXI-20 already exists" in html
    assert "Numbers already in the portal" in html and "UXI-20, UXI-21. Nothing was posted" in html
    assert "posted:" not in html and _documents(db_session) == 2


def test_a_number_taken_after_the_preview_refuses_the_file(db_session, login_as):
    """Posting with the preview read before another import took a number: refused, never a 500."""
    from portal.services import csv_import

    browser, user = login_as("Billing Admin")
    _import_setup(db_session)
    stale = csv_import.parse(db_session, user, IMPORT)
    assert stale.valid
    browser.post("/documents/import", {"action": "post", "content": IMPORT})
    outcome = csv_import.post_all(db_session, user, IMPORT, preview=stale)
    assert outcome.posted == [] and "UXI-20 cannot be imported" in outcome.refused and _documents(db_session) == 2


def test_choosing_the_debtor_keeps_what_was_typed_and_saves_nothing(db_session, login_as):
    from portal.models import PurchaseOrder

    browser, _ = login_as("Billing Admin")
    acme, globex = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "GLOBEX")
    group = factories.po_group(db_session, acme, "Acme plant")
    form = browser.get("/purchase-orders/new").get_data(as_text=True)
    assert 'hx-post="/purchase-orders/new"' in form and "hx-include=\"#debtor_id\"" not in form
    typed = {"debtor_id": acme.id, "choices_of": "", "number": "UX-PO-7", "description": "Typed first",
             "kind": "multi_line", "effective": "2026-01-01", "expiration": "2026-12-31", "amount": "1234.50",
             "line_budget": "", "debtor_changed": "1"}
    html = browser.post("/purchase-orders/new", typed).get_data(as_text=True)
    assert 'value="UX-PO-7"' in html and 'value="Typed first"' in html and 'value="1234.50"' in html
    assert 'value="2026-12-31"' in html and '<option selected value="multi_line">' in html
    assert "Acme plant" in html and "field-error" not in html
    again = {**typed, "choices_of": acme.id, "group_id": group.id, "debtor_id": globex.id}
    html = browser.post("/purchase-orders/new", again).get_data(as_text=True)
    assert 'value="UX-PO-7"' in html and "Acme plant</option>" not in html
    assert db_session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_another_debtor_chosen_drops_the_group_chosen_and_says_why(db_session, login_as):
    """A PO group is its debtor's: choosing another debtor on the new PO form takes the group off the form,
    and the redrawn group picker (the part the form swaps in) says which group left and why, never silently."""
    browser, _ = login_as("Billing Admin")
    acme, globex = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "GLOBEX")
    plant = factories.po_group(db_session, acme, "Acme plant")
    depot = factories.po_group(db_session, globex, "Globex depot")
    typed = {"debtor_id": globex.id, "choices_of": acme.id, "group_id": plant.id, "number": "UX-PO-8",
             "kind": "single_line", "effective": "2026-01-01", "expiration": "2026-12-31", "amount": "100",
             "debtor_changed": "1"}
    html = browser.post("/purchase-orders/new", typed).get_data(as_text=True)
    choices = html[html.index('id="po-debtor-choices"'):html.index('id="po-types"')]
    assert "Group Acme plant was cleared: it belongs to debtor ACME; choose a group of debtor GLOBEX." in choices
    assert 'id="group_id-err"' in choices and "Globex depot" in choices
    assert "Acme plant</option>" not in choices
    # the debtor's own group stays chosen, without a word; no group chosen: nothing to say
    kept = browser.post("/purchase-orders/new", {**typed, "group_id": depot.id}).get_data(as_text=True)
    assert f'<option selected value="{depot.id}">' in kept and "field-error" not in kept
    none = browser.post("/purchase-orders/new", {**typed, "group_id": ""}).get_data(as_text=True)
    assert "belongs to debtor" not in none and "field-error" not in none
    # the debtor cleared: the group cannot stay either
    cleared = browser.post("/purchase-orders/new", {**typed, "debtor_id": ""}).get_data(as_text=True)
    assert "Group Acme plant was cleared: it belongs to debtor ACME; choose the debtor, then one of its groups." in cleared


def test_master_lines_typed_before_the_debtor_keep_their_bill_code_groups(db_session, login_as):
    """Choosing the debtor swaps in only its choices (groups, alert templates, document types), not the
    master lines: lines sent back without a debtor must already offer the bill code groups, and keep the
    one chosen."""
    browser, _ = login_as("Billing Admin")
    factories.debtor(db_session, "ACME")
    labour = factories.bill_code_group(db_session, "Labour", ["ORD"])
    factories.bill_code_group(db_session, "Expenses", ["EXP"])
    typed = {"debtor_id": "", "choices_of": "", "number": "UX-M-1", "kind": "multi_line_master",
             "effective": "2026-01-01", "expiration": "2026-12-31", "line_id": "", "line_budget": "100.00",
             "line_group": str(labour.id), "line_secondary": "A-1", "line_description": ""}
    html = browser.post("/purchase-orders/new", typed).get_data(as_text=True)
    assert "Choose the debtor." in html
    rows = html[html.index('id="line-rows"'):html.index("</tbody>", html.index('id="line-rows"'))]
    assert "Expenses" in rows and f'<option value="{labour.id}" selected>Labour (ORD)' in rows
    form = browser.get("/purchase-orders/new").get_data(as_text=True)
    assert 'hx-select="#po-debtor-choices"' in form and 'hx-select-oob="#po-types,#po-choices-of"' in form


def test_a_page_past_the_end_leads_to_the_last_page_not_the_one_before_it(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    for n in range(26):
        factories.debtor(db_session, f"C{n:03}")
        factories.po(db_session, debtor, f"PG-{n:03}")
    for url in ("/debtors/?page=99", "/purchase-orders/?page=99", "/documents/report?page=99"):
        html = browser.get(url).get_data(as_text=True)
        assert "Page 99 of" not in html and "page=98" not in html and "← Previous" not in html, url
        assert "Page 99 is past the end" in html, url
    debtors = browser.get("/debtors/?page=99").get_data(as_text=True)
    assert "27 in all, on 2 pages" in debtors and 'href="/debtors/?page=2"' in debtors
    assert "Page 2 of 2" in browser.get("/debtors/?page=2").get_data(as_text=True)


def test_a_bulk_preview_of_no_job_holds_assign_back_and_says_why(db_session, login_as):
    import re

    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "BULK-PO", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    factories.job(db_session, debtor, branch, start=date(2026, 5, 1), title="Starts later")
    form = {"debtor_id": str(debtor.id), "target": f"po:{po.id}", "start": "2026-03-01", "mode": "all",
            "action": "preview"}
    apply = re.compile(r'<button type="submit"\s+name="action"\s+value="apply"([^>]*)>')
    for headers in ({"HX-Request": "true"}, {}):  # the preview's swap (Assign out of band) and the whole page
        html = browser.post("/assignments/bulk", form, headers=headers).get_data(as_text=True)
        assert 'id="bulk-will-assign">0<' in html and "1 skipped" in html
        assert " disabled" in apply.search(html).group(1) and "Nothing to assign" in html
    assert ('id="bulk-apply" hx-swap-oob="true"' in
            browser.post("/assignments/bulk", form, headers={"HX-Request": "true"}).get_data(as_text=True))
    counted = browser.post("/assignments/bulk", {**form, "start": "2026-06-01"},
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="bulk-will-assign">1<' in counted and "disabled" not in apply.search(counted).group(1)


def test_the_consultant_picker_lists_consultants_and_keeps_the_jobs_own(db_session, login_as):
    browser, me = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    consultant = factories.user(db_session, "cara", role_name="Consultant")
    others = [factories.user(db_session, f"{role.split()[-1].lower()}1", role_name=role)
              for role in ("Administrator", "Auditor", "Billing Clerk", "Relationship Lead")]
    admin_on_job = factories.user(db_session, "adminjob", role_name="Administrator")
    job = factories.job(db_session, debtor, branch)
    job.consultant_id = admin_on_job.id
    db_session.commit()

    def picker(url):
        html = browser.get(url).get_data(as_text=True)
        return html.split('id="consultant_id"', 1)[1].split("</select>", 1)[0]

    new = picker(f"/job-orders/new?debtor_id={debtor.id}")
    assert f'value="{consultant.id}"' in new
    assert not any(f'value="{u.id}"' in new for u in [me, *others, admin_on_job])  # another job's is not offered
    edit = picker(f"/job-orders/{job.id}/edit")
    assert f'<option selected value="{admin_on_job.id}">' in edit or f'value="{admin_on_job.id}" selected' in edit


def test_a_branch_limited_user_is_told_of_the_pos_jobs_of_other_branches(db_session, login_as):
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    browser, _ = login_as("Consultant", branches=[north])
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "P-9", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    for title in ("South porter", "South cleaner"):
        factories.assignment(db_session, factories.job(db_session, debtor, south, title=title), po=po,
                             start=date(2026, 2, 1))
    tab = " ".join(browser.get(f"/purchase-orders/{po.id}?tab=assignments").get_data(as_text=True).split())
    assert "2 job orders of other branches assigned to this PO are not shown." in tab
    assert "No job of your branches is assigned" in tab and "South porter" not in tab
    factories.assignment(db_session, factories.job(db_session, debtor, north, title="North porter"), po=po,
                         start=date(2026, 2, 1))
    tab = browser.get(f"/purchase-orders/{po.id}?tab=assignments").get_data(as_text=True)
    assert "North porter" in tab and "2 job orders of other branches" in tab and "No job" not in tab
    everyone, _ = login_as("Consultant")
    assert "not shown" not in everyone.get(f"/purchase-orders/{po.id}?tab=assignments").get_data(as_text=True)


def test_a_split_pos_twins_say_which_is_which_in_every_assignment_picker(db_session, login_as):
    """Two POs of one number (seed 001's split PO) were "PO ACM-SPLIT" twice in the grid, the job's panel, the
    bulk page and the job form; each now carries its description. A number offered once stays bare."""
    from portal.domain.assignment import po_option, twin_numbers

    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    types = factories.document_types(db_session)
    factories.po(db_session, debtor, "ACM-SPLIT", description="Inventory items", types=[types["Sales Invoice"]])
    factories.po(db_session, debtor, "ACM-SPLIT", description="Service work", types=[types["Service Invoice"]])
    factories.po(db_session, debtor, "ACM-ONE", description="Alone")
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    day = "2026-06-01"
    pages = {"grid": f"/assignments/?debtor_id={debtor.id}&as_of={day}",
             "panel": f"/job-orders/{job.id}?as_of={day}",
             "bulk": f"/assignments/bulk?debtor_id={debtor.id}",
             "job form": f"/job-orders/po-picker?debtor_id={debtor.id}"}
    for name, url in pages.items():
        html = browser.get(url).get_data(as_text=True)
        assert "PO ACM-SPLIT — Inventory items" in html and "PO ACM-SPLIT — Service work" in html, name
        assert "ACM-ONE — Alone" not in html, name
    twins = twin_numbers([type("P", (), {"number": n})() for n in ("A", "B", "A")])
    assert twins == {"A"} and po_option(type("P", (), {"number": "B", "description": "x"})(), twins) == "PO B"


def test_an_empty_po_form_says_everything_missing_in_one_submit(db_session, login_as):
    """It said nothing of the amount (nor a tolerance past 100) until the dates were fixed."""
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session, "ACME")
    page = browser.get("/purchase-orders/new").get_data(as_text=True)
    [form] = [f for f in post_forms(page) if "number" in f.data()]
    html = browser.post("/purchase-orders/new", form.data() | {"debtor_id": [str(debtor.id)], "tolerance_pct": ["150"]}
                        ).get_data(as_text=True)
    for message in ("Enter the PO number.", "Enter the effective date", "Enter the expiration date",
                    "Enter the amount as a number", "The tolerance must be between 0 and 100 percent"):
        assert message in html, message
    html = browser.post("/purchase-orders/new", form.data() | {"debtor_id": [str(debtor.id)], "amount": ["-5"]}
                        ).get_data(as_text=True)
    assert "The amount must be more than zero." in html


def test_an_empty_job_form_says_the_debtor_and_branch_are_missing_with_the_rest(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    page = browser.get("/job-orders/new").get_data(as_text=True)
    [form] = [f for f in post_forms(page) if "title" in f.data()]
    html = browser.post("/job-orders/new", form.data() | {"start_date": ["2026-02-30"]}).get_data(as_text=True)
    for message in ("Enter the job title.", "Choose the debtor.", "Choose one of your branches.",
                    "Enter the date as YYYY-MM-DD"):
        assert message in html, message


def test_a_number_with_a_character_that_prints_as_nothing_is_refused_not_a_look_alike(db_session, login_as):
    """"SI-00001" with a zero-width space pasted in was imported as a new document beside SI-00001."""
    browser, _ = login_as("Billing Admin")
    _import_setup(db_session)
    html = _upload(browser, IMPORT.replace("UXI-20", "UXI-20\u200b")).get_data(as_text=True)
    assert "prints as nothing" in html and "Post all" not in html
    assert _documents(db_session) == 0


def test_the_consultant_picker_of_a_job_offers_only_consultants_who_may_see_its_branch(db_session, login_as):
    """A consultant limited to NTH was offered on a STH job (and could be saved): named on a job they cannot open."""
    browser, _ = login_as("Billing Admin")
    north, south = factories.branch(db_session, "NTH2"), factories.branch(db_session, "STH2")
    debtor = factories.debtor(db_session)
    nora = factories.user(db_session, "nora2", role_name="Consultant", branches=[north])
    everywhere = factories.user(db_session, "eve2", role_name="Consultant")
    job = factories.job(db_session, debtor, south)
    html = browser.get(f"/job-orders/{job.id}/edit").get_data(as_text=True)
    picker = html.split('id="consultant_id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{everywhere.id}"' in picker and f'value="{nora.id}"' not in picker
    form = {"title": "Porter", "debtor_id": str(debtor.id), "branch_id": str(south.id), "site": "",
            "start_date": "2026-01-01", "discontinued_date": "", "consultant_id": str(nora.id), "po_choice": "",
            "po_reference": ""}
    assert "Choose a consultant from the list." in browser.post("/job-orders/new", form).get_data(as_text=True)
