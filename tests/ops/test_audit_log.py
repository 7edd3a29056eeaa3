"""The administrator's audit log page: every change with user, time, record, old and new values."""
from __future__ import annotations

import csv
import io

from portal.models import Debtor
from portal.services import audit
from tests import factories


def _history(db_session, actor):
    """A debtor created, renamed and deleted by `actor`; another one touched by the system."""
    audit.acting(db_session, actor)
    debtor = Debtor(code="GONE", name="=HYPERLINK(\"http://x\")", enforce_purchase_orders=False,
                    over_budget_policy="warn")
    db_session.add(debtor)
    db_session.commit()
    db_session.refresh(debtor)  # loaded, as a service loads the record it edits
    debtor.name = "Gone Ltd"
    db_session.commit()
    debtor_id = debtor.id
    db_session.delete(debtor)
    db_session.commit()
    audit.acting(db_session, None)
    factories.debtor(db_session, code="KEPT")
    return debtor_id


def test_a_deleted_record_stays_findable_with_its_last_values(login_as, db_session):
    browser, admin = login_as("Administrator")
    debtor_id = _history(db_session, admin)
    page = browser.get(f"/audit-log/?type=debtors&action=delete&record={debtor_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"debtors #{debtor_id}" in html and admin.username in html
    assert "Gone Ltd → —" in html  # the old value, and nothing after the deletion
    assert "KEPT" not in html


def test_filters_by_user_and_action_and_shows_old_and_new_values(login_as, db_session):
    browser, admin = login_as("Administrator")
    _history(db_session, admin)
    html = browser.get(f"/audit-log/?user={admin.username}&action=update").get_data(as_text=True)
    assert "Gone Ltd" in html and "KEPT" not in html
    assert "Changes (old → new)" in html
    system = browser.get("/audit-log/?user=system&type=debtors").get_data(as_text=True)
    assert "KEPT" in system and "Gone Ltd" not in system


def test_csv_export_lists_the_same_rows_with_formulas_neutralised(login_as, db_session):
    browser, admin = login_as("Administrator")
    debtor_id = _history(db_session, admin)
    response = browser.get(f"/audit-log/export.csv?type=debtors&record={debtor_id}", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["delete", "update", "create"]
    assert all(r["user"] == admin.username and r["record_id"] == str(debtor_id) for r in rows)
    created = rows[-1]
    assert created["record"].startswith("'=") or not created["record"].startswith("=")
    assert "name: — → =HYPERLINK" in created["changes"] and not created["changes"].startswith("=")
    assert "name: =HYPERLINK(\"http://x\") → Gone Ltd" in rows[1]["changes"]


def test_the_csv_export_streams_every_entry(login_as, db_session):
    """Streamed a chunk at a time on its own session (not one string built in memory, cut at 100,000 rows
    without a word): more entries than a stream chunk all arrive, newest first."""
    from sqlalchemy import text

    from portal.services.exports import CHUNK

    browser, _ = login_as("Administrator")
    db_session.execute(text("INSERT INTO audit_entries (entity_type, entity_id, action, summary, changes) "
                            "SELECT 'bill_codes', 1, 'update', 'filler ' || g, '{}' FROM generate_series(1, :n) g"),
                       {"n": CHUNK + 5})
    db_session.commit()
    response = browser.get("/audit-log/export.csv?type=bill_codes&q=filler")
    assert response.status_code == 200 and "Content-Length" not in response.headers  # written as it is read
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["record"] for r in rows] == [f"filler {n}" for n in range(CHUNK + 5, 0, -1)]
    assert {r["user"] for r in rows} == {"system"}


def test_pages_are_bounded_and_the_query_count_stays_constant(login_as, db_session, count_queries, app):
    browser, admin = login_as("Administrator")
    for i in range(3):
        factories.debtor(db_session, code=f"P{i}")
    with count_queries() as few:
        assert browser.get("/audit-log/").status_code == 200
    from portal.services import audit

    audit.acting(db_session, admin)  # page 1 shows the sign-in, by this user: page 2's rows have an actor too
    for i in range(60):
        factories.debtor(db_session, code=f"Q{i}")
    with count_queries() as many:
        html = browser.get("/audit-log/?page=2").get_data(as_text=True)
    assert len(many) == len(few)
    assert html.count("<tr>") <= app.config["PAGE_SIZE"] + 1
    assert "Page 2 of" in html


def test_bad_filters_get_a_message_not_an_error(login_as, db_session):
    browser, _ = login_as("Administrator")
    for query in ("from=2026-13-45", "record=-1", "record=99999999999999999999999", "type=pg_authid",
                  "action=drop", "page=abc", "page=999999999999", "to=yesterday", "q=" + "x" * 5000):
        response = browser.get(f"/audit-log/?{query}")
        assert response.status_code == 200, query
    for query in ("user=%00x", "q=%00"):  # control characters are refused before any view runs
        assert browser.get(f"/audit-log/?{query}").status_code == 400
    html = browser.get("/audit-log/?from=2026-13-45").get_data(as_text=True)
    assert "is not a date" in html
    assert browser.get("/audit-log/export.csv?record=abc&from=x", buffered=True).status_code == 200


def test_only_administrators_see_the_audit_log(login_as):
    for role in ("Billing Admin", "Auditor", "Consultant"):
        browser, _ = login_as(role)
        assert browser.get("/audit-log/").status_code == 403
        assert browser.get("/audit-log/export.csv").status_code == 403


def test_a_branch_limited_administrator_sees_no_change_to_another_branchs_job(login_as, db_session):
    from portal.models import JobOrder

    mine, other = factories.branch(db_session, "MINE"), factories.branch(db_session, "OTHR")
    debtor = factories.debtor(db_session)
    from datetime import date

    for branch, title in ((mine, "Visible job"), (other, "Secret job")):
        db_session.add(JobOrder(title=title, debtor_id=debtor.id, branch_id=branch.id, start_date=date(2026, 1, 1)))
    db_session.commit()
    browser, _ = login_as("Administrator", branches=[mine])
    html = browser.get("/audit-log/?type=job_orders").get_data(as_text=True)
    exported = browser.get("/audit-log/export.csv", buffered=True).get_data(as_text=True)
    assert "Visible job" in html and "Visible job" in exported
    assert "Secret job" not in html and "Secret job" not in exported


def test_a_branch_limited_administrator_sees_no_document_or_item_their_pages_hide(login_as, db_session):
    """Their documents list and pages hide a document wholly on other branches' jobs (its number, total and
    lines) and another branch's service desk item; so does the log, with every entry scoped to them."""
    from datetime import date
    from decimal import Decimal

    from portal.models import ServiceDeskItem
    from portal.services import documents
    from portal.services.documents import DocumentInput, LineInput

    s = db_session
    mine, other = factories.branch(s, "MINE"), factories.branch(s, "OTHR")
    debtor = factories.debtor(s, "ACME")
    my_job, secret_job = factories.job(s, debtor, mine), factories.job(s, debtor, other)
    [code] = factories.bill_code_group(s, "Labour", ["ORD"]).bill_codes
    author = factories.user(s, role_name="Billing Admin")
    invoice = factories.document_types(s)["Sales Invoice"]

    def draft(*jobs):
        return documents.save_draft(s, author, None, DocumentInput(
            debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
            lines=tuple(LineInput(job.id if job else None, code.id, Decimal("1"), Decimal("10")) for job in jobs)))

    secret, mixed, plain = draft(secret_job), draft(secret_job, my_job), draft(None)
    secret.notes = "renamed"  # a later change naming no job
    secret_item = ServiceDeskItem(debtor_id=debtor.id, description="Secret router swap", status="open",
                                  job_id=secret_job.id)
    my_item = ServiceDeskItem(debtor_id=debtor.id, description="Our router swap", status="open", job_id=my_job.id)
    s.add_all([secret_item, my_item])
    s.commit()
    secret_item.description = "Secret router swap, urgent"
    s.commit()

    browser, _ = login_as("Administrator", branches=[mine])
    shown = {}
    for kind in ("documents", "document_lines", "service_desk_items"):
        html = browser.get(f"/audit-log/?type={kind}&per_page=100").get_data(as_text=True)
        exported = browser.get(f"/audit-log/export.csv?type={kind}", buffered=True).get_data(as_text=True)
        ids = {int(r["record_id"]) for r in csv.DictReader(io.StringIO(exported))}
        shown[kind] = ids
        for record_id in ids:
            assert f"{kind} #{record_id}" in html
    assert shown["documents"] == {mixed.id, plain.id}
    assert shown["document_lines"] == {line.id for line in (*mixed.lines, *plain.lines) if line.job_id != secret_job.id}
    assert shown["service_desk_items"] == {my_item.id}
    assert browser.get(f"/documents/{secret.id}").status_code == 404  # as the document's own page
    everyone, _ = login_as("Administrator")
    exported = everyone.get("/audit-log/export.csv?type=documents", buffered=True).get_data(as_text=True)
    assert {int(r["record_id"]) for r in csv.DictReader(io.StringIO(exported))} == {secret.id, mixed.id, plain.id}
