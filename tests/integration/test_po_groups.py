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


def test_add_edit_changes_and_deletes_only_the_groups_it_created(db_session):
    """The ownership rule sits in the service, whatever the view checked (seed 003: full adds other users')."""
    import pytest

    from portal.models import POGroup
    from portal.services import po_groups
    from portal.services.errors import Forbidden

    lead, other = factories.user(db_session, role_name="Relationship Lead"), factories.user(db_session, role_name="Relationship Lead")
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session)
    mine = po_groups.save_group(db_session, debtor.id, None, actor=lead, description="Lead's", active=True)
    assert mine.created_by_id == lead.id
    with pytest.raises(Forbidden):
        po_groups.save_group(db_session, debtor.id, mine.id, actor=other, description="Other's now", active=False)
    with pytest.raises(Forbidden):
        po_groups.delete_group(db_session, mine.id, actor=other)
    db_session.expire_all()
    assert (db_session.get(POGroup, mine.id).description, db_session.get(POGroup, mine.id).active) == ("Lead's", True)
    po_groups.save_group(db_session, debtor.id, mine.id, actor=lead, description="Lead's", active=False)
    po_groups.save_group(db_session, debtor.id, mine.id, actor=admin, description="Billing's", active=True)
    assert (po_groups.can_modify(lead, mine), po_groups.can_modify(other, mine), po_groups.can_modify(admin, mine)) == (
        True, False, True)
    po_groups.delete_group(db_session, mine.id, actor=lead)
    assert db_session.get(POGroup, mine.id) is None
