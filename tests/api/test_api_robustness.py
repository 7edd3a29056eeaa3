"""The API against hostile input: bodies nested too deep or holding numbers too long to read (400),
numbers and dates read by the portal's own rules (`parse_number`, `typed_day`: 422 with a message,
never a 500 or another day), ids beyond PostgreSQL's INTEGER (404 whatever the method), and a query
parameter that takes one value given twice (400 naming it, never read as one of its values)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.numbers import QUANTITY, RATE, column_problem
from portal.models import BillCode, Document, DocumentLine, JobPOAssignment, LedgerEntry
from tests import factories
from tests.api.conftest import is_problem

MAX_ID = 2**31 - 1


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(db_session):
    debtor = factories.debtor(db_session, "ACME")
    north = factories.branch(db_session, "NTH")
    po = factories.po(db_session, debtor, "4500", amount="100000", effective=date(2026, 1, 1),
                      expiration=date(2026, 12, 31))
    job = factories.job(db_session, debtor, north, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "po": po, "job": job, "code": code,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _draft(w, **line) -> dict:
    return {"debtor_id": w["debtor"].id, "document_type_id": w["invoice"].id, "doc_date": "2026-03-01",
            "lines": [{"job_id": w["job"].id, "bill_code_id": w["code"].id, "quantity": "10", "rate": "95.00"}
                      | line]}


def _raw_post(client, url: str, text: str):
    return client.open("POST", url, data=text, headers={"Content-Type": "application/json"})


# ----- 1. bodies too deep to decode are malformed JSON (400), nothing written -----

DEEP = {
    "array": "[" * 1000 + "]" * 1000,
    "object": '{"a": ' * 1000 + "1" + "}" * 1000,
    "very deep": "[" * 50_000 + "]" * 50_000,
    "deep inside a valid body": '{"confirm": ' + "[" * 5000 + "]" * 5000 + "}",
}


@pytest.mark.parametrize("shape", list(DEEP))
def test_a_body_nested_too_deep_is_a_400_problem_and_nothing_is_written(api_as, db_session, world, shape):
    client, _ = api_as("Billing Admin")
    draft = client.post("/api/v1/documents", json=_draft(world))
    assert draft.status_code == 201, draft.get_data(as_text=True)
    doc_id = draft.get_json()["id"]
    for url in ("/api/v1/documents", f"/api/v1/job-orders/{world['job'].id}/assignments",
                f"/api/v1/job-orders/{world['job'].id}/assignments/clear", f"/api/v1/documents/{doc_id}/post"):
        body = is_problem(_raw_post(client, url, DEEP[shape]), 400)
        assert body["type"] == "about:blank" and "nested too deeply" in str(body["errors"]), (url, body)
    assert _count(db_session, Document) == 1 and _count(db_session, JobPOAssignment) == 0
    assert _count(db_session, LedgerEntry) == 0
    assert db_session.get(Document, doc_id).status == "draft"


@pytest.mark.parametrize("where", ["notes", "number", "po_number", "description", "key"])
def test_text_no_database_can_store_is_a_400_problem_and_nothing_is_written(api_as, db_session, world, where):
    """A lone surrogate escape is valid JSON but not Unicode text: it failed at commit as a 500."""
    client, _ = api_as("Billing Admin")
    body = json.dumps(_draft(world))
    lone = '"\\ud800"'
    text = {"notes": body[:-1] + ', "notes": %s}' % lone, "number": body[:-1] + ', "number": %s}' % lone,
            "po_number": body[:-1] + ', "po_number": %s}' % lone,
            "description": body.replace('"rate": "95.00"', '"rate": "95.00", "description": %s' % lone),
            "key": body[:-1] + ', %s: 1}' % lone}[where]
    problem = is_problem(_raw_post(client, "/api/v1/documents", text), 400)
    assert "not Unicode" in str(problem["errors"])
    assert _count(db_session, Document) == 0


def test_a_body_that_is_not_json_is_a_415_and_a_key_given_twice_a_400(api_as, db_session, world):
    """A JSON body sent as text/plain read as no body ("Missing data" for every field); a key given twice
    read as its last value."""
    client, _ = api_as("Billing Admin")
    body = json.dumps(_draft(world))
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        problem = is_problem(client.open("POST", "/api/v1/documents", data=body, headers={"Content-Type": kind}), 415)
        assert "application/json" in str(problem)
    twice = body[:-1] + ', "debtor_id": %d}' % (world["debtor"].id + 1)
    assert "twice" in str(is_problem(_raw_post(client, "/api/v1/documents", twice), 400)["errors"])
    assert _count(db_session, Document) == 0
    assert client.post("/api/v1/documents", json=_draft(world)).status_code == 201


# ----- 2. extreme numbers: never a 500 -----

def test_a_json_integer_too_long_to_read_is_a_400_problem(api_as, db_session, world):
    client, _ = api_as("Billing Admin")
    huge = "1" + "0" * 5000
    for text in ('{"debtor_id": %s, "document_type_id": 1, "doc_date": "2026-03-01", "lines": []}' % huge,
                 '{"target": {"kind": "po", "id": %s}, "as_of": "2026-03-01"}' % huge):
        for url in ("/api/v1/documents", f"/api/v1/job-orders/{world['job'].id}/assignments"):
            body = is_problem(_raw_post(client, url, text), 400)
            assert "too many digits" in str(body["errors"]), body
    assert _count(db_session, Document) == 0 and _count(db_session, JobPOAssignment) == 0


@pytest.mark.parametrize("line", [
    {"quantity": "1e9999999"}, {"rate": "1e9999999"}, {"quantity": "-1e9999999"}, {"rate": "1E+2"},
    {"quantity": "1e2"}, {"quantity": "1" + "0" * 5000}, {"rate": "Infinity"}, {"quantity": "0x10"},
])
def test_numbers_the_forms_refuse_are_422_problems_from_the_api_too(api_as, db_session, world, line):
    """The API reads quantities and rates with the forms' parser (README: `parse_number`; no exponent):
    the service then refuses what it could not read, with the form's message."""
    client, _ = api_as("Billing Admin")
    body = is_problem(client.post("/api/v1/documents", json=_draft(world, **line)), 422)
    assert body["type"].endswith("/validation")
    assert "Line 1: enter the quantity and rate as numbers." in body["errors"]["lines"], body
    assert _count(db_session, Document) == 0


@pytest.mark.parametrize("value", [2.5, 10, 1e300, True])
def test_json_numbers_are_refused_where_a_decimal_string_goes(api_as, db_session, world, value):
    client, _ = api_as("Billing Admin")
    body = is_problem(client.post("/api/v1/documents", json=_draft(world, quantity=value)), 422)
    assert "decimal string" in str(body["errors"]["lines"]), body
    assert _count(db_session, Document) == 0


def test_decimal_strings_are_read_as_the_forms_read_them(api_as, db_session, world):
    client, _ = api_as("Billing Admin")
    created = client.post("/api/v1/documents", json=_draft(world, quantity="1,000", rate=" 0.5 "))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["lines"][0]["amount"] == "500.00"
    assert db_session.scalars(select(DocumentLine.quantity)).one() == Decimal("1000")


def test_column_problem_says_a_value_is_too_large_however_large():
    for value in (Decimal("1e9999999"), Decimal("-1e9999999"), Decimal("9e999999999999999999")):
        assert column_problem(value, QUANTITY) == "The quantity may be at most 9,999,999,999.9999."
    assert column_problem(Decimal("1e-9999999"), RATE) == "The rate may have at most four decimals."
    assert column_problem(Decimal("12.5"), RATE) is None


def test_query_integers_too_long_to_read_are_422(api_as, world):
    client, _ = api_as("Billing Admin")
    huge = "1" + "0" * 5000
    for url, field in ((f"/api/v1/documents?debtor_id={huge}", "debtor_id"),
                       (f"/api/v1/job-orders?page={huge}", "page")):
        assert field in is_problem(client.get(url), 422)["errors"], url


# ----- 3. dates exactly YYYY-MM-DD, body and query -----

OTHER_ISO_FORMS = ["20261120", "2026-W47-5", "2026-W47", "2026-324", "2026-11-20T00:00:00", "2026-02-30", ""]


@pytest.mark.parametrize("text", OTHER_ISO_FORMS)
def test_document_dates_are_exactly_yyyy_mm_dd(api_as, db_session, world, text):
    client, _ = api_as("Billing Admin")
    for field, change in (("doc_date", {"doc_date": text}), ("bill_from", {"bill_from": text}),
                          ("bill_to", {"bill_to": text})):
        body = is_problem(client.post("/api/v1/documents", json=_draft(world) | change), 422)
        assert body["errors"][field] == [f"{field}: enter the date as YYYY-MM-DD (a day of the calendar)."], body
    body = is_problem(client.post("/api/v1/documents", json=_draft(world, service_date=text)), 422)
    assert body["errors"]["lines"]["0"]["service_date"] == [
        "service_date: enter the date as YYYY-MM-DD (a day of the calendar)."], body
    body = is_problem(client.post("/api/v1/documents", json=_draft(world) | {"doc_date": 20261120}), 422)
    assert "doc_date" in body["errors"]
    assert _count(db_session, Document) == 0


@pytest.mark.parametrize("text", OTHER_ISO_FORMS)
def test_assignment_dates_are_exactly_yyyy_mm_dd(api_as, db_session, world, text):
    client, _ = api_as("Billing Admin")
    url = f"/api/v1/job-orders/{world['job'].id}/assignments"
    target = {"kind": "po", "id": world["po"].id}
    for field, body_json, at in (("as_of", {"target": target, "as_of": text}, url),
                                 ("start", {"target": target, "as_of": "2026-03-01", "start": text}, url),
                                 ("as_of", {"as_of": text}, url + "/clear")):
        body = is_problem(client.post(at, json=body_json), 422)
        assert body["errors"][field] == [f"{field}: enter the date as YYYY-MM-DD (a day of the calendar)."], body
    assert _count(db_session, JobPOAssignment) == 0


@pytest.mark.parametrize("query", ["as_of=2026-W11-1", "as_of=20260316"])
def test_query_dates_are_exactly_yyyy_mm_dd(api_as, world, query):
    client, _ = api_as("Billing Admin")
    field = query.partition("=")[0]
    for url in ("/api/v1/job-orders", f"/api/v1/job-orders/{world['job'].id}/assignments"):
        body = is_problem(client.get(f"{url}?{query}"), 422)
        assert body["errors"][field] == [f"{field}: enter the date as YYYY-MM-DD (a day of the calendar)."], body
    for field in ("date_from", "date_to"):
        body = is_problem(client.get(f"/api/v1/documents?{field}={query.partition('=')[2]}"), 422)
        assert body["errors"][field] == [f"{field}: enter the date as YYYY-MM-DD (a day of the calendar)."], body
    ok = client.get(f"/api/v1/job-orders/{world['job'].id}/assignments?as_of=2026-03-16")
    assert ok.status_code == 200 and ok.get_json()["as_of"] == "2026-03-16"
    assert client.get("/api/v1/documents?date_from=2026-01-01&date_to=2026-12-31").status_code == 200


def test_every_api_date_field_reads_dates_as_typed():
    """A date field added later cannot slip back to marshmallow's ISO 8601 reading."""
    from marshmallow import Schema, fields

    from portal.api import schemas

    plain = [f"{name}.{field_name}" for name, schema in vars(schemas).items()
             if isinstance(schema, type) and issubclass(schema, Schema)
             for field_name, field in schema._declared_fields.items()
             if isinstance(field, fields.Date) and not isinstance(field, schemas.Day)]
    assert plain == []


# ----- 4. ids beyond PostgreSQL's INTEGER: 404 whatever the method -----

@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/job-orders/{id}/assignments"), ("GET", "/api/v1/job-orders/{id}/assignments"),
    ("POST", "/api/v1/job-orders/{id}/assignments/clear"), ("POST", "/api/v1/documents/{id}/post"),
    ("GET", "/api/v1/job-orders/{id}"), ("GET", "/api/v1/documents/{id}"),
])
def test_ids_beyond_any_record_are_404_whatever_the_method(api_as, world, method, path):
    client, _ = api_as("Billing Admin")
    body = None if method == "GET" else {"target": {"kind": "po", "id": 1}, "as_of": "2026-03-01"} \
        if path.endswith("/assignments") else {"as_of": "2026-03-01"} if path.endswith("/clear") else {}
    for big in (MAX_ID + 1, 2**40, 10**30):
        assert is_problem(client.open(method, path.format(id=big), json=body), 404)["type"] == "about:blank"
    assert client.open(method, path.format(id=MAX_ID), json=body).status_code == 404


def test_api_ids_match_up_to_postgresql_integer_only(app):
    adapter = app.url_map.bind("localhost")
    for n in (1, 9, 10, 999999999, 1000000000, 1999999999, 2099999999, 2147483639, 2147483647):
        assert adapter.match(f"/api/v1/job-orders/{n}/assignments", method="POST")[1] == {"job_id": n}, n
    assert adapter.match("/api/v1/job-orders/0042", method="GET")[1] == {"job_id": 42}
    from werkzeug.exceptions import NotFound

    for n in (2147483648, 2147483650, 2147483700, 2147490000, 2200000000, 3000000000, 9999999999, 10**11):
        for method in ("GET", "POST"):
            with pytest.raises(NotFound):
                adapter.match(f"/api/v1/job-orders/{n}/assignments", method=method)


def test_a_page_route_answers_a_too_large_id_404_whatever_the_method_too(app):
    """The bounded id is the app's own <int:…>, not the API's alone: a page's POST with an id past any record
    matched its GET rule's path and answered 405."""
    from werkzeug.exceptions import NotFound

    adapter = app.url_map.bind("localhost")
    assert adapter.match("/documents/2147483647/post", method="POST")[1] == {"doc_id": 2147483647}
    for method in ("GET", "POST"):
        with pytest.raises(NotFound):
            adapter.match("/documents/2147483648/post", method=method)


# ----- 5. a query parameter that takes one value, given twice: 400 naming it -----

# two valid values of each query parameter of the API (a parameter added later must be listed here)
TWO_VALUES = {
    "page": ("1", "5"), "per_page": ("10", "20"), "q": ("a", "b"), "po": ("4500", "4501"),
    "debtor_id": ("1", "2"), "group_id": ("1", "2"), "branch_id": ("1", "2"), "document_type_id": ("1", "2"),
    "active_only": ("true", "false"), "include_expired": ("true", "false"), "attention": ("true", "false"),
    "unassigned": ("true", "false"), "sort": ("number", "remaining"), "status": ("draft", "posted"),
    "as_of": ("2026-03-01", "2026-04-01"), "date_from": ("2026-01-01", "2026-02-01"),
    "date_to": ("2026-11-30", "2026-12-31"),
}


def _query_parameters(app) -> list[tuple[str, str, dict]]:
    """(method, path, parameter) for every query parameter of every API operation, from the OpenAPI document."""
    from portal.api.base import spec_of

    with app.app_context():
        paths = spec_of(app)["paths"]
    return [(method, path, p) for path, operations in paths.items() for method, op in operations.items()
            if method in ("get", "post", "put", "patch", "delete")
            for p in op.get("parameters", []) + operations.get("parameters", []) if p["in"] == "query"]


def _url(path: str, w) -> str:
    return path.replace("{job_id}", str(w["job"].id))


def test_every_query_parameter_of_the_api_takes_one_value(app):
    """None is a list (none may be given twice), each has two values below to repeat, and no write reads
    the query (a POST's query parameters are not read at all)."""
    found = _query_parameters(app)
    assert {p["name"] for _, _, p in found} == set(TWO_VALUES)
    assert {method for method, _, _ in found} == {"get"}
    assert {path for _, path, _ in found} == {
        "/api/v1/debtors", "/api/v1/po-groups", "/api/v1/purchase-orders", "/api/v1/job-orders",
        "/api/v1/job-orders/{job_id}/assignments", "/api/v1/documents", "/api/v1/document-types",
        "/api/v1/bill-codes", "/api/v1/reports/spend-by-po-number"}
    assert not [p for _, _, p in found if p["schema"].get("type") == "array"]


def test_a_query_parameter_given_twice_is_a_400_problem_naming_it(app, api_as, db_session, world):
    """Every list and detail operation, every parameter: webargs read the first value and dropped the rest,
    so `?debtor_id=1&debtor_id=2` was answered for debtor 1. Given once, each still works."""
    client, _ = api_as("Administrator")
    before = (_count(db_session, Document), _count(db_session, JobPOAssignment), _count(db_session, LedgerEntry))
    for _, path, parameter in _query_parameters(app):
        name = parameter["name"]
        first, second = TWO_VALUES[name]
        url = _url(path, world)
        for query in (f"{name}={first}&{name}={second}", f"{name}={first}&{name}={first}"):
            body = is_problem(client.get(f"{url}?{query}"), 400)
            assert body["type"] == "about:blank" and body["instance"] == url, body
            assert body["detail"] == "The request could not be read (malformed JSON or query).", body
            assert body["errors"] == {name: [f"{name}: the query gives this parameter 2 times; give it once."]}, body
            assert "items" not in body
        once = client.get(f"{url}?{name}={first}")
        assert once.status_code == 200, (url, name, once.get_data(as_text=True)[:500])
    assert (_count(db_session, Document), _count(db_session, JobPOAssignment),
            _count(db_session, LedgerEntry)) == before


def test_a_repeated_filter_is_refused_not_read_as_one_of_its_values(api_as, db_session, world):
    client, _ = api_as("Administrator")
    other = factories.debtor(db_session, "DELL")
    factories.po(db_session, other, "7700", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    acme, dell = world["debtor"].id, other.id
    body = is_problem(client.get(f"/api/v1/purchase-orders?debtor_id={acme}&debtor_id={dell}&include_expired=true"),
                      400)
    assert list(body["errors"]) == ["debtor_id"]
    one = client.get(f"/api/v1/purchase-orders?debtor_id={dell}&include_expired=true")
    assert [po["number"] for po in one.get_json()["items"]] == ["7700"]
    body = is_problem(client.get("/api/v1/documents?status=draft&status=posted&page=1&page=5&page=9"), 400)
    assert body["errors"] == {"status": ["status: the query gives this parameter 2 times; give it once."],
                              "page": ["page: the query gives this parameter 3 times; give it once."]}
    assert client.get("/api/v1/documents?status=draft&page=1").status_code == 200


def test_an_unknown_query_parameter_is_still_a_422_however_often_given(api_as, world):
    client, _ = api_as("Administrator")
    for query in ("colour=red", "colour=red&colour=blue", "colour=red&colour=blue&page=1"):
        body = is_problem(client.get(f"/api/v1/purchase-orders?{query}"), 422)
        assert body["type"].endswith("/validation") and "colour" in body["errors"], body


def test_a_query_parameter_meant_for_several_values_keeps_them(app):
    """No operation takes a list today; one that does reads every value, and only its one-value parameters
    are refused when repeated."""
    from marshmallow import fields
    from werkzeug.exceptions import BadRequest

    from portal.api.base import StrictParser
    from portal.api.schemas import PageQuery

    schema = type("IdsQuery", (PageQuery,), {"ids": fields.List(fields.Integer())})()
    with app.test_request_context("/api/v1/anything?ids=3&ids=4&page=2"):
        assert StrictParser().parse(schema, location="query") == {"ids": [3, 4], "page": 2, "per_page": 25}
    with app.test_request_context("/api/v1/anything?ids=3&ids=4&page=2&page=3"):
        with pytest.raises(BadRequest) as refused:
            StrictParser().parse(schema, location="query")
    assert refused.value.data["messages"] == {"query": {"page": [
        "page: the query gives this parameter 2 times; give it once."]}}


def test_a_posting_whose_totals_would_pass_what_they_can_hold_is_a_422_problem(api_as, db_session, world):
    """As on the page (tests/web/test_documents.py): PostgreSQL refuses a PO's balance past NUMERIC(16,2); the
    API says so in a 422 problem, never a 500, and writes nothing."""
    from sqlalchemy import update

    from portal.models import POBalance

    client, _ = api_as("Billing Admin")
    factories.assignment(db_session, world["job"], po=world["po"], start=date(2026, 1, 1))
    doc_id = client.post("/api/v1/documents", json=_draft(world)).get_json()["id"]
    full = Decimal("99999999999999.00")
    db_session.execute(update(POBalance).where(POBalance.po_id == world["po"].id).values(used=full))
    db_session.commit()
    url = f"/api/v1/documents/{doc_id}/post"
    warned = is_problem(client.post(url, json={}), 409)
    body = is_problem(client.post(url, json={"confirm": True, "seen": warned["seen"]}), 422)
    assert "larger than the portal can hold" in body["detail"]
    assert _count(db_session, LedgerEntry) == 0 and db_session.get(Document, doc_id).status == "draft"
    assert db_session.get(POBalance, world["po"].id).used == full
