"""A token acts with exactly its user's grants: every API operation, for a token of each default role
(and a branch-limited consultant), answers as DESIGN.md's grant table says.

The expectations are written by hand from DESIGN.md ("Permissions"), never read from the code.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import BillCode, Document, JobPOAssignment
from tests import factories

ALL = {"Administrator", "Billing Admin", "Billing Clerk", "Consultant", "Relationship Lead", "Auditor"}
# DESIGN.md: assignments add_edit = Administrator, Billing Admin (full), Billing Clerk, Consultant
ASSIGN = {"Administrator", "Billing Admin", "Billing Clerk", "Consultant"}
# DESIGN.md: documents add_edit = Administrator, Billing Admin (full), Billing Clerk
DOCUMENTS_EDIT = {"Administrator", "Billing Admin", "Billing Clerk"}
# DESIGN.md: po_override_budget = Administrator, Billing Admin
OVERRIDE = {"Administrator", "Billing Admin"}

# (name, method, path template, body template, roles allowed). Reads: every role holds view of
# debtors, purchase_orders, job_orders, assignments and documents.
OPERATIONS = [
    ("me", "GET", "/api/v1/me", None, ALL),
    ("openapi", "GET", "/api/v1/openapi.json", None, ALL),
    ("debtors", "GET", "/api/v1/debtors", None, ALL),
    ("debtor", "GET", "/api/v1/debtors/{debtor}", None, ALL),
    ("groups", "GET", "/api/v1/po-groups", None, ALL),
    ("group", "GET", "/api/v1/po-groups/{group}", None, ALL),
    ("pos", "GET", "/api/v1/purchase-orders", None, ALL),
    ("po", "GET", "/api/v1/purchase-orders/{po}", None, ALL),
    ("jobs", "GET", "/api/v1/job-orders", None, ALL),
    ("job", "GET", "/api/v1/job-orders/{job}", None, ALL),
    ("assignments", "GET", "/api/v1/job-orders/{job}/assignments", None, ALL),
    ("assign", "POST", "/api/v1/job-orders/{job}/assignments",
     {"target": {"kind": "po", "id": "{po}"}, "as_of": "2026-01-01"}, ASSIGN),
    ("clear", "POST", "/api/v1/job-orders/{assigned_job}/assignments/clear", {"as_of": "2026-02-01"}, ASSIGN),
    ("documents", "GET", "/api/v1/documents", None, ALL),
    ("document", "GET", "/api/v1/documents/{doc}", None, ALL),
    ("document types", "GET", "/api/v1/document-types", None, ALL),
    ("bill codes", "GET", "/api/v1/bill-codes", None, ALL),
    # the spend report covers every branch's jobs: not for a user limited to branches (BRANCH_LIMITED_REFUSED)
    ("spend", "GET", "/api/v1/reports/spend-by-po-number", None, ALL),
    ("create document", "POST", "/api/v1/documents",
     {"debtor_id": "{debtor}", "document_type_id": "{invoice}", "doc_date": "2026-03-01",
      "lines": [{"job_id": "{job}", "bill_code_id": "{code}", "quantity": "1", "rate": "10"}]}, DOCUMENTS_EDIT),
    ("post document", "POST", "/api/v1/documents/{doc}/post", {"confirm": True}, DOCUMENTS_EDIT),
]
TOKEN_USERS = sorted(ALL) + ["consultant.north"]
# what a branch-limited token is refused whatever its role: reports without a branch (job security, seed 004)
BRANCH_LIMITED_REFUSED = {"spend"}


def _fill(template, ids):
    if isinstance(template, dict):
        return {k: _fill(v, ids) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, ids) for v in template]
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return ids[template[1:-1]]
    return template.format(**ids) if isinstance(template, str) else template


def _records(session) -> dict:
    debtor = factories.debtor(session, "ACME")
    north, south = factories.branch(session, "NTH"), factories.branch(session, "STH")
    group = factories.po_group(session, debtor)
    po = factories.po(session, debtor, "4500", effective=date(2026, 1, 1))
    job = factories.job(session, debtor, north, start=date(2026, 1, 1))
    assigned = factories.job(session, debtor, north, start=date(2026, 1, 1))
    factories.assignment(session, assigned, po=po, start=date(2026, 1, 1))
    hidden = factories.job(session, debtor, south, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    session.add(code)
    session.commit()
    invoice = factories.document_types(session)["Sales Invoice"]
    from portal.services import documents

    admin = factories.user(session, role_name="Administrator")
    doc = documents.save_draft(session, admin, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(job.id, code.id, Decimal("1"), Decimal("10")),)))
    return {"debtor": debtor.id, "group": group.id, "po": po.id, "job": job.id, "assigned_job": assigned.id,
            "hidden_job": hidden.id, "code": code.id, "invoice": invoice.id, "doc": doc.id, "north": north}


@pytest.mark.parametrize("who", TOKEN_USERS)
def test_each_roles_token_gets_exactly_its_grants(api_as, db_session, who):
    ids = _records(db_session)
    role = "Consultant" if who == "consultant.north" else who
    extra = {"username": "consultant.north", "branches": [ids["north"]]} if who == "consultant.north" else {}
    client, _ = api_as(role, **extra)
    wrong = []
    for name, method, path, body, allowed in OPERATIONS:
        if who == "consultant.north" and name in BRANCH_LIMITED_REFUSED:
            allowed = set()
        response = client.open(method, _fill(path, ids), json=_fill(body, ids) if body is not None else None)
        status = response.status_code
        if status >= 500 or (role in allowed) == (status == 403):
            wrong.append(f"{name}: {status} {response.get_data(as_text=True)[:200]}")
        if role in allowed and method == "POST" and status not in (200, 201):
            wrong.append(f"{name}: {status}, expected the change to go through")
        if role not in allowed:
            assert response.mimetype == "application/problem+json"
    assert wrong == [], who
    db_session.expire_all()
    changed = db_session.scalar(select(func.count()).select_from(Document).where(Document.status == "posted"))
    assert changed == (1 if role in DOCUMENTS_EDIT else 0)
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == (2 if role in ASSIGN else 1)
    me = client.get("/api/v1/me").get_json()
    assert me["roles"] == [role] and (me["grants"].get("po_override_budget") == "granted") == (role in OVERRIDE)
    # job security: another branch's job is a 404 for a branch-limited token, visible to the others
    hidden = client.get(f"/api/v1/job-orders/{ids['hidden_job']}")
    assert hidden.status_code == (404 if who == "consultant.north" else 200)
    listed = {j["id"] for j in client.get("/api/v1/job-orders?active_only=false").get_json()["items"]}
    assert (ids["hidden_job"] in listed) == (who != "consultant.north")
