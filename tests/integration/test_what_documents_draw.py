"""What each document still draws, wherever it is shown: an order invoiced in parts, the cents its
partial invoices' rounding leaves, credit memos, cancelled contract deliveries and numbers typed on the
fly. Every step compares the spend report, the PO's documents tab and statement with the PO's balance
row, and `flask integrity check` stays clean."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from portal.domain.contracts import Delivery as DeliveryInput
from portal.models import BillCode, Document, DocumentLine, debtor_relationship_leads
from portal.services import contracts, documents, posting, reports, statements
from portal.services.integrity import check
from tests import factories

DAY = date(2026, 3, 2)


@pytest.fixture()
def shop(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "PM-100", amount="10000", effective=date(2026, 1, 1),
                      expiration=date(2026, 12, 31))
    codes = {c: BillCode(code=c) for c in ("ORD", "OT")}
    db_session.add_all(codes.values())
    db_session.commit()
    user = factories.user(db_session, role_name="Administrator")
    types = factories.document_types(db_session)

    def post(type_name, *lines, debtor_id=None, po_number=""):
        draft = documents.save_draft(db_session, user, None, documents.DocumentInput(
            debtor_id=debtor_id or debtor.id, document_type_id=types[type_name].id, number="", doc_date=DAY,
            po_number=po_number, lines=tuple(
                documents.LineInput(None, codes[code].id, D(qty), D(rate), explicit_po_id=po.id if not po_number else None)
                for code, qty, rate in lines)))
        return _posted(draft)

    def _posted(draft):
        assert posting.post(db_session, user, draft.id, confirmed=True, today=DAY).posted
        db_session.expire_all()
        return db_session.get(Document, draft.id)

    def derive(source, type_name, quantities=None):
        draft = documents.derive(db_session, user, source.id, types[type_name].id, quantities=quantities)
        return _posted(draft)

    return {"s": db_session, "po": po, "debtor": debtor, "user": user, "post": post, "derive": derive, "types": types}


def _figures(shop):
    """(used, commitments) as the balance row, the spend report and the statement have them, and each
    document's applied amount on the PO's documents tab (what it draws now; the statement, chronological,
    shows a release on the invoice that made it: their sums agree)."""
    s, po = shop["s"], shop["po"]
    s.expire_all()
    balance = (po.balance.used, po.balance.commitments)
    [row] = [r for r in reports.spend_by_po_number(s).rows if r.po_number == po.number]
    statement = statements.statement(s, po, date.today())
    tab = {r.number: r.applied for r in reports.po_documents(s, shop["user"], po).rows}
    assert (row.used, row.commitment) == balance == (statement.figures.used, statement.figures.commitments)
    assert sum(tab.values()) == sum(d.used + d.commitments + d.estimates for d in statement.documents)
    assert check(s) == []
    return balance, tab


def test_an_order_invoiced_in_two_parts_draws_its_rest_and_then_nothing_on_every_page(shop):
    order = shop["post"]("Sales Order", ("ORD", "10", "123.4567"), ("OT", "7.5", "45.125"))  # 1,234.57 + 338.44
    assert _figures(shop) == ((D("0"), D("1573.01")), {order.number: D("1573.01")})
    ord_line, ot_line = sorted(order.lines, key=lambda l: l.line_no)
    first = shop["derive"](order, "Sales Invoice", {ord_line.id: D("4"), ot_line.id: D("7.5")})  # 493.83 + 338.44
    balance, tab = _figures(shop)
    assert balance == (D("832.27"), D("740.74"))
    assert tab == {order.number: D("740.74"), first.number: D("832.27")}  # the invoice applies its total
    rows = {d.number: (d.used, d.commitments) for d in statements.statement(shop["s"], shop["po"], date.today()).documents}
    assert rows == {order.number: (D("0"), D("1573.01")), first.number: (D("832.27"), D("-832.27"))}  # chronological
    assert documents.open_quantities(shop["s"], order) == {ord_line.id: D("6"), ot_line.id: D("0")}  # not 5.9999
    rest = shop["derive"](order, "Sales Invoice")
    assert [(l.quantity, l.amount) for l in rest.lines] == [(D("6"), D("740.74"))]
    balance, tab = _figures(shop)
    assert balance == (D("1573.01"), D("0.00"))
    assert tab == {order.number: D("0.00"), first.number: D("832.27"), rest.number: D("740.74")}


def test_the_invoice_taking_the_last_of_an_ordered_quantity_releases_the_cents_rounding_left(shop):
    order = shop["post"]("Sales Order", ("ORD", "3", "0.333"))  # 0.999: 1.00 committed
    for _ in range(3):  # 1 × 0.333 = 0.33 each: 0.99 invoiced, 0.01 would stay committed for ever
        shop["derive"](order, "Sales Invoice", {order.lines[0].id: D("1")})
    balance, _ = _figures(shop)
    assert balance == (D("0.99"), D("0.00"))


def test_a_credit_memos_default_is_the_most_left_on_the_invoice_line(shop):
    invoice = shop["post"]("Sales Invoice", ("ORD", "4", "123.4567"))  # 493.83
    line = invoice.lines[0]
    shop["derive"](invoice, "Credit Memo", {line.id: D("1")})  # 123.46
    shop["derive"](invoice, "Credit Memo", {line.id: D("1.5")})  # 185.19: 185.18 left
    assert documents.open_quantities(shop["s"], invoice) == {line.id: D("1.4999")}  # 185.17; 1.5 is 185.19
    _figures(shop)


def test_an_order_on_a_number_typed_on_the_fly_is_released_by_its_invoices_in_the_report(shop):
    s = shop["s"]
    bare = factories.debtor(s, "BARE")
    order = shop["post"]("Sales Order", ("ORD", "10", "100"), debtor_id=bare.id, po_number="TYPED-1")
    shop["derive"](order, "Sales Invoice", {order.lines[0].id: D("4")})
    [row] = [r for r in reports.spend_by_po_number(s, bare.id).rows]
    assert (row.po_number, row.used, row.commitment) == ("TYPED-1", D("400.00"), D("600.00"))
    shop["derive"](order, "Sales Invoice")
    [row] = [r for r in reports.spend_by_po_number(s, bare.id).rows]
    assert (row.used, row.commitment, row.documents) == (D("1000.00"), D("0.00"), 3)
    assert check(s) == []


def _contract(shop, class_a, class_b):
    """A relationship lead's contract on the shop's PO: Class A and Class B, each (quantity, rate), on ORD;
    returns the lead, the contract, both deliveries and the contract's order."""
    s = shop["s"]
    lead = factories.user(s, role_name="Relationship Lead")
    s.execute(debtor_relationship_leads.insert().values(debtor_id=shop["debtor"].id, user_id=lead.id))
    code = s.scalar(select(BillCode).where(BillCode.code == "ORD"))
    contract = contracts.enter_contract(s, lead, contracts.ContractInput(
        shop["debtor"].id, shop["po"].id, "Course", None, None,
        (DeliveryInput(code.id, date(2026, 3, 10), "Class A", D(class_a[0]), D(class_a[1])),
         DeliveryInput(code.id, date(2026, 3, 11), "Class B", D(class_b[0]), D(class_b[1])))), today=DAY,
        confirmed=True).contract
    first, second = sorted(contracts.deliveries_of(s, contract.id), key=lambda d: d.description)
    return lead, contract, first, second, s.get(Document, s.get(DocumentLine, first.document_line_id).document_id)


def test_a_partly_invoiced_delivery_is_cancelled_for_the_part_not_invoiced(shop):
    s = shop["s"]
    lead, contract, class_a, class_b, order = _contract(shop, ("3", "600"), ("1", "500"))
    shop["derive"](order, "Sales Invoice", {class_a.document_line_id: D("1"), class_b.document_line_id: D("0")})
    assert _figures(shop)[0] == (D("600.00"), D("1700.00"))
    state = contracts.invoicing(s, [class_a.document_line_id, class_b.document_line_id])
    assert state.state(class_a) == "1 of 3 invoiced" and state.may_cancel(class_a)
    given_back = contracts.cancel_deliveries(s, lead, contract.id, [class_a.id], today=DAY)
    assert given_back == D("1200.00")
    assert _figures(shop)[0] == (D("600.00"), D("500.00"))  # the report too: it kept 1,800 in Orders
    s.expire_all()
    class_a = s.get(type(class_a), class_a.id)
    assert contracts.invoicing(s, [class_a.document_line_id]).state(class_a) == "cancelled 2026-03-02 (1 of 3 invoiced)"
    shop["derive"](order, "Sales Invoice")  # Class B in full
    s.expire_all()
    class_b = s.get(type(class_b), class_b.id)
    state = contracts.invoicing(s, [class_b.document_line_id])
    assert state.state(class_b) == "invoiced" and not state.may_cancel(class_b)
    with pytest.raises(Exception, match="invoiced in full"):
        contracts.cancel_deliveries(s, lead, contract.id, [class_b.id], today=DAY)
    assert _figures(shop)[0] == (D("1100.00"), D("0.00"))


def test_a_cancelled_delivery_keeps_its_invoiced_part_scheduled_and_a_draft_made_before_is_refused(shop):
    """Cancelling a partly invoiced delivery took its whole amount off "Scheduled" (integrity: scheduled ≠
    ledger); a draft invoice made before the cancel then posted and took the work off the opportunity again."""
    s = shop["s"]
    lead, contract, class_a, class_b, order = _contract(shop, ("3", "333.3333"), ("2.5", "123.4567"))
    shop["derive"](order, "Sales Invoice", {class_a.document_line_id: D("1"), class_b.document_line_id: D("1")})
    late = documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id,
                            quantities={class_a.document_line_id: D("0"), class_b.document_line_id: D("1.5")})
    contracts.cancel_deliveries(s, lead, contract.id, [class_a.id, class_b.id], today=DAY)
    s.expire_all()
    assert contracts.scheduled_total(s, contract.id) == D("333.33") + D("123.46")  # what was invoiced of each
    assert dict((c.code, a) for c, a in contracts.products_of(
        contracts.deliveries_of(s, contract.id), contracts.scheduled_by_delivery(
            s, contracts.deliveries_of(s, contract.id)))) == {"ORD": D("456.79")}
    assert contracts.integrity_problems(s) == []
    result = posting.post(s, shop["user"], late.id, confirmed=True, override=True, today=DAY)
    assert result.refused and not result.posted
    said = " ".join(w.message for w in result.check.warnings)
    assert "which was cancelled: make the invoice again, without it" in said
    _figures(shop)


def test_a_draft_invoice_of_an_order_voided_since_is_refused(shop):
    order = shop["post"]("Sales Order", ("ORD", "4", "50"))
    draft = documents.derive(shop["s"], shop["user"], order.id, shop["types"]["Sales Invoice"].id)
    posting.void(shop["s"], shop["user"], order.id, today=DAY)
    result = posting.post(shop["s"], shop["user"], draft.id, confirmed=True, override=True, today=DAY)
    assert result.refused and f"made from {order.number} line 1, which is void" in result.check.warnings[0].message
    shop["s"].expire_all()
    assert (shop["po"].balance.used, shop["po"].balance.commitments) == (D("0"), D("0")) and check(shop["s"]) == []


def test_an_invoice_drawing_on_another_po_than_its_order_says_the_order_is_released_all_the_same(shop):
    s = shop["s"]
    order = shop["post"]("Sales Order", ("ORD", "4", "50"))
    draft = documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id)
    s.execute(text("UPDATE document_lines SET po_id = NULL, explicit_po = false WHERE document_id = :d"), {"d": draft.id})
    s.commit()
    result = posting.post(s, shop["user"], draft.id, today=DAY)
    assert result.needs_confirmation and any(
        w.code == "source_po" and f"made from {order.number} on PO PM-100, it draws on no PO" in w.message
        for w in result.check.warnings)


def test_a_number_typed_on_the_fly_releases_its_order_when_the_whole_quantity_is_invoiced(shop):
    """Orders kept 500.00 after an order of 10 × 100 was invoiced at a rate of 50, and 0.01 after 3 × 33.3333
    was invoiced 1 + 1 + 1: a line on no PO now follows posting's rule for a budgeted one."""
    s = shop["s"]
    bare = factories.debtor(s, "BARE2")
    order = shop["post"]("Sales Order", ("ORD", "10", "100"), ("OT", "3", "33.3333"), debtor_id=bare.id,
                         po_number="FLY-2")
    first, second = sorted(order.lines, key=lambda l: l.line_no)
    draft = documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id,
                             quantities={first.id: D("10"), second.id: D("1")})
    s.execute(text("UPDATE document_lines SET rate = 50, amount = 500 WHERE document_id = :d AND source_line_id = :l"),
              {"d": draft.id, "l": first.id})
    s.commit()
    assert posting.post(s, shop["user"], draft.id, confirmed=True, today=DAY).posted
    for _ in range(2):
        shop["derive"](order, "Sales Invoice", {first.id: D("0"), second.id: D("1")})
    [row] = reports.spend_by_po_number(s, bare.id).rows
    assert (row.used, row.commitment) == (D("599.99"), D("0.00"))
    assert check(s) == []


def test_a_second_invoice_of_a_whole_order_says_it_invoices_more_than_was_ordered(shop):
    """Two drafts of the whole order, both posted: the second drew 200.00 more Used and released nothing,
    without a word."""
    s = shop["s"]
    order = shop["post"]("Sales Order", ("ORD", "4", "50"))
    drafts = [documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id) for _ in range(2)]
    assert posting.post(s, shop["user"], drafts[0].id, today=DAY).posted  # no warning: the order in full
    second = posting.post(s, shop["user"], drafts[1].id, today=DAY)
    assert second.needs_confirmation and [w.message for w in second.check.warnings if w.code == "over_ordered"] == [
        f"Line 1: {order.number} line 1 ordered 4; with this invoice 8 are invoiced from it (what is over the "
        "order releases nothing)."]


def test_an_invoice_line_billed_at_another_rate_than_its_order_line_warns_first(shop):
    """The order's commitment is released at the order's rate; billed at another, the difference is Used no
    commitment covered (and a contract's opportunity moves by it): posting asks first, then posts."""
    s = shop["s"]
    order = shop["post"]("Sales Order", ("ORD", "2", "1000"))
    invoice = documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id)
    invoice.lines[0].rate = D("5000")
    invoice.lines[0].amount = D("10000.00")
    s.commit()
    asked = posting.post(s, shop["user"], invoice.id, today=DAY)
    assert asked.needs_confirmation and [w.message for w in asked.check.warnings if w.code == "source_rate"] == [
        f"Line 1: made from {order.number} line 1 at 1,000.00, it bills 5,000.00; the PO's Used moves by the "
        "difference (and so does a contract's opportunity)."]
    assert posting.post(s, shop["user"], invoice.id, today=DAY, confirmed=True, seen=asked.seen).posted
    same = documents.derive(s, shop["user"], order.id, shop["types"]["Sales Invoice"].id, quantities={
        order.lines[0].id: D("1")})
    result = posting.post(s, shop["user"], same.id, today=DAY, check_only=True)
    assert "source_rate" not in [w.code for w in result.check.warnings]
    assert check(s) == []
