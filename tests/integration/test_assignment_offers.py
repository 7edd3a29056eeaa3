"""What the job form's picker offers: the debtor's POs valid on the day, each with its Net Remaining
(PO amount − used − commitments − estimates, as the PO's own figures say), and its active groups."""
from __future__ import annotations

from datetime import date

from portal.services import assignments, purchase_orders
from tests import factories


def test_the_pickers_pos_carry_the_net_remaining_of_their_own_figures(db_session):
    debtor, other = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "ELSE")
    drawn = factories.po(db_session, debtor, "A-1", amount="1000.00", used="100.00", commitments="50.25",
                         estimates="9.75", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    over = factories.po(db_session, debtor, "B-2", amount="10.00", used="25.00", effective=date(2026, 1, 1),
                        expiration=date(2026, 12, 31))
    factories.po(db_session, debtor, "C-old", effective=date(2025, 1, 1), expiration=date(2025, 12, 31))
    factories.po(db_session, other, "D-else", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    group = factories.po_group(db_session, debtor, "Cleaning")
    member = factories.po(db_session, debtor, "G-1", group=group, effective=date(2026, 1, 1),
                          expiration=date(2026, 12, 31))

    pos, groups = assignments.offer_with_remaining(db_session, debtor.id, date(2026, 6, 1))

    assert {p.number: left for p, left in pos} == {
        "A-1": purchase_orders.balance_figures(drawn).net_remaining,
        "B-2": purchase_orders.balance_figures(over).net_remaining,
        "G-1": purchase_orders.balance_figures(member).net_remaining}
    assert dict((p.number, left) for p, left in pos)["A-1"] == 840 and dict(
        (p.number, left) for p, left in pos)["B-2"] == -15
    assert [g.description for g in groups] == ["Cleaning"] and groups[0].po_on(date(2026, 6, 1)).po_id == member.id
    assert assignments.offer_with_remaining(db_session, debtor.id, date(2030, 1, 1))[0] == []  # none valid then


def test_past_the_limit_the_picker_lists_a_page_by_number_the_search_and_the_one_chosen(db_session):
    from portal.domain.assignment import Target

    debtor, other = factories.debtor(db_session, "ACME"), factories.debtor(db_session, "ELSE")
    valid = {"effective": date(2026, 1, 1), "expiration": date(2026, 12, 31)}
    made = {n: factories.po(db_session, debtor, n, amount="100.00", used="30.00", **valid)
            for n in ("B-20", "a-10", "C-30", "CX-40", "D-50")}
    made["Z-desc"] = factories.po(db_session, debtor, "Z-desc", description="North cleaning", **valid)
    factories.po(db_session, debtor, "A-old", effective=date(2025, 1, 1), expiration=date(2025, 12, 31))
    factories.po(db_session, other, "A-else", **valid)
    group = factories.po_group(db_session, debtor, "Cleaning")
    member = factories.po(db_session, debtor, "G-1", group=group, **valid)
    day = date(2026, 6, 1)
    numbers = lambda offer: [p.number for p, _ in offer.pos]  # noqa: E731

    whole = assignments.picker_offer(db_session, debtor.id, day, limit=7)  # 7 valid: all, as before
    assert whole.total == 7 and numbers(whole) == [p.number for p, _ in assignments.offer_with_remaining(
        db_session, debtor.id, day)[0]]
    first = assignments.picker_offer(db_session, debtor.id, day, limit=3)
    assert first.total == 7 and numbers(first) == ["a-10", "B-20", "C-30"]  # by number, case aside
    assert dict((p.number, left) for p, left in first.pos)["B-20"] == purchase_orders.balance_figures(
        made["B-20"]).net_remaining == 70
    assert [g.description for g in first.groups] == ["Cleaning"] and first.groups[0].po_on(day).po_id == member.id
    assert numbers(assignments.picker_offer(db_session, debtor.id, day, q=" c", limit=3)) == ["C-30", "CX-40", "Z-desc"]
    assert numbers(assignments.picker_offer(db_session, debtor.id, day, q="cx", limit=3)) == ["CX-40"]
    assert numbers(assignments.picker_offer(db_session, debtor.id, day, q="north", limit=3)) == ["Z-desc"]
    assert numbers(assignments.picker_offer(db_session, debtor.id, day, q="a-", limit=3)) == ["a-10"]  # not the expired
    assert numbers(assignments.picker_offer(db_session, debtor.id, day, q="%", limit=3)) == []  # taken literally
    kept = assignments.picker_offer(db_session, debtor.id, day, limit=2, chosen=Target("po", made["D-50"].id))
    assert numbers(kept) == ["a-10", "B-20", "D-50"]
    kept_searching = assignments.picker_offer(db_session, debtor.id, day, q="cx", limit=2,
                                              chosen=Target("po", made["D-50"].id))
    assert numbers(kept_searching) == ["CX-40", "D-50"]  # the one chosen stays whatever is searched
    for foreign in (Target("po", -1), Target("po", member.id + 1000)):
        assert numbers(assignments.picker_offer(db_session, debtor.id, day, limit=2, chosen=foreign)) == ["a-10", "B-20"]
    else_po = assignments.picker_offer(db_session, other.id, day, limit=0)
    assert else_po.total == 1 and numbers(else_po) == []


def test_the_picker_counts_and_lists_pos_valid_on_their_first_and_last_day_and_names_their_groups(db_session):
    debtor = factories.debtor(db_session, "EDGE")
    day = date(2026, 6, 1)
    starts = factories.po(db_session, debtor, "A-starts", effective=day, expiration=date(2026, 12, 31))
    ends = factories.po(db_session, debtor, "B-ends", effective=date(2026, 1, 1), expiration=day)
    factories.po(db_session, debtor, "C-after", effective=date(2026, 6, 2), expiration=date(2026, 12, 31))
    factories.po(db_session, debtor, "C-before", effective=date(2026, 1, 1), expiration=date(2026, 5, 31))
    zeta, alpha = factories.po_group(db_session, debtor, "Zeta"), factories.po_group(db_session, debtor, "Alpha")
    grouped = factories.po(db_session, debtor, "D-grouped", group=zeta, effective=date(2026, 1, 1),
                           expiration=date(2026, 12, 31))
    factories.po(db_session, debtor, "E-alpha", group=alpha, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    offer = assignments.picker_offer(db_session, debtor.id, day, limit=3)
    assert offer.total == 4  # A, B, D and E valid on the day; C-after and C-before not
    assert [p.number for p, _ in offer.pos] == ["A-starts", "B-ends", "D-grouped"]
    assert [p.group_id for p, _ in offer.pos] == [None, None, zeta.id]  # a grouped PO says so in the panel
    assert [g.description for g in offer.groups] == ["Alpha", "Zeta"]  # by name, whatever their ids
    assert {starts.id, ends.id, grouped.id} == {p.po_id for p, _ in offer.pos}


def test_split_pos_sharing_a_number_are_listed_in_the_order_they_were_made(db_session):
    from sqlalchemy import update

    from portal.models import PurchaseOrder

    debtor = factories.debtor(db_session, "SPLIT")
    valid = {"effective": date(2026, 1, 1), "expiration": date(2026, 12, 31)}
    types = list(factories.document_types(db_session).values())
    first = factories.po(db_session, debtor, "S-1", types=types[:1], **valid)  # one number, a PO per type
    second = factories.po(db_session, debtor, "S-1", types=types[1:2], **valid)
    factories.po(db_session, debtor, "T-2", **valid)
    # the first one's row rewritten: stored after the second, so only the sort's id puts it first
    db_session.execute(update(PurchaseOrder).where(PurchaseOrder.id == first.id).values(description="moved"))
    db_session.commit()
    offer = assignments.picker_offer(db_session, debtor.id, date(2026, 6, 1), limit=2)
    assert [p.po_id for p, _ in offer.pos] == [first.id, second.id]


def test_a_jobs_panel_offers_nothing_to_a_user_who_may_not_assign_and_pages_for_one_who_may(db_session):
    debtor = factories.debtor(db_session, "PANEL")
    valid = {"effective": date(2026, 1, 1), "expiration": date(2026, 12, 31)}
    for n in ("A-1", "B-2", "C-3"):
        factories.po(db_session, debtor, n, **valid)
    job = factories.job(db_session, debtor)
    viewer = factories.user(db_session, "view", role_name="Auditor")
    assigner = factories.user(db_session, "assign", role_name="Consultant")
    day = date(2026, 6, 1)
    nothing = assignments.panel_offer(db_session, viewer, job, [], day)
    assert (nothing.pos, nothing.groups, nothing.total) == ([], [], 0)
    offer = assignments.panel_offer(db_session, assigner, job, [], day, limit=2)
    assert offer.total == 3 and [p.number for p, _ in offer.pos] == ["A-1", "B-2"]
    assert all(left is None for _, left in offer.pos)  # the panel names POs; their balances are not read
