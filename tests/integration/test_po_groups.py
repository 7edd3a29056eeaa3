"""A debtor's PO groups as the lists show them."""
from datetime import date

from tests import factories


def test_groups_of_counts_each_groups_own_members(db_session):
    from portal.services.po_groups import groups_of

    acme, other = factories.debtor(db_session, "GRPA"), factories.debtor(db_session, "GRPB")
    full, empty = factories.po_group(db_session, acme, "Full"), factories.po_group(db_session, acme, "Empty")
    elsewhere = factories.po_group(db_session, other, "Alpha")
    factories.po(db_session, acme, "G-1", group=full, effective=date(2026, 1, 1), expiration=date(2026, 3, 31))
    factories.po(db_session, acme, "G-2", group=full, effective=date(2026, 4, 1), expiration=date(2026, 6, 30))
    factories.po(db_session, acme, "G-3")
    factories.po(db_session, other, "G-4", group=elsewhere)
    assert [(g.description, n) for g, n in groups_of(db_session, acme.id)] == [("Empty", 0), ("Full", 2)]
    assert [(g.description, n) for g, n in groups_of(db_session, other.id)] == [("Alpha", 1)]
    # every debtor's: by debtor, then description; at most `limit`
    assert [(g.debtor.code, g.description, n) for g, n in groups_of(db_session, None)] == [
        ("GRPA", "Empty", 0), ("GRPA", "Full", 2), ("GRPB", "Alpha", 1)]
    assert [g.description for g, _ in groups_of(db_session, None, limit=2)] == ["Empty", "Full"]
