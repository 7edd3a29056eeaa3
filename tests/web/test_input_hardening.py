"""Issue 9, input defects 14-17 and 19 as users and attackers hit them: a clear message or a 4xx,
never a 500, nothing half-written."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import BillCode, Debtor, Document, DocumentLine, POBalance, PurchaseOrder
from tests import factories


@pytest.fixture
def setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="1000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "po": po, "job": job, "code": code,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _doc_form(s, **kw):
    data = {"debtor_id": str(s["debtor"].id), "document_type_id": str(s["invoice"].id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "", "bill_to": "", "po_number": "", "notes": "",
            "line_job": [str(s["job"].id)], "line_code": [str(s["code"].id)], "line_date": [""],
            "line_description": ["hours"], "line_quantity": ["10"], "line_rate": ["95.00"], "line_po": [""],
            "line_key": ["k1"]}
    data.update(kw)
    return data


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


# --- 14: control characters refused in one place ------------------------------------------------

@pytest.mark.parametrize("bad", ["ada\x00", "a\x1bda", "\x7f", "ad\x85a"])
def test_control_characters_on_the_sign_in_form_are_a_400(db_session, browser, bad):
    factories.user(db_session, "ada")
    browser.get("/login")
    response = browser.post("/login", {"username": bad, "password": factories.PASSWORD + bad})
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)
    assert browser.get("/").status_code == 302  # not signed in


def test_control_characters_in_a_query_string_are_a_400(db_session, login_as):
    browser, _ = login_as("Administrator")
    for url in ("/debtors/?q=%00", "/purchase-orders/?q=a%00b", "/documents/?q=%1b", "/debtors/?%00=1"):
        response = browser.get(url)
        assert response.status_code == 400, url
        assert "400 · Not accepted" in response.get_data(as_text=True)
        assert "control character" in response.get_data(as_text=True)


def test_control_characters_in_any_form_field_are_refused_and_nothing_written(db_session, login_as, setup):
    browser, _ = login_as("Administrator")
    for field in ("code", "name", "notes"):
        data = {"code": "NEW", "name": "New debtor", "over_budget_policy": "warn", "active": "y", "notes": ""}
        data[field] = data[field] + "\x00"
        assert browser.post("/debtors/new", data).status_code == 400, field
    assert browser.post("/debtors/new", {"code": "NEW", "name": "N", "over_budget_policy": "warn",
                                         "bad\x00name": "1"}).status_code == 400
    assert browser.post("/documents/new", _doc_form(setup, line_description=["a\x00b"])).status_code == 400
    assert _count(db_session, Debtor) == 1 and _count(db_session, Document) == 0


def test_tab_cr_lf_stay_allowed_in_multi_line_text(db_session, login_as, setup):
    browser, _ = login_as("Administrator")
    response = browser.post("/documents/new", _doc_form(setup, notes="first line\r\nsecond\tline\n"))
    assert response.status_code == 302
    assert db_session.scalars(select(Document)).one().notes.startswith("first line\r\nsecond\tline")


def test_every_route_refuses_a_nul_byte_in_the_one_place(app, db_session, login_as):
    """Walks the URL map: a route added later is covered without anyone remembering it."""
    from tests.sample_records import sample_ids

    browser, user = login_as("Administrator")
    ids = sample_ids(db_session, owner=user)
    answers = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build({arg: ids[arg] for arg in rule.arguments})[1]
        if "GET" in rule.methods:
            answers[f"GET {url}"] = browser.get(url, query_string={"q": "x\x00"}).status_code
        if "POST" in rule.methods and rule.endpoint != "auth.logout":
            answers[f"POST {url}"] = browser.post(url, {"name": "x\x00", "notes": "ok"}).status_code
    assert len(answers) > 40
    assert {route: status for route, status in answers.items() if status != 400} == {}


# --- 15 / 16: quantities and amounts against their columns; one number parser -------------------

@pytest.mark.parametrize("quantity,rate,message", [
    ("999999999999", "1", "The quantity may be at most 9,999,999,999.9999"),
    ("1.00001", "95", "The quantity may have at most four decimals"),
    ("0.00001", "95", "The quantity may have at most four decimals"),
    ("10", "0.123456", "The rate may have at most four decimals"),
    ("1", "99999999999", "The rate may be at most 9,999,999,999.9999"),
    ("9999999999", "9999", "larger than 999,999,999,999.99"),
    ("1,2,3", "95", "enter the quantity and rate as numbers"),
    ("10,00", "95", "enter the quantity and rate as numbers"),
    ("10", "1,0,0", "enter the quantity and rate as numbers"),
])
def test_quantities_and_rates_beyond_their_columns_get_a_message(db_session, login_as, setup, quantity, rate, message):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/documents/new", _doc_form(setup, line_quantity=[quantity], line_rate=[rate]))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db_session, Document) == 0


def test_well_placed_thousands_separators_are_read(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/documents/new", _doc_form(setup, line_quantity=["1,000.5"], line_rate=["1,234.50"]))
    assert response.status_code == 302
    line = db_session.scalars(select(DocumentLine)).one()
    assert (line.quantity, line.rate, line.amount) == (Decimal("1000.5"), Decimal("1234.50"), Decimal("1235117.25"))


@pytest.mark.parametrize("amount", ["10,00", "1,2,3", ",100", "100,"])
def test_a_po_amount_with_misplaced_separators_is_refused(db_session, login_as, setup, amount):
    browser, _ = login_as("Billing Admin")
    response = browser.post("/purchase-orders/new", {
        "debtor_id": str(setup["debtor"].id), "number": "P-NEW", "kind": "single_line", "effective": "2026-01-01",
        "expiration": "2026-12-31", "amount": amount, "tolerance_pct": "", "description": "", "notes": ""})
    assert response.status_code == 200 and _count(db_session, PurchaseOrder) == 1


def test_a_derived_quantity_finer_than_the_column_is_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    browser.post("/documents/new", _doc_form(setup))
    doc = db_session.scalars(select(Document)).one()
    browser.post(f"/documents/{doc.id}/post", {"confirmed": "1"})
    line_id = db_session.scalars(select(DocumentLine.id)).one()
    credit = factories.document_types(db_session)["Credit Memo"]
    response = browser.post(f"/documents/{doc.id}/derive", {"type_id": str(credit.id), f"qty-{line_id}": "0.00001"},
                            follow_redirects=True)
    assert "at most four decimals" in response.get_data(as_text=True)
    assert _count(db_session, Document) == 1


# --- 19 (import) and 15 (CSV preview) -----------------------------------------------------------

HEADER = "document_type,number,date,debtor,job,bill_code,quantity,rate,po_number\n"


def _upload(browser, text, action="preview"):
    return browser.post("/documents/import", {"action": action, "file": (io.BytesIO(text.encode()), "export.csv")},
                        content_type="multipart/form-data")


def test_a_header_only_file_is_refused_with_a_message(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    html = _upload(browser, HEADER).get_data(as_text=True)
    assert "The file has no rows" in html and "Post all" not in html
    posted = browser.post("/documents/import", {"action": "post", "content": HEADER}).get_data(as_text=True)
    assert "The file has no rows" in posted and _count(db_session, Document) == 0


def test_an_unterminated_quote_is_refused_not_swallowed(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    job = setup["job"].number
    text = (HEADER + f'Sales Invoice,EXT-1,2026-03-01,ACME,{job},ORD,1,"10,\n'
            f"Sales Invoice,EXT-2,2026-03-01,ACME,{job},ORD,1,10,\n")
    html = _upload(browser, text).get_data(as_text=True)
    assert "quote" in html and "Post all" not in html
    assert "<td>2</td>" in html  # the row whose quote never closes
    posted = browser.post("/documents/import", {"action": "post", "content": text}).get_data(as_text=True)
    assert "quote" in posted and _count(db_session, Document) == 0


def test_a_quote_inside_an_unquoted_value_or_a_huge_cell_is_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    job = setup["job"].number
    stray = HEADER + f'Sales Invoice,EXT-1,2026-03-01,ACME,{job},ORD,"1"0,10,\n'
    html = _upload(browser, stray).get_data(as_text=True)
    assert "closing quote" in html and "Post all" not in html
    huge = HEADER + f'Sales Invoice,EXT-1,2026-03-01,ACME,{job},ORD,1,10,"{"x" * 200_000}"\n'
    response = _upload(browser, huge)
    assert response.status_code in (200, 413) and "Post all" not in response.get_data(as_text=True)
    assert _count(db_session, Document) == 0


@pytest.mark.parametrize("quantity,rate,message", [
    ("999999999999", "1", "The quantity may be at most"),
    ("1.00001", "10", "at most four decimals"),
    ("1,2,3", "10", "quantity and rate must be numbers"),
])
def test_csv_preview_refuses_what_posting_could_not_store(db_session, login_as, setup, quantity, rate, message):
    browser, _ = login_as("Billing Admin")
    text = HEADER + f'Sales Invoice,EXT-1,2026-03-01,ACME,{setup["job"].number},ORD,"{quantity}",{rate},\n'
    html = _upload(browser, text).get_data(as_text=True)
    assert message in html and "Post all" not in html
    posted = browser.post("/documents/import", {"action": "post", "content": text})
    assert posted.status_code == 200 and message in posted.get_data(as_text=True)
    assert _count(db_session, Document) == 0
    db_session.expire_all()
    assert db_session.get(POBalance, setup["po"].id) is None or db_session.get(POBalance, setup["po"].id).used == 0


def test_control_characters_in_an_uploaded_file_are_refused(db_session, login_as, setup):
    browser, _ = login_as("Billing Admin")
    text = HEADER + f'Sales Invoice,EXT-1,2026-03-01,ACME,{setup["job"].number},ORD,1,10,\n'
    text = text.replace("EXT-1", "EXT\x00-1")
    html = _upload(browser, text)
    assert html.status_code == 200 and "control character" in html.get_data(as_text=True)
    assert "Post all" not in html.get_data(as_text=True)


# --- 17: the error page ----------------------------------------------------------------------------

def test_a_change_that_committed_before_the_page_failed_is_not_called_unsaved(db_session, login_as, monkeypatch):
    from portal.blueprints.debtors import views

    browser, _ = login_as("Administrator")

    def broken_flash(*args, **kwargs):
        raise RuntimeError("the page after saving failed")

    monkeypatch.setattr(views, "flash", broken_flash)
    response = browser.post("/debtors/new", {"code": "SAVED", "name": "Saved", "over_budget_policy": "warn", "active": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "nothing was saved" not in html and "was saved" in html
    assert db_session.scalars(select(Debtor).where(Debtor.code == "SAVED")).one()


def test_a_posting_whose_redirect_failed_says_it_was_posted(db_session, login_as, setup, monkeypatch):
    from portal.blueprints.documents import views

    browser, _ = login_as("Billing Admin")
    browser.post("/documents/new", _doc_form(setup))
    doc = db_session.scalars(select(Document)).one()

    def broken_redirect(*args, **kwargs):
        raise RuntimeError("the redirect after posting failed")

    monkeypatch.setattr(views, "redirect", broken_redirect)
    response = browser.post(f"/documents/{doc.id}/post", {"confirmed": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "was saved" in html and "nothing was saved" not in html
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "posted"
    assert db_session.get(POBalance, setup["po"].id).used == Decimal("950.00")


def test_a_failure_before_any_commit_says_nothing_was_saved(db_session, login_as, monkeypatch):
    from portal.services import debtors

    browser, _ = login_as("Administrator")

    def broken(*args, **kwargs):
        raise RuntimeError("failed before saving")

    monkeypatch.setattr(debtors, "create_debtor", broken)
    response = browser.post("/debtors/new", {"code": "NOPE", "name": "Nope", "over_budget_policy": "warn", "active": "y"})
    assert response.status_code == 500 and "nothing was saved" in response.get_data(as_text=True)


def test_the_error_page_renders_without_the_database(app, database_url):
    from conftest import TEST_CONFIG
    from portal import create_app

    from flask_login.utils import _create_identifier

    dead = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/none",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    client, agent = dead.test_client(), "Mozilla/5.0 (portal test)"
    with dead.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}):
        identifier = _create_identifier()
    with client.session_transaction() as session:  # a signed-in user: every page loads them from the database
        # (a signed-in cookie names its server-side session: loading it needs the database)
        session.update({"_user_id": "1:0", "_fresh": True, "_id": identifier, "sid": "a-session-token"})
    for response in (client.get("/debtors/", headers={"User-Agent": agent}),
                     client.post("/login", data={"username": "ada", "password": "correct-horse-battery"})):
        html = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "PO Portal" in html and "database" in html.lower() and "nothing was saved" not in html
        assert "<!doctype html>" in html.lower()
