"""Browser tests: the portal served from a thread, driven by Playwright in Debian's Chromium."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories
from tests.ports import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).parent / "artifacts"


class InFlight:
    """WSGI wrapper counting the requests still being served (their database session closed
    included), so a test's end can wait until the server is idle before the next test empties the
    tables: a request left running (a page still loading when the test ended) would otherwise hold
    locks the next test's TRUNCATE waits on."""

    def __init__(self, app):
        self.app, self.count, self.cond = app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        with self.cond:
            self.count += 1
        try:
            body = self.app(environ, start_response)
            try:
                return list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.cond:
                self.count -= 1
                self.cond.notify_all()

    def wait_idle(self, timeout: float = 30) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.count == 0, timeout)


@pytest.fixture(scope="session")
def _served(app):
    served = InFlight(app)
    server = make_server("127.0.0.1", free_port(21000 + os.getpid() % 500, 23000), served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", served
    server.shutdown()


@pytest.fixture(scope="session")
def live_server(_served):
    return _served[0]


@pytest.fixture(scope="session", autouse=True)
def _patient_expect():
    """Assertions wait up to 10 s (Playwright's default is 5 s), as actions do: on a loaded CI machine
    an htmx swap can take longer than 5 s without anything being wrong."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, _served, db_session):
    live_server, served = _served
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_messages_seen = []
    page.on("console", lambda m: page.console_messages_seen.append(m.text + (" @" + str(m.location) if "Content Security" in m.text else "")))
    yield page
    context.close()
    assert served.wait_idle(), "a request of this test was still being served 30 s after it ended"
    csp = [m for m in page.console_messages_seen if "Content Security Policy" in m]
    assert csp == [], csp


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # caret="initial": hiding the caret leaves style="" on inputs, which htmx's settle then copies onto
    # the swapped-in inputs (an inline style the CSP refuses); a real user's page never has it
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


def blocked_draft(db_session, user, po_number: str):
    """A draft Sales Invoice of 1,100.00 on a 1,000.00 PO `po_number` of a debtor whose policy blocks (ordinary
    bill code ORD): posting it is refused unless overridden."""
    from datetime import date
    from decimal import Decimal

    from portal.models import BillCode
    from portal.services import documents

    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    debtor = factories.debtor(db_session, "ACME", over_budget_policy="block")
    po = factories.po(db_session, debtor, po_number, amount="1000", effective=date(2020, 1, 1),
                      expiration=date(2099, 12, 31))
    return documents.save_draft(db_session, user, None, documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id, number="",
        doc_date=date(2026, 3, 1), lines=(documents.LineInput(None, code.id, Decimal("11"), Decimal("100"),
                                                              explicit_po_id=po.id),)))


def typed_while_refreshing(page, path_end: str, form_id: str, swapped_id: str, choose, type_) -> None:
    """Hold the refresh a choice sends (a POST to a URL ending in `path_end`) until `type_` has typed, as on
    a slow day, then let it through: `swapped_id` comes back anew, the form `form_id` itself stays."""
    from playwright.sync_api import expect

    page.evaluate(f"for (const id of ['{form_id}', '{swapped_id}'])"
                  " document.getElementById(id).dataset.before = 'swap'")
    held = []
    page.route(f"**{path_end}", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith(path_end)):
        choose()
    type_()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path_end)):
        held[0].continue_()
    page.unroute(f"**{path_end}")
    expect(page.locator(f"#{swapped_id}:not([data-before])")).to_have_count(1)  # the choices came back
    expect(page.locator(f"#{form_id}[data-before]")).to_have_count(1)


@pytest.fixture
def sign_in(db_session):
    """Create a user with `role_name` and sign them in through the form."""

    def go(page, role_name: str = "Administrator", **kw):
        user = factories.user(db_session, role_name=role_name, **kw)
        page.goto("/login")
        page.fill("#username", user.username)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        return user

    return go


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
