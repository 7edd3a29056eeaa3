"""The API's prompts and warnings: assignments answered as 409 with choices, posting with confirm and
override, job security (another branch's records are 404), and problem+json for bad input."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, BillCode, Document, JobPOAssignment, LedgerEntry, POBalance
from portal.services import documents
from tests import factories
from tests.api.conftest import is_problem


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


# ----- assignments: the same service, its prompts as 409s -----

@pytest.fixture
def jobs(db_session):
    debtor = factories.debtor(db_session, "ACME")
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    po = factories.po(db_session, debtor, "4500", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    later = factories.po(db_session, debtor, "4600", effective=date(2026, 3, 1), expiration=date(2026, 12, 31))
    return {"debtor": debtor, "north": north, "south": south, "po": po, "later": later,
            "north_job": factories.job(db_session, debtor, north, start=date(2026, 1, 1)),
            "south_job": factories.job(db_session, debtor, south, start=date(2026, 1, 1))}


def test_assigning_asks_for_the_start_date_then_assigns_as_answered(api_as, db_session, jobs):
    client, _ = api_as("Billing Clerk")
    url = f"/api/v1/job-orders/{jobs['north_job'].id}/assignments"
    asked = is_problem(client.post(url, json={"target": {"kind": "po", "id": jobs["later"].id}, "as_of": "2026-04-15"}), 409)
    assert asked["type"].endswith("/start-date-required") and asked["prompt"]
    assert asked["choices"] == [{"field": "start", "value": "2026-03-01", "label": "the PO's effective date"},
                                {"field": "start", "value": "2026-04-15", "label": "the as-of date"}]
    assert _count(db_session, JobPOAssignment) == 0
    done = client.post(url, json={"target": {"kind": "po", "id": jobs["later"].id}, "as_of": "2026-04-15",
                                  "start": asked["choices"][0]["value"]})
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert [(a["start_date"], a["target"], a["current"]) for a in body["assignments"]] == [
        ("2026-03-01", {"kind": "po", "id": jobs["later"].id}, True)]
    assert body["assignments"][0]["end"] == "2026-12-31" and body["assignments"][0]["end_reason"]
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "job_po_assignments")) == 1
    # the same rule as the page: assigned already, clear first
    again = is_problem(client.post(url, json={"target": {"kind": "po", "id": jobs["po"].id}, "as_of": "2026-04-15",
                                              "start": "2026-04-15"}), 409)
    assert "clear that assignment first" in again["detail"] and _count(db_session, JobPOAssignment) == 1


def test_removing_future_assignments_needs_the_confirmation_the_409_asks_for(api_as, db_session, jobs):
    factories.assignment(db_session, jobs["north_job"], po=jobs["later"], start=date(2026, 6, 1))
    client, _ = api_as("Consultant")
    url = f"/api/v1/job-orders/{jobs['north_job'].id}/assignments"
    ask = {"target": {"kind": "po", "id": jobs["po"].id}, "as_of": "2026-02-01", "start": "2026-02-01"}
    asked = is_problem(client.post(url, json=ask), 409)
    assert asked["type"].endswith("/confirm-remove-future")
    assert asked["future"] == [{"start_date": "2026-06-01", "manual_end": None,
                                "target": {"kind": "po", "id": jobs["later"].id}}]
    assert asked["choices"] == [{"field": "remove_future", "value": True, "label": "remove the future assignments"}]
    rows = db_session.scalars(select(JobPOAssignment)).all()
    assert [(r.po_id, r.start_date) for r in rows] == [(jobs["later"].id, date(2026, 6, 1))]
    # without the prompt's `seen` the answer names no list: asked again, nothing removed
    assert is_problem(client.post(url, json=ask | {"remove_future": True}), 409)["seen"] == asked["seen"]
    assert _count(db_session, JobPOAssignment) == 1
    done = client.post(url, json=ask | {"remove_future": True, "seen": asked["seen"]})
    assert done.status_code == 200, done.get_data(as_text=True)
    db_session.expire_all()
    assert [(r.po_id, r.start_date) for r in db_session.scalars(select(JobPOAssignment))] == [
        (jobs["po"].id, date(2026, 2, 1))]
    cleared = client.post(f"{url}/clear", json={"as_of": "2026-05-01"})
    assert cleared.status_code == 200
    assert cleared.get_json()["assignments"][0]["manual_end"] == "2026-04-30"


def test_an_enforcing_debtor_refuses_a_clear_without_a_replacement(api_as, db_session, jobs):
    jobs["debtor"].enforce_purchase_orders = True
    db_session.commit()
    factories.assignment(db_session, jobs["north_job"], po=jobs["po"], start=date(2026, 1, 1))
    client, _ = api_as("Billing Admin")
    url = f"/api/v1/job-orders/{jobs['north_job'].id}/assignments/clear"
    refused = is_problem(client.post(url, json={"as_of": "2026-05-01"}), 409)
    assert refused["type"].endswith("/assignment-refused")
    db_session.expire_all()
    assert db_session.scalars(select(JobPOAssignment.manual_end)).one() is None
    swapped = client.post(url, json={"as_of": "2026-05-01", "replacement": {"kind": "po", "id": jobs["later"].id}})
    assert swapped.status_code == 200
    assert [a["target"]["id"] for a in swapped.get_json()["assignments"]] == [jobs["po"].id, jobs["later"].id]


def test_a_branch_limited_token_sees_only_its_branches_jobs(api_as, db_session, jobs):
    factories.assignment(db_session, jobs["south_job"], po=jobs["po"], start=date(2026, 1, 1))
    client, _ = api_as("Consultant", username="consultant.north", branches=[jobs["north"]])
    listed = client.get("/api/v1/job-orders?active_only=false").get_json()
    assert [j["id"] for j in listed["items"]] == [jobs["north_job"].id] and listed["page"]["total"] == 1
    south = jobs["south_job"].id
    assert is_problem(client.get(f"/api/v1/job-orders/{south}"), 404)["detail"]
    is_problem(client.get(f"/api/v1/job-orders/{south}/assignments"), 404)
    is_problem(client.post(f"/api/v1/job-orders/{south}/assignments",
                           json={"target": {"kind": "po", "id": jobs["po"].id}, "as_of": "2026-05-01",
                                 "start": "2026-05-01"}), 404)
    is_problem(client.post(f"/api/v1/job-orders/{south}/assignments/clear", json={"as_of": "2026-05-01"}), 404)
    db_session.expire_all()
    assert db_session.scalars(select(JobPOAssignment.manual_end)).one() is None
    assert client.get(f"/api/v1/job-orders/{jobs['north_job'].id}").status_code == 200


# ----- documents: create a draft, post with warnings, confirm, override -----

@pytest.fixture
def billing(db_session):
    debtor = factories.debtor(db_session, "ACME")
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    po = factories.po(db_session, debtor, "4500", amount="1000", tolerance=90)
    job, south_job = factories.job(db_session, debtor, north), factories.job(db_session, debtor, south)
    for j in (job, south_job):
        factories.assignment(db_session, j, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "po": po, "job": job, "south_job": south_job, "code": code, "north": north,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _draft(s, quantity="10", rate="95.00", job=None, **kw) -> dict:
    return {"debtor_id": s["debtor"].id, "document_type_id": s["invoice"].id, "doc_date": "2026-03-01",
            "bill_from": "2026-02-16", "bill_to": "2026-03-01",
            "lines": [{"job_id": (job or s["job"]).id, "bill_code_id": s["code"].id, "quantity": quantity,
                       "rate": rate, "description": "hours"}]} | kw


def test_a_draft_is_posted_after_its_warnings_are_confirmed(api_as, db_session, billing):
    client, _ = api_as("Billing Clerk")
    created = client.post("/api/v1/documents", json=_draft(billing))
    assert created.status_code == 201, created.get_data(as_text=True)
    doc = created.get_json()
    assert doc["status"] == "draft" and doc["total"] == "950.00" and doc["number"] == "SI-00001"
    assert doc["lines"][0]["amount"] == "950.00" and doc["hidden_lines"] == 0
    url = f"/api/v1/documents/{doc['id']}/post"
    warned = is_problem(client.post(url, json={}), 409)
    assert warned["type"].endswith("/confirm-warnings")
    assert any("tolerance" in w["message"] for w in warned["warnings"]) and not any(w["blocks"] for w in warned["warnings"])
    assert _count(db_session, LedgerEntry) == 0 and db_session.get(POBalance, billing["po"].id).used == 0
    posted = client.post(url, json={"confirm": True, "seen": warned["seen"]})
    assert posted.status_code == 200, posted.get_data(as_text=True)
    assert posted.get_json()["document"]["status"] == "posted" and posted.get_json()["overridden"] is False
    db_session.expire_all()
    assert db_session.get(POBalance, billing["po"].id).used == Decimal("950.00")
    assert is_problem(client.post(url, json={"confirm": True}), 409)["detail"].endswith("already posted.")
    figures = client.get(f"/api/v1/purchase-orders/{billing['po'].id}").get_json()["figures"]
    assert (figures["used"], figures["subtotal"], figures["net_remaining"], figures["colour"]) == (
        "950.00", "950.00", "50.00", "yellow")
    spend = client.get("/api/v1/reports/spend-by-po-number").get_json()
    assert [(r["po_number"], r["used"], r["budgeted"]) for r in spend["items"]] == [("4500", "950.00", True)]


def test_a_confirmation_with_the_checks_seen_counts_only_while_the_check_is_the_same(api_as, db_session, billing):
    client, user = api_as("Billing Clerk")
    doc = client.post("/api/v1/documents", json=_draft(billing)).get_json()
    url = f"/api/v1/documents/{doc['id']}/post"
    warned = is_problem(client.post(url, json={}), 409)
    assert len(warned["seen"]) == 20 and "changed" not in warned
    # a confirmation without the check it answers confirms nothing (it posted past warnings never fetched)
    blind = is_problem(client.post(url, json={"confirm": True}), 409)
    assert blind["type"].endswith("/confirm-warnings") and blind["seen"] == warned["seen"]
    assert _count(db_session, LedgerEntry) == 0
    documents.save_draft(db_session, user, doc["id"], documents.DocumentInput(  # edited in between (in the portal)
        debtor_id=billing["debtor"].id, document_type_id=billing["invoice"].id, number=doc["number"],
        doc_date=date(2026, 3, 1), lines=(documents.LineInput(job_id=billing["job"].id, bill_code_id=billing["code"].id,
                                                              quantity=Decimal("50"), rate=Decimal("100.00")),)))
    again = is_problem(client.post(url, json={"confirm": True, "seen": warned["seen"]}), 409)
    assert again["changed"] is True and any("over its amount" in w["message"] for w in again["warnings"])
    assert _count(db_session, LedgerEntry) == 0
    posted = client.post(url, json={"confirm": True, "seen": again["seen"]})
    assert posted.status_code == 200, posted.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(POBalance, billing["po"].id).used == Decimal("5000.00")


def test_a_blocked_posting_needs_the_override_grant(api_as, db_session, billing):
    billing["debtor"].over_budget_policy = "block"
    db_session.commit()
    clerk, _ = api_as("Billing Clerk")
    doc = clerk.post("/api/v1/documents", json=_draft(billing, quantity="20", rate="100")).get_json()
    url = f"/api/v1/documents/{doc['id']}/post"
    refused = is_problem(clerk.post(url, json={"confirm": True}), 409)
    assert refused["type"].endswith("/posting-refused") and refused["override_allowed"] is False
    assert any(w["blocks"] for w in refused["warnings"])
    assert is_problem(clerk.post(url, json={"confirm": True, "override": True}), 403)["type"].endswith(
        "/override-not-granted")
    assert _count(db_session, LedgerEntry) == 0
    admin, _ = api_as("Billing Admin")
    shown = is_problem(admin.post(url, json={"confirm": True}), 409)
    assert shown["override_allowed"] is True
    # an override sent without the refusal it answers overrides nothing: the refusal comes back
    blind = is_problem(admin.post(url, json={"confirm": True, "override": True}), 409)
    assert blind["type"].endswith("/posting-refused") and blind["seen"] == shown["seen"]
    assert _count(db_session, LedgerEntry) == 0
    posted = admin.post(url, json={"confirm": True, "override": True, "seen": shown["seen"]})
    assert posted.status_code == 200 and posted.get_json()["overridden"] is True
    db_session.expire_all()
    assert db_session.get(POBalance, billing["po"].id).used == Decimal("2000.00")
    assert db_session.get(Document, doc["id"]).override_used is True


def test_documents_hide_other_branches_lines_and_refuse_changing_them(api_as, db_session, billing):
    admin, _ = api_as("Billing Admin")
    body = _draft(billing)
    body["lines"] += _draft(billing, job=billing["south_job"])["lines"]
    doc = admin.post("/api/v1/documents", json=body).get_json()
    south = admin.post("/api/v1/documents", json=_draft(billing, job=billing["south_job"])).get_json()
    north, _ = api_as("Billing Clerk", branches=[billing["north"]])
    seen = north.get(f"/api/v1/documents/{doc['id']}").get_json()
    assert [l["job_id"] for l in seen["lines"]] == [billing["job"].id] and seen["hidden_lines"] == 1
    is_problem(north.post(f"/api/v1/documents/{doc['id']}/post", json={"confirm": True}), 403)
    # wholly on the other branch's jobs: not theirs at all, as another branch's job
    is_problem(north.get(f"/api/v1/documents/{south['id']}"), 404)
    is_problem(north.post(f"/api/v1/documents/{south['id']}/post", json={"confirm": True}), 404)
    refused = is_problem(north.post("/api/v1/documents", json=_draft(billing, job=billing["south_job"])), 422)
    assert "job orders" in refused["errors"]["lines"][0]
    assert _count(db_session, Document) == 2 and _count(db_session, LedgerEntry) == 0


def test_a_limited_tokens_document_totals_cover_the_lines_it_is_given(api_as, db_session, billing):
    """Found from outside: a document's `total` was the whole document's for a token limited to branches, so
    `total` less its `lines` gave what another branch's job billed. It is the total of the lines returned, with
    `hidden_lines` saying lines were left out, in the list too; the OpenAPI document says so."""
    admin, _ = api_as("Billing Admin")
    body = _draft(billing, quantity="3", rate="411.15")  # 1,233.45 on the north job
    body["lines"] += _draft(billing, quantity="7", rate="1111.11", job=billing["south_job"])["lines"]  # 7,777.77
    doc = admin.post("/api/v1/documents", json=body).get_json()
    assert doc["total"] == "9011.22" and doc["hidden_lines"] == 0
    north, _ = api_as("Billing Clerk", branches=[billing["north"]])
    seen, listed = north.get(f"/api/v1/documents/{doc['id']}"), north.get("/api/v1/documents")
    assert "9011.22" not in seen.get_data(as_text=True) + listed.get_data(as_text=True)
    assert (seen.get_json()["total"], seen.get_json()["hidden_lines"]) == ("1233.45", 1)
    assert [(d["total"], d["hidden_lines"]) for d in listed.get_json()["items"]] == [("1233.45", 1)]
    assert [(d["total"], d["hidden_lines"]) for d in admin.get("/api/v1/documents").get_json()["items"]] == [
        ("9011.22", 0)]
    schema = north.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Document"]["properties"]
    assert "the total of the lines you may see only" in schema["total"]["description"]
    assert "left out of `lines` and of `total`" in schema["hidden_lines"]["description"]



def test_a_confirmation_to_remove_future_assignments_removes_only_those_it_listed(api_as, db_session, jobs):
    """Found from outside: a confirmation answered after someone else added a future assignment removed that one
    too, though the prompt never listed it. The prompt's `seen` names the rows it listed; with another since, the
    prompt comes again listing both, and nothing is removed until that one is answered."""
    factories.assignment(db_session, jobs["north_job"], po=jobs["later"], start=date(2026, 6, 1), end=date(2026, 8, 31))
    client, _ = api_as("Consultant")
    url = f"/api/v1/job-orders/{jobs['north_job'].id}/assignments"
    ask = {"target": {"kind": "po", "id": jobs["po"].id}, "as_of": "2026-02-01", "start": "2026-02-01"}
    asked = is_problem(client.post(url, json=ask), 409)
    factories.assignment(db_session, jobs["north_job"], po=jobs["later"], start=date(2026, 9, 1))  # meanwhile
    again = is_problem(client.post(url, json=ask | {"remove_future": True, "seen": asked["seen"]}), 409)
    assert "changed since the confirmation" in again["detail"]
    assert [f["start_date"] for f in again["future"]] == ["2026-06-01", "2026-09-01"]
    assert _count(db_session, JobPOAssignment) == 2
    done = client.post(url, json=ask | {"remove_future": True, "seen": again["seen"]})
    assert done.status_code == 200, done.get_data(as_text=True)
    db_session.expire_all()
    assert [(r.po_id, r.start_date) for r in db_session.scalars(select(JobPOAssignment))] == [
        (jobs["po"].id, date(2026, 2, 1))]


def test_a_credit_memos_total_is_negative_as_the_pages_show_it(api_as, db_session, billing):
    """Found from outside: the API gave a credit memo's total unsigned (100.00) where the documents list, its
    exports and the PO's documents tab give it negative; an integration summing the API's totals added credits."""
    from portal.services import posting

    client, user = api_as("Billing Admin")
    invoice = client.post("/api/v1/documents", json=_draft(billing)).get_json()
    warned = is_problem(client.post(f"/api/v1/documents/{invoice['id']}/post", json={}), 409)
    assert client.post(f"/api/v1/documents/{invoice['id']}/post",
                       json={"confirm": True, "seen": warned["seen"]}).status_code == 200
    credit_type = factories.document_types(db_session)["Credit Memo"]
    credit = documents.derive(db_session, user, invoice["id"], credit_type.id, doc_date=date(2026, 3, 2))
    assert posting.post(db_session, user, credit.id, confirmed=True).posted
    assert client.get(f"/api/v1/documents/{credit.id}").get_json()["total"] == "-950.00"
    listed = {d["id"]: d["total"] for d in client.get("/api/v1/documents").get_json()["items"]}
    assert listed == {invoice["id"]: "950.00", credit.id: "-950.00"}
@pytest.mark.parametrize("change, field", [
    ({"debtor_id": "1"}, "debtor_id"),                       # a string where an integer goes
    ({"debtor_id": 2**31}, "debtor_id"),                     # beyond any id
    ({"doc_date": "2026-13-01"}, "doc_date"),
    ({"doc_date": 20260301}, "doc_date"),
    ({"notes": "a\x00b"}, "notes"),
    ({"surprise": 1}, "surprise"),                            # unknown fields are refused
    ({"lines": []}, "lines"),
    ({"lines": [{"bill_code_id": 1, "quantity": "NaN", "rate": "1"}]}, "lines"),
    ({"lines": [{"bill_code_id": 1, "quantity": "1", "rate": "1", "extra": True}]}, "lines"),
])
def test_bad_documents_are_422_problems_and_nothing_is_saved(api_as, db_session, billing, change, field):
    client, _ = api_as("Billing Admin")
    body = is_problem(client.post("/api/v1/documents", json=_draft(billing) | change), 422)
    assert body["type"].endswith("/validation") and field in body["errors"], body
    assert _count(db_session, Document) == 0


def test_rule_breaking_values_come_back_from_the_service_as_422(api_as, db_session, billing):
    client, _ = api_as("Billing Admin")
    for change, needle in [({"lines": [{"bill_code_id": billing["code"].id, "quantity": "-1", "rate": "1"}]},
                            "quantity must be more than zero"),
                           ({"lines": [{"bill_code_id": billing["code"].id, "quantity": "1e30", "rate": "1"}]}, "Line 1"),
                           ({"bill_from": "2026-03-02", "bill_to": "2026-03-01"}, "bill period")]:
        body = is_problem(client.post("/api/v1/documents", json=_draft(billing) | change), 422)
        assert needle in str(body["errors"]), body
    assert _count(db_session, Document) == 0


def test_paging_and_filters_follow_one_convention(api_as, db_session):
    for n in range(3):
        factories.debtor(db_session, f"D{n}0")
    client, _ = api_as("Auditor")
    first = client.get("/api/v1/debtors?per_page=2").get_json()
    assert [d["code"] for d in first["items"]] == ["D00", "D10"]
    assert first["page"] == {"page": 1, "per_page": 2, "total": 3, "more": False}
    assert [d["code"] for d in client.get("/api/v1/debtors?per_page=2&page=2").get_json()["items"]] == ["D20"]
    assert [d["code"] for d in client.get("/api/v1/debtors?q=D1").get_json()["items"]] == ["D10"]
    for query in ("per_page=101", "per_page=0", "page=0", "page=x", "active_only=maybe", "colour=red"):
        assert is_problem(client.get(f"/api/v1/debtors?{query}"), 422)["errors"], query
    is_problem(client.get("/api/v1/debtors/2147483648"), 404)
    is_problem(client.get("/api/v1/nothing-here"), 404)
    is_problem(client.open("DELETE", "/api/v1/debtors"), 405)
    # the role is checked before the body is read: an auditor hears 403 whatever it sends
    is_problem(client.open("POST", "/api/v1/documents", data="{not json", headers={"Content-Type": "application/json"}), 403)
    admin, _ = api_as("Billing Admin")
    is_problem(admin.open("POST", "/api/v1/documents", data="{not json", headers={"Content-Type": "application/json"}), 400)


def test_a_group_asks_for_the_start_date_of_its_po_of_the_day(api_as, db_session):
    debtor = factories.debtor(db_session, "ACME")
    group = factories.po_group(db_session, debtor, "Cleaning")
    factories.po(db_session, debtor, "P1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    job = factories.job(db_session, debtor, start=date(2026, 1, 1))
    client, _ = api_as("Consultant")
    url = f"/api/v1/job-orders/{job.id}/assignments"
    ask = {"target": {"kind": "group", "id": group.id}, "as_of": "2026-04-15"}
    asked = is_problem(client.post(url, json=ask), 409)
    assert "Group Cleaning starts on PO P1" in asked["detail"]
    assert [c["value"] for c in asked["choices"]] == ["2026-01-01", "2026-04-15"]
    done = client.post(url, json=ask | {"start": "2026-04-15"})
    assert done.status_code == 200
    assert [(a["start_date"], a["target"]["kind"]) for a in done.get_json()["assignments"]] == [("2026-04-15", "group")]
