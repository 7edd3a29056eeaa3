"""A worker keeps a signed-in user's grants and branches while the security stamp stands: every
statement writing roles, grants, branches or who holds them replaces the stamp in its transaction,
and a request that reads another stamp reads the grants again (portal/services/principals.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.models import User
from portal.models.security import security_stamp
from portal.services import principals
from tests import factories


def stamp_of(session):
    return session.execute(select(security_stamp.c.stamp)).scalar_one()


@pytest.fixture
def held(db_session):
    """A user with two roles and one branch, a role and a branch they do not hold."""
    north, south = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    alpha = factories.branch(db_session, "ALP")  # made last, listed first
    user = factories.user(db_session, role_name="Consultant", branches=[north, alpha])
    user.roles.append(factories.role(db_session, "Auditor"))
    db_session.commit()
    spare = factories.role(db_session, "Billing Clerk")
    return {"session": db_session, "user": user, "north": north, "south": south, "alpha": alpha, "spare": spare}


WRITES = {
    "a role added": "INSERT INTO roles (name, description) VALUES ('Temporary', '')",
    "a role renamed": "UPDATE roles SET description = 'changed' WHERE id = :spare",
    "a role deleted": "DELETE FROM roles WHERE id = :spare",
    "a grant added": "INSERT INTO role_grants (role_id, item, level) VALUES (:spare, 'settings', 'granted')",
    "a grant changed": "UPDATE role_grants SET level = 'full' WHERE role_id = :spare AND item = 'documents'",
    "a grant removed": "DELETE FROM role_grants WHERE role_id = :spare AND item = 'documents'",
    "a branch added": "INSERT INTO branches (code, name) VALUES ('EST', 'East')",
    "a branch renamed": "UPDATE branches SET code = 'NTH2' WHERE id = :north",
    "a branch deleted": "DELETE FROM branches WHERE id = :south",
    "a role given to a user": "INSERT INTO user_roles (user_id, role_id) VALUES (:user, :spare)",
    "a role taken from a user": "DELETE FROM user_roles WHERE user_id = :user",
    "a branch given to a user": "INSERT INTO user_branches (user_id, branch_id) VALUES (:user, :south)",
    "a branch taken from a user": "DELETE FROM user_branches WHERE user_id = :user",
    "every user's branches emptied": "TRUNCATE user_branches",
}


@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
def test_every_write_to_the_security_tables_replaces_the_stamp(held, sql):
    s = held["session"]
    before = stamp_of(s)
    s.execute(text(sql), {k: v for k, v in {"user": held["user"].id, "spare": held["spare"].id,
                                            "north": held["north"].id, "south": held["south"].id}.items()
                          if f":{k}" in sql})
    s.commit()
    assert stamp_of(s) != before


def test_other_writes_and_a_rolled_back_write_leave_the_stamp(held):
    s = held["session"]
    before = stamp_of(s)
    s.execute(text("UPDATE users SET full_name = 'Renamed', last_login_at = now() WHERE id = :u"), {"u": held["user"].id})
    factories.debtor(s, "OTHER")  # commits
    assert stamp_of(s) == before
    s.execute(text("DELETE FROM user_roles WHERE user_id = :u"), {"u": held["user"].id})
    s.rollback()
    assert stamp_of(s) == before


def test_a_kept_principal_is_used_while_the_stamp_stands_and_read_again_when_it_changes(held, count_queries):
    s, user = held["session"], held["user"]
    principals.forget()
    stamp, _ = stamp_of(s), user.id  # the user's row loaded first: only the principal's reads are counted
    with count_queries() as first:
        principals.attach(s, user, stamp)
    assert len(first) == 2  # the grants with the role names, the branches
    assert user.principal.role_names == ("Auditor", "Consultant")
    assert user.principal.branch_codes == ("ALP", "NTH")  # by code, as the start page lists them
    assert user.principal.branch_ids == {held["north"].id, held["alpha"].id}
    # DESIGN.md: a Consultant adds and edits job orders, an Auditor views them: the higher counts
    assert user.can("job_orders", "add_edit") and not user.can("job_orders", "full")
    assert user.can("maintenance", "view") and not user.can("maintenance", "add_edit") and not user.can("security")

    read_first = user.principal
    again = s.get(User, user.id)  # the next request's user (the same row; its principal not yet set)
    again.principal = None
    with count_queries() as second:
        principals.attach(s, again, stamp)
    assert second == [] and again.principal is read_first

    s.execute(text("DELETE FROM user_roles WHERE user_id = :u AND role_id = (SELECT id FROM roles WHERE name = 'Consultant')"),
              {"u": user.id})
    s.commit()
    renewed, _ = stamp_of(s), again.id
    with count_queries() as third:
        principals.attach(s, again, renewed)
    assert len(third) == 2 and again.principal.role_names == ("Auditor",)
    assert again.can("job_orders", "view") and not again.can("job_orders", "add_edit")
    with count_queries() as fourth:  # kept under the new stamp only: the old one reads again
        principals.attach(s, again, stamp)
    assert len(fourth) == 2


def test_without_a_stamp_the_grants_are_read_every_time_and_never_kept(held, count_queries):
    s, user = held["session"], held["user"]
    principals.forget()
    assert user.id
    for _ in range(2):
        with count_queries() as statements:
            principals.attach(s, user, None)
        assert len(statements) == 2
    assert principals._kept == {}


def test_past_its_size_the_worker_starts_again(held, monkeypatch):
    s, user = held["session"], held["user"]
    other = factories.user(s, role_name="Auditor")
    principals.forget()
    monkeypatch.setattr(principals, "MAX_USERS", 1)
    stamp = stamp_of(s)
    principals.attach(s, user, stamp)
    principals.attach(s, other, stamp)
    assert set(principals._kept) == {other.id}


def test_a_user_without_a_principal_reads_the_same_answers_from_their_roles(held):
    s, user = held["session"], held["user"]
    principals.attach(s, user, stamp_of(s))
    kept = user.principal
    user.principal = None
    assert (user.role_names, user.branch_codes, user.branch_ids) == (kept.role_names, kept.branch_codes, kept.branch_ids)
    from portal.authz import CATALOGUE

    assert {item: user.grant_of(item) for item in CATALOGUE} == {item: kept.grants.get(item) for item in CATALOGUE}
