"""Names a person reads and picks from a list (usernames, role names, branch and bill codes): one rule,
`text.identifier_problem`, refuses the characters that make a second name read as one already there, and the
words the audit history uses for "no user" are nobody's username (also from single sign-on)."""
from __future__ import annotations

import pytest

from portal.domain import text, usernames
from portal.domain.sso import candidate_usernames, username_from_claims


@pytest.mark.parametrize("value, message", [
    ("admin\u200b", text.IDENTIFIER_INVISIBLE), ("\ufeffNTH", text.IDENTIFIER_INVISIBLE),
    ("Admin\u2060istrator", text.IDENTIFIER_INVISIBLE), ("ORD\U000e0041", text.IDENTIFIER_INVISIBLE),
    ("ad\tmin", text.IDENTIFIER_CONTROL), ("ad\nmin", text.IDENTIFIER_CONTROL), ("O\rRD", text.IDENTIFIER_CONTROL),
    ("ad\u2028min", text.IDENTIFIER_CONTROL), ("ad\x85min", text.IDENTIFIER_CONTROL),
    ("ｓｔｅｖｅ", text.IDENTIFIER_LOOK_ALIKE), ("ＮＴＨ", text.IDENTIFIER_LOOK_ALIKE),
    ("of\ufb01ce", text.IDENTIFIER_LOOK_ALIKE), ("ad\u00a0min", text.IDENTIFIER_LOOK_ALIKE),
    ("Administrator", None), ("Billing Clerk", None), ("anne.o'neil@example.com", None), ("José", None),
    ("ORD-2", None), ("Zoë", None)])
def test_an_identifier_holding_an_invisible_control_or_look_alike_character_is_refused(value, message):
    assert text.identifier_problem(value) == message


def test_a_number_holding_any_format_character_prints_as_something_else():
    """Document numbers share the rule's first part: an Arabic letter mark or a tag character prints as nothing."""
    assert text.has_invisible_characters("SI-00001\u061c") and text.has_invisible_characters("SI\U000e0031")
    assert not text.has_invisible_characters("SI-00001")


@pytest.mark.parametrize("name", ["system", "System", " SYSTEM ", "-", " - ", "\tsystem\n"])
def test_the_audit_historys_words_for_no_user_are_nobodys_username(name):
    assert usernames.is_reserved(name)
    assert usernames.username_problem(name) == usernames.RESERVED_MESSAGE.format(name=name.strip())


@pytest.mark.parametrize("name, problem", [
    ("systems", None), ("system.admin", None), ("--", None), ("ann", None), ("", "Enter a username."),
    ("  ", "Enter a username."), ("u" * 80, None), ("u" * 81, "Use at most 80 characters."),
    ("admin\u200b", text.IDENTIFIER_INVISIBLE), ("ｓｔｅｖｅ", text.IDENTIFIER_LOOK_ALIKE)])
def test_a_username_is_refused_only_for_a_reason(name, problem):
    assert usernames.username_problem(name) == problem


def test_single_sign_on_folds_look_alikes_and_drops_what_prints_as_nothing():
    assert username_from_claims({"preferred_username": "ｓｔｅｖｅ"}) == "steve"
    assert username_from_claims({"preferred_username": "ad\u200bmin\u202e"}) == "admin"
    assert username_from_claims({"preferred_username": "\u200b", "email": "a@x"}) == "a@x"


@pytest.mark.parametrize("base, first", [("system", "system-2"), ("SYSTEM", "SYSTEM-2"), ("-", "--2"),
                                         ("alice", "alice")])
def test_single_sign_on_never_gives_a_reserved_username(base, first):
    names = list(candidate_usernames(base, limit=3))
    assert names[0] == first and not any(usernames.is_reserved(n) for n in names)
