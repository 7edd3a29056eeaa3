"""Search that indexes can answer without contrib extensions (no pg_trgm, so no substring search).

Numbers (PO numbers, job and document numbers, typed PO references) match by their start, ignoring
case, on btree indexes of the upper-cased column (varchar_pattern_ops). Titles and descriptions
match word by word: every typed word must start a word of the text ("fork driv" finds "Forklift
driver 12"), on a GIN index of the text's `simple` tsvector (built-in full-text search).

What is typed goes into the statement as a quoted constant (`literal_execute`), not a parameter: a
connection keeps one plan for any parameter once it has run a statement a few times (portal/config.py),
and a kept plan for `upper(number) LIKE $1` cannot know the pattern is a prefix, so it cannot use the
index (a PO number search was 14.5 ms instead of 1). SQLAlchemy quotes the constant for PostgreSQL.
"""
from __future__ import annotations

import re

from sqlalchemy import String, func, literal_column, or_

from portal.models import JobOrder, PurchaseOrder
from portal.services import statement_constants as constant

WORD = re.compile(r"[^\W_]+", re.UNICODE)
SIMPLE = literal_column("'simple'::regconfig")  # a constant, so the planner matches the index expression


def prefix_pattern(text: str) -> str:
    """A LIKE pattern for values starting with `text` (upper-cased), its own % and _ taken literally."""
    escaped = text.strip().upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def typed(value: str):
    """What the user typed, as a constant the planner sees (see above)."""
    return constant.word(value)


def starts_with(column, text: str):
    """upper(column) LIKE 'TEXT%': answered by an index on upper(column) varchar_pattern_ops."""
    return func.upper(column).like(typed(prefix_pattern(text)))


def words_query(text: str) -> str | None:
    """A tsquery where each typed word is a prefix ('fork':* & 'driv':*); None when no word is typed."""
    words = WORD.findall(text.lower())[:8]
    return " & ".join(f"'{w}':*" for w in words) or None


def words_match(words_column, text: str):
    """Every typed word starts a word of the text whose `simple` tsvector is `words_column` (a stored
    generated column with a GIN index)."""
    query = words_query(text)
    if query is None:
        return literal_column("false")
    return words_column.op("@@")(func.to_tsquery(SIMPLE, typed(query)))


def unindexed(column):
    """The column as an expression that sorts as it does (`text || ''`, `date + 0`, `number + 0`), but
    that no index on the column can deliver in order, so the planner answers a search from the search's
    own indexes and sorts the matches (see job_orders.jobs_query)."""
    if isinstance(column.type, String):
        return column.op("||")(literal_column("''"))
    return column + literal_column("0")


def po_matches(text: str, number_text: str | None = None):
    """A PO search box: the PO's number starts with `number_text` (all of `text` unless given: a picker's
    box matches a number by its first word) or every word of `text` starts a word of its description. One
    OR, so PostgreSQL ORs the two indexes' bitmaps and reads each match once."""
    number = text if number_text is None else number_text
    return or_(PurchaseOrder.number_key.like(typed(prefix_pattern(number))),
               words_match(PurchaseOrder.description_words, text))


def job_matches(text: str, number_text: str | None = None):
    """A job search box: the job's number starts with `number_text` (all of `text` unless given) or every
    word of `text` starts a word of its title."""
    number = text if number_text is None else number_text
    return or_(starts_with(JobOrder.number, number), words_match(JobOrder.title_words, text))
