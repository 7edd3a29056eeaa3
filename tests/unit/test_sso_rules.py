"""Group mapping and usernames for single sign-on, without a database."""
from __future__ import annotations

import pytest

from portal.domain.sso import (Access, GroupRule, access_for, candidate_usernames, groups_from_claim,
                               username_from_claims)

RULES = [GroupRule("billing", role_id=1), GroupRule("North", branch_id=10), GroupRule("leads", role_id=2, branch_id=20)]


def test_groups_give_every_mapped_role_and_branch_without_case():
    assert access_for(["BILLING", "north", "other"], RULES) == Access(frozenset({1}), frozenset({10}))
    assert access_for(["leads", "billing"], RULES) == Access(frozenset({1, 2}), frozenset({20}))


def test_a_branch_alone_or_no_group_gives_no_access():
    assert not access_for(["north"], RULES).allowed
    assert not access_for([], RULES).allowed
    assert access_for(["billing"], RULES).allowed


@pytest.mark.parametrize("claim,groups", [
    (["a", "b"], ["a", "b"]), ("a, b c", ["a", "b", "c"]), (None, []), (42, []), (["a", 3, None, " "], ["a"]),
])
def test_the_groups_claim_is_read_leniently(claim, groups):
    assert groups_from_claim(claim) == groups


def test_username_prefers_preferred_username_then_email_then_subject():
    assert username_from_claims({"preferred_username": "ann", "email": "a@x", "sub": "1"}) == "ann"
    assert username_from_claims({"email": "a@x", "sub": "1"}) == "a@x"
    assert username_from_claims({"preferred_username": "\x00\n", "sub": "s-1"}) == "s-1"
    assert len(username_from_claims({"sub": "x" * 300})) == 80
    with pytest.raises(ValueError):
        username_from_claims({"sub": 5})


def test_candidate_usernames_stay_within_80_characters():
    names = list(candidate_usernames("y" * 80, limit=3))
    assert names[0] == "y" * 80 and names[1].endswith("-2") and all(len(n) <= 80 for n in names)
