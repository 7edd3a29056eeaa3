"""Every form page, posted back exactly as it was served, keeps its record as it was.

Walks every GET route of the URL map as an administrator over one record of each kind, reads each
<form method=post> that posts back to its own page with the values it shows, submits it unchanged
and compares the whole database before and after (bookkeeping columns aside). An edit page must
save (redirect) and leave its record equal; a "new" page must answer with form messages or a
redirect, never a server error, and write nothing when it shows messages.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select, text

from portal.extensions import db
from tests.sample_records import sample_ids
from tests.web.forms_walk import post_forms

# sign-in has its own tests; a form's action that answers GET only to lead back to the page holding the
# form (a refusal is shown at that address: tests/web/test_equipment.py opens it) has no form of its own
SKIPPED_ENDPOINTS = {"static", "auth.login", "service_desk.override_charge", "equipment.add_line",
                     "equipment.receive_unit"}
# columns any save may touch without changing the record; a child row written anew with the same
# content (a document's lines are replaced on save) counts as equal, so its own id and stamps are left out
BOOKKEEPING = {"changed_at", "changed_by_id", "row_version", "last_login_at", "failed_logins", "locked_until",
               "last_seen_at", "created_at", "created_by_id"}
UNCOMPARED_TABLES = {"audit_entries", "user_sessions"}
# pages opened from another page with a query string naming their subject
# (endpoint: (query argument, sample id)); a contract is entered on a PO that has none yet
QUERY = {"assignments.bulk": ("debtor_id", "debtor_id"), "contracts.create": ("po_id", "uncontracted_po_id")}
# pages under a record's id whose form adds to it (besides every ".../new" page) (a blank form answers with messages, like a "new" page)
ADDS_TO_RECORD = {"contracts.schedule"}


def snapshot() -> dict[str, list]:
    """Every row of every table, bookkeeping columns left out, in a stable order."""
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNCOMPARED_TABLES:
            continue
        own_id = {c.name for c in table.primary_key.columns if not c.foreign_keys}
        columns = [c for c in table.columns if c.name not in BOOKKEEPING and c.name not in own_id]
        rows = db.session.execute(select(*columns)).all()
        out[table.name] = sorted((tuple(map(repr, row)) for row in rows))
    return out


def _maintenance_items(session, ids) -> dict[str, int]:
    from portal.models import AlertTemplate, DocumentType, Role

    template = AlertTemplate(name="Walk", thresholds=[], days_before_expiry=30, subject="PO {po_number}",
                             message="{remaining} left", recipient_roles=[session.get(Role, ids["role_id"])])
    session.add(template)
    session.commit()
    return {"bill-codes": ids["item_id"], "bill-code-groups": session.scalar(text(
                "SELECT id FROM bill_code_groups ORDER BY id LIMIT 1")),
            "document-types": session.scalar(select(DocumentType.id).order_by(DocumentType.id)),
            "alert-templates": template.id}


def _urls(rule, ids, maintenance) -> list[str]:
    needed = set(rule.arguments) - set(rule.defaults or {})
    if "slug" in rule.arguments:
        return [rule.build({"slug": slug, **({"item_id": item} if "item_id" in needed else {})})[1]
                for slug, item in maintenance.items()]
    query = {}
    if rule.endpoint in QUERY:
        argument, sample = QUERY[rule.endpoint]
        query = {argument: ids[sample]}
    return [rule.build({**{a: ids[a] for a in needed}, **query})[1]]


def test_every_form_page_posted_back_unchanged_keeps_its_record(app, db_session, login_as):
    browser, user = login_as("Administrator")
    ids = sample_ids(db_session, owner=user)
    from portal.models import PurchaseOrder
    from tests import factories

    debtor = db_session.get(PurchaseOrder, ids["po_id"]).debtor
    ids["uncontracted_po_id"] = factories.po(db_session, debtor, number="UNCONTRACTED", created_by=user).id
    maintenance = _maintenance_items(db_session, ids)
    problems, visited = [], set()
    # a form page answers GET and POST; forms on GET-only pages post elsewhere (their buttons' formaction)
    rules = sorted((r for r in app.url_map.iter_rules()
                    if {"GET", "POST"} <= r.methods and r.endpoint not in SKIPPED_ENDPOINTS), key=lambda r: r.rule)
    for rule in rules:
        for url in _urls(rule, ids, maintenance):
            page = browser.get(url)
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            path = urlsplit(url).path
            for form in post_forms(page.get_data(as_text=True)):
                if (urlsplit(form.action).path or path) != path:
                    continue  # a button to another route (delete, post, void): not this page's form
                visited.add(rule.endpoint)
                editing = (bool(set(rule.arguments) - set(rule.defaults or {}) - {"slug"})  # a record's own page
                           and not rule.rule.endswith("/new") and rule.endpoint not in ADDS_TO_RECORD)
                db_session.commit()
                before = snapshot()
                response = browser.post(url, form.data())
                db_session.rollback()
                after = snapshot()
                status = response.status_code
                changed = sorted(t for t in before if before[t] != after[t])
                if status >= 500:
                    problems.append(f"POST {url} unchanged: {status}")
                elif editing and (status != 302 or changed):
                    problems.append(f"POST {url} unchanged: {status}, tables changed: {changed}")
                elif not editing and status == 200 and changed:
                    problems.append(f"POST {url} unchanged showed messages but wrote to {changed}")
    assert problems == [], "\n".join(problems)
    form_pages = {r.endpoint for r in app.url_map.iter_rules()
                  if {"GET", "POST"} <= r.methods and r.endpoint not in SKIPPED_ENDPOINTS}
    assert form_pages - visited == set(), "form pages the walk found no form on"
