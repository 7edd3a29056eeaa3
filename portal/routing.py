"""The portal's URL ids: <int:…> in every route (pages and API) reads a PostgreSQL INTEGER id."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: a larger id is no record's


def digits_up_to(limit: int) -> str:
    """A regular expression for the whole numbers 0..`limit` in decimal digits (leading zeros allowed):
    fewer digits than `limit`, or as many with a lower digit after a start they share, or `limit` itself."""
    text = str(limit)
    shorter = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    lower = [rf"{text[:i]}[0-{int(d) - 1}]\d{{{len(text) - i - 1}}}" for i, d in enumerate(text) if d != "0"]
    return "0*(?:" + "|".join(shorter + lower + [text]) + ")"


class IdConverter(IntegerConverter):
    """<int:…> stops at PostgreSQL's INTEGER, bounded by the pattern itself: a larger id matches no route, so it
    is a 404 whatever the method (checked only after matching, a POST with too large an id, on a path with a GET
    and a POST rule, answered 405), never a database error. `max` documents it in the API's OpenAPI document."""

    regex = digits_up_to(MAX_ID)

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
