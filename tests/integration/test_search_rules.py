"""What search matches, at the statement level: number prefixes taken literally, title words as prefixes
in the `simple` configuration (no stemming, no stop words), at most eight words."""
from __future__ import annotations

from sqlalchemy import select, update

from portal.models import JobOrder
from portal.services import search
from tests import factories


def _found(session, column, typed: str) -> list[str]:
    return sorted(session.scalars(select(JobOrder.title).where(column(typed))))


def test_a_typed_backslash_percent_or_underscore_is_itself(db_session):
    debtor = factories.debtor(db_session)
    for number, title in ((r"A%\1", "odd"), ("AB1", "plain"), ("A%X1", "other")):
        job = factories.job(db_session, debtor, title=title)
        db_session.execute(update(JobOrder).where(JobOrder.id == job.id).values(number=number))
    by_number = lambda typed: search.starts_with(JobOrder.number, typed)  # noqa: E731
    assert _found(db_session, by_number, "a%\\") == ["odd"]
    assert _found(db_session, by_number, "a%") == ["odd", "other"]
    assert _found(db_session, by_number, "A_") == [] and _found(db_session, by_number, "a") == ["odd", "other", "plain"]


def test_title_words_match_as_typed_prefixes_without_stemming_or_stop_words(db_session):
    debtor = factories.debtor(db_session)
    for title in ("Over the hill", "Runner", "Forklift driver 12"):
        factories.job(db_session, debtor, title=title)
    by_words = lambda typed: search.words_match(JobOrder.title_words, typed)  # noqa: E731
    assert _found(db_session, by_words, "the") == ["Over the hill"]  # a stop word in English
    assert _found(db_session, by_words, "running") == []  # English would stem it to 'run'
    assert _found(db_session, by_words, "FORK driv") == ["Forklift driver 12"]
    assert _found(db_session, by_words, "'; --") == []


def test_only_the_first_eight_typed_words_count():
    assert search.words_query("a b c d e f g h zzz") == " & ".join(f"'{w}':*" for w in "abcdefgh")
    assert search.words_query("!!! ") is None
