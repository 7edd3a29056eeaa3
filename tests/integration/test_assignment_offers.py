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
