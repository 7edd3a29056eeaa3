"""Defect 5, second half: templates ask the rule, they do not compute it. Which types can be made from
which, what is voidable and the tolerance mark on the budget bar each come from one function."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from portal.domain import budget
from portal.models import Document
from portal.services import documents, purchase_orders
from tests import factories


def _posted(db_session, type_name):
    debtor = factories.debtor(db_session)
    doc = Document(debtor_id=debtor.id, document_type_id=factories.document_types(db_session)[type_name].id,
                   number=f"T-{type_name}", doc_date=date(2026, 3, 1), status="posted", total=Decimal("0"))
    db_session.add(doc)
    db_session.commit()
    return doc


def test_the_make_draft_list_and_the_void_button_follow_the_rules(db_session, login_as):
    browser, _ = login_as("Administrator")
    types = factories.document_types(db_session)
    for name, source in types.items():
        doc = _posted(db_session, name)
        page = browser.get(f"/documents/{doc.id}").get_data(as_text=True)
        panel = page.split('id="derive-panel"', 1)[1].split("</form>")[0] if 'id="derive-panel"' in page else ""
        offered = set(re.findall(r'<option value="(\d+)">', panel)) | set(
            re.findall(r'name="type_id" value="(\d+)"', panel))
        assert offered == {str(t.id) for t in types.values() if documents.may_derive(source, t)}, name
        assert (f"Void {doc.number}</button>" in page) == documents.may_void(doc), name
        # no void button: the page says why not
        assert documents.may_void(doc) or 'id="void-why-not"' in page, name


def test_the_budget_bar_marks_the_tolerance_from_the_figures(db_session, login_as):
    browser, _ = login_as("Administrator")
    po = factories.po(db_session, factories.debtor(db_session), amount="1234.00", tolerance=Decimal("87.5"))
    page = browser.get(f"/purchase-orders/{po.id}").get_data(as_text=True)
    mark = purchase_orders.balance_figures(po).tolerance_mark
    assert mark == budget.tolerance_mark(Decimal("1234.00"), Decimal("87.5")) == Decimal("1079.75")
    assert f'low="{mark}" high="1234.00"' in page  # yellow from the mark, red past the Amount


def test_the_colour_turns_yellow_exactly_at_the_tolerance_mark():
    mark = budget.tolerance_mark(Decimal("1000"), Decimal("90"))
    at = budget.Balance(Decimal("1000"), mark, Decimal("0"), Decimal("0"))
    below = budget.Balance(Decimal("1000"), mark - Decimal("0.01"), Decimal("0"), Decimal("0"))
    assert (budget.colour(at, Decimal("90")), budget.colour(below, Decimal("90"))) == ("yellow", None)
    assert budget.tolerance_mark(Decimal("1000"), None) is None
