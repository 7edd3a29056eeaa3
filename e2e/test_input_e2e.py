"""A refused request inside an htmx swap still shows its reason (htmx 2 does not swap error answers)."""
from playwright.sync_api import expect

from e2e.conftest import shot
from tests import factories


def test_a_control_character_typed_in_a_search_box_shows_why_it_was_refused(page, sign_in, db_session):
    sign_in(page, "Administrator")
    factories.debtor(db_session, "ACME")
    page.goto("/debtors/")
    page.fill("input[name=q]", "AC\x01")
    expect(page.locator("#request-error")).to_contain_text("control character")
    expect(page.locator("#debtor-rows")).to_contain_text("ACME")  # the list is left as it was
    shot(page, "input-refused-in-search")
    page.fill("input[name=q]", "AC")
    expect(page.locator("#request-error")).to_have_count(0)
