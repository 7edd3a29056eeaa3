"""Text coming in and going out. Pure: no I/O.

In: control characters (NUL, ESC, DEL, C1 …) are refused everywhere; PostgreSQL refuses NUL and the
rest only hide text. Tab, CR and LF stay allowed (multi-line notes, pasted tables).
Out: every CSV export writes its cells through `csv_cell`, so a spreadsheet never runs a cell as a
formula (OWASP "CSV injection": text starting with = + - @ tab or CR gets a leading apostrophe).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTROL_MESSAGE = ("The text contains a control character (such as a NUL byte) that the portal does not "
                   "accept. Remove it and try again.")


# characters that print as nothing (zero-width spaces and joiners, soft hyphen, word joiner, bidi controls,
# byte order mark): allowed in free text (an emoji's joiner), refused in a number a user reads and types,
# where "SI-00001" with one inside is another number that looks the same
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
INVISIBLE_MESSAGE = ("The number holds a character that prints as nothing (such as a zero-width space, often "
                     "pasted from a document or an e-mail): type it again.")


def has_invisible_characters(value: str) -> bool:
    """True when `value` holds a character that prints as nothing (`_INVISIBLE`, or any other of Unicode's format
    characters, category Cf: tag characters, the Arabic letter mark …)."""
    return bool(_INVISIBLE.search(value)) or any(unicodedata.category(c) == "Cf" for c in value)


IDENTIFIER_INVISIBLE = ("It holds a character that prints as nothing (such as a zero-width space, often pasted from "
                        "a document or an e-mail): type it again.")
IDENTIFIER_CONTROL = "It holds a tab, a line break or another control character: type it on one line."
IDENTIFIER_LOOK_ALIKE = ("It holds a look-alike form of a character (such as a full-width letter or a ligature) "
                         "that reads as another name: type it with ordinary letters.")


def identifier_problem(value: str) -> str | None:
    """Why `value` cannot name what a person reads and picks from a list (a username, a role name, a branch or a bill
    code), or None: a character that prints as nothing (as refused in a document's number), any control character
    (tab and line breaks included: a name is one line), or a form Unicode's NFKC folds to another (a full-width
    letter, a ligature). Each makes a second name that reads as one already there."""
    if has_invisible_characters(value):
        return IDENTIFIER_INVISIBLE
    if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in value):
        return IDENTIFIER_CONTROL
    if unicodedata.normalize("NFKC", value) != value:
        return IDENTIFIER_LOOK_ALIKE
    return None


def has_control_characters(value: str) -> bool:
    """True when `value` holds a control character other than tab, CR and LF."""
    return bool(_CONTROL.search(value))


def first_control_line(value: str) -> int | None:
    """The 1-based line holding the first refused control character, or None."""
    match = _CONTROL.search(value)
    return None if match is None else value.count("\n", 0, match.start()) + 1


def csv_cell(value):
    """A cell as a CSV export writes it: numbers stay numbers, dates ISO, None blank, and text a
    spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, Decimal, float)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text

