"""A PO group description of 200 characters without a space wraps: no page that shows it grows wider than
the window (the groups page measured 2,641 px), and the PO pickers beside it keep their place.

The pages are rendered by the test client as the other web tests do, then laid out in Chromium with the
portal's own stylesheets (read from portal/static, no server, no request leaves the page)."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from tests import factories

pytestmark = pytest.mark.e2e  # lays pages out in Chromium
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
WIDTH = 1366
LONG = "W" * 200


@pytest.fixture(scope="module")
def chromium_page():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.route("**/*", lambda route: route.abort())  # the stylesheets are inlined; nothing is fetched
        yield page
        browser.close()


def _with_inline_styles(html: str) -> str:
    def inline(match: re.Match) -> str:
        return "<style>" + (STATIC / match.group(1)).read_text(encoding="utf-8") + "</style>"

    html = re.sub(r'<link rel="stylesheet" href="/static/([^"?]+)[^"]*">', inline, html)
    return re.sub(r"<script[^>]*></script>", "", html)


def _overflow(page, html: str) -> dict:
    """How far the page and its main content reach past the window, and the widest element doing it."""
    page.set_content(_with_inline_styles(html))
    return page.evaluate("""() => {
        const main = document.querySelector('main');
        const past = [...main.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > main.getBoundingClientRect().right + 1);
        return {main: main.scrollWidth - main.clientWidth,
                past: past.slice(-3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + 'px')};
    }""")


def test_a_long_unbroken_group_description_wraps_on_every_page_that_shows_it(db_session, login_as, chromium_page):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor, LONG)
    po = factories.po(db_session, debtor, "WIDE-1", group=group, effective=date(2026, 1, 1),
                      expiration=date(2027, 12, 31), description="D" * 200)
    job = factories.job(db_session, debtor, start=date(2026, 1, 1), title="Warehouse picker")
    factories.job(db_session, debtor, start=date(2026, 1, 1), title="Unassigned")  # its row offers the PO picker
    factories.assignment(db_session, job, group=group, start=date(2026, 2, 1))
    pages = [f"/purchase-orders/groups?debtor_id={debtor.id}", "/purchase-orders/groups",
             f"/purchase-orders/groups/{group.id}/edit", "/purchase-orders/?expired=1", f"/purchase-orders/{po.id}",
             f"/purchase-orders/{po.id}/edit", f"/purchase-orders/{po.id}/statement",
             f"/assignments/?debtor_id={debtor.id}", f"/job-orders/{job.id}"]
    wide = {}
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        measured = _overflow(chromium_page, response.get_data(as_text=True))
        if measured["main"] > 0:
            wide[url] = measured
    assert wide == {}

    # the grid's PO picker (the unassigned job's row) stays inside the window
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}").get_data(as_text=True)
    chromium_page.set_content(_with_inline_styles(grid))
    assert chromium_page.evaluate("""() => [...document.querySelectorAll('main select[name=target]')]
        .map(e => e.getBoundingClientRect().right)""")[0] <= WIDTH
