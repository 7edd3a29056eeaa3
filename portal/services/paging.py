"""Paging for list pages: one query (the page, with its count) whatever the data size.

The count stops a few pages past the one shown (COUNT_AHEAD pages), so a list of 100,000 rows
costs what a list of a few hundred does; the pager then says "more than N".
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generic, Sequence, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from portal.services import statement_constants as constant

T = TypeVar("T")
COUNT_AHEAD = 10  # pages counted past the current one


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int
    more: bool = False  # the count stopped early: there are more than `total`

    @property
    def pages(self) -> int:
        """How many pages the rows fill (at least one, even with no rows)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page < self.pages

    @property
    def has_unlisted(self) -> bool:
        """More rows match than this page lists: a link to the whole list is worth showing."""
        return self.total > len(self.items)


WINDOW_EDGE_SECONDS = 60  # how long a worker keeps a window's edge (window_edge)

_edges: dict[tuple, tuple[float, object]] = {}


def window_edge(session: Session, key: tuple, edge: Select, *, row: bool = False):
    """Where a list's window ends: `edge` reads it (one value; with `row`, its first row or None), kept per
    worker for WINDOW_EDGE_SECONDS under `key`. Any edge makes a window that starts the list (see paginate),
    so one a little out of date only makes the window a little longer or shorter; written into the statement
    as a value, it shows the planner how short a stretch of the index the window is (as a subquery it did
    not: the window's count then scanned the whole table)."""
    now = time.monotonic()
    kept = _edges.get(key)
    if kept is None or now - kept[0] > WINDOW_EDGE_SECONDS:
        if len(_edges) >= 1_000:
            _edges.clear()
        kept = _edges[key] = (now, session.execute(edge).first() if row else session.scalar(edge))
    return kept[1]


def paginate(session: Session, stmt: Select, page: int, per_page: int, *, scalars: bool = True,
             count_ahead: int = COUNT_AHEAD, key=None, window: Select | None = None, kept: bool = False,
             rejoin: bool = False) -> Page:
    """Run `stmt` for one page; `page` is clamped to 1.. so a wild page number is never an error.
    Rows are counted only up to `count_ahead` pages past this one.

    With `key` (the listed entity's primary key column) the page is found first on the key and the sort
    columns alone, then only its rows are read with what they join (a deferred join): for a list whose
    order no index gives (a search's matches), the joins are then made for a page, not every match.
    `rejoin`: the page's rows (and the window's) are read through `stmt` itself, its joins and loader options
    kept (a PO's balance row, loaded by contains_eager from the list's own join), rather than by key alone.

    With `window`, tried first: `stmt`'s rows in `stmt`'s order, but only those in the first stretch of
    an index that gives that order (a job search among the first jobs by number, walking its index). A page it
    fills is `stmt`'s page: every row past the stretch sorts after every row in it. One it leaves short
    (a rare word) is read from `stmt` as before. A search matching many rows ("j", "weld") then stops
    after a page of them instead of sorting them all (25 ms of SQL to 0.4 ms for "j" over 50,000 jobs).

    `kept`: the caller builds `stmt` and `window` once per worker for the same inputs (purchase_orders.po_query
    is kept by functools.lru_cache), so the page's statements made from them are kept too (see _statements)."""
    page = max(1, min(page, 1_000_000))
    built = _statements(stmt, window, page, per_page, count_ahead, key, kept, rejoin)
    cap = (page + count_ahead) * per_page
    if built.windowed is not None:
        rows = session.execute(built.windowed).all()
        if len(rows) == per_page:
            return _page(rows, page, per_page, cap, scalars)
    rows = session.execute(built.paged).all()
    if not rows and page > 1:
        counted = session.scalar(built.count) or 0
        return Page(items=[], total=min(counted, cap), page=page, per_page=per_page, more=counted > cap)
    return _page(rows, page, per_page, cap, scalars)


@dataclass(frozen=True)
class _Built:
    count: Select  # the rows counted up to the cap
    paged: Select  # the page, each row carrying the count
    windowed: Select | None  # the page from the window, each row carrying the count, or None


STATEMENTS_KEPT = 512  # per worker: the page statements of the lists whose statements are built once
_kept: dict[tuple, tuple[Select, Select | None, _Built]] = {}


def _statements(stmt: Select, window: Select | None, page: int, per_page: int, count_ahead: int, key,
                kept: bool, rejoin: bool = False) -> _Built:
    """The page's statements, made from `stmt` (and `window`). With `kept` they are kept per worker under the
    very objects they were made from: made again, with their cache keys (a fifth of the start page's calls),
    only for a list, page or window not seen lately. The key holds the objects' ids, and the entry the objects
    themselves, so no id is reused while its entry is kept."""
    if not kept:
        return _build(stmt, window, page, per_page, count_ahead, key, rejoin)
    ident = (id(stmt), id(window), page, per_page, count_ahead, id(key), rejoin)
    entry = _kept.get(ident)
    if entry is None or entry[0] is not stmt or entry[1] is not window:
        if len(_kept) >= STATEMENTS_KEPT:
            _kept.clear()
        entry = _kept[ident] = (stmt, window, _build(stmt, window, page, per_page, count_ahead, key, rejoin))
    return entry[2]


def _build(stmt: Select, window: Select | None, page: int, per_page: int, count_ahead: int, key,
           rejoin: bool = False) -> _Built:
    """The statements of one page of `stmt` (see paginate)."""
    cap = (page + count_ahead) * per_page
    # counted without the list's order: any cap+1 rows count the same, and a search whose matches come
    # from several indexes then stops at the cap instead of sorting them all first ("weld": 5,000 jobs,
    # 15-21 ms to 6 ms); an index that pages the list still stops the count as early
    count = select(func.count()).select_from(stmt.order_by(None).limit(constant.number(cap + 1)).subquery())
    offset = constant.number((page - 1) * per_page)
    windowed = None
    if window is not None:
        # counted in the window too, in its order (its stretch of the index walked): past the cap there, the
        # list is past it as well (a dense prefix such as "j9" spent 20 ms counting its matches through the
        # search's indexes); the whole list is counted only when the window holds fewer
        in_window = select(func.count()).select_from(window.limit(constant.number(cap + 1)).subquery())
        counted = case((in_window.scalar_subquery() > constant.number(cap), constant.number(cap + 1)),
                       else_=count.scalar_subquery())
        windowed = window.limit(constant.number(per_page)).offset(offset)
        if key is not None and rejoin:
            windowed = window.where(key.in_(windowed.with_only_columns(key)))  # as `paged` below
        windowed = windowed.add_columns(counted.label("listed_total"))
    paged = stmt.limit(constant.number(per_page)).offset(offset)
    if key is not None and rejoin:
        # the list's own statement (its joins, order and loader options), passing the page's keys alone: a
        # join it names (a PO's balance row) is then made for the page's rows, not hashed from every row
        paged = stmt.where(key.in_(paged.with_only_columns(key)))
    elif key is not None:
        # the list's own order and loader options (Select has no public getter for either); its filters are
        # not tested again (a document search's 875 carrying documents were read again for the page's 25)
        paged = (select(stmt.column_descriptions[0]["entity"]).where(key.in_(paged.with_only_columns(key)))
                 .order_by(*stmt._order_by_clauses).options(*stmt._with_options))
    # the page size, offset and cap are written into the statement (portal/services/statement_constants.py);
    # the count rides on the page's own statement (run once, as an uncorrelated subquery): one round
    # trip for the list; only a page past the last row asks for it on its own
    return _Built(count=count, windowed=windowed,
                  paged=paged.add_columns(count.correlate(None).scalar_subquery().label("listed_total")))


def _page(rows, page: int, per_page: int, cap: int, scalars: bool) -> Page:
    """The page of `rows`, each carrying the capped count in its last column."""
    counted = rows[0][-1] if rows else 0
    items = [row[0] for row in rows] if scalars else [tuple(row)[:-1] for row in rows]
    return Page(items=items, total=min(counted, cap), page=page, per_page=per_page, more=counted > cap)
