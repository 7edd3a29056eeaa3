"""Customer purchase orders: list with balances, create, edit, delete (seeds 001, 003, 004)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ARRAY, Integer, and_, any_, cast, func, or_, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import budget
from portal.domain import purchase_orders as rules
from portal.domain.purchase_orders import LineInput, Period, POInput
from portal.models import (AlertTemplate, BillCodeGroup, Debtor, Document, DocumentLine, DocumentType,
                           LedgerEntry, POBalance, POEligibleType, POForecast, POGroup, POLine, POLineBalance, PurchaseOrder)
from portal.services import alerts, assignments, audit, contracts, coverage, forecasts, search
from portal.services import statement_constants as constant
from portal.services.locks import locked
from portal.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.services.paging import Page, paginate, window_edge
from portal.services.debtors import inactive_problem
from portal.services.references import delete_unreferenced

CONSTRAINT_FIELDS = {
    "ex_purchase_orders_group_overlap": ("group_id", "Another PO of this group overlaps these dates."),
    "uq_po_eligible_types_number_type": ("number", "This PO number is already used for one of these document types."),
    "fk_purchase_orders_group_same_debtor": ("group_id", "Choose a PO group of this debtor."),
    "ck_purchase_orders_dates_in_order": ("expiration", "The expiration date must be on or after the effective date."),
    "ck_purchase_orders_amount_positive": ("amount", "The amount must be more than zero."),
}


@dataclass(frozen=True)
class POFilter:
    debtor_id: int | None = None
    q: str = ""
    include_expired: bool = False
    sort: str = "expiration"
    group_id: int | None = None
    attention: bool = False  # yellow or red (seed 001), or expiring within ATTENTION_DAYS
    runs_out_within: int | None = None  # days: the stored forecast runs out by then (or has run out)


ATTENTION_DAYS = 30
RUNS_OUT_DAYS = 30  # the lists' "runs out within 30 days" filter


def _needs_attention(today: date):
    """SQL for budget.colour(...) is not None (Subtotal past the tolerance or the amount), a master line
    over its budget, or an expiration within ATTENTION_DAYS; tests hold it to the domain rule."""
    # on the balance row alone (its copy of the PO's figures, its count of lines over), so its partial
    # indexes answer it
    return or_(POBalance.budget_attention, POBalance.lines_over > 0,
               POBalance.expiration <= constant.day(today + timedelta(days=ATTENTION_DAYS)))


def can_modify(user, po: PurchaseOrder) -> bool:
    """add_edit may change and delete its own POs; full anyone's (seed 003)."""
    if user.can("purchase_orders", "full"):
        return True
    return user.can("purchase_orders", "add_edit") and po.created_by_id == user.id


SEARCH_WINDOW = 500  # the first POs in the list's order a search's page looks through first, per page
WINDOW_PAGES = 4  # past this page a search goes to its own indexes at once
RUNS_OUT_WINDOW = 50  # per page: the POs the list by "runs out first" reads in its order first (a page is 25)


def list_purchase_orders(session: Session, flt: POFilter, *, today: date, page: int = 1,
                         per_page: int = 25) -> Page[PurchaseOrder]:
    """POs with their balances in one query (plus one count), current and future by default; the
    master POs among them with their lines (one more query, only when the page lists one).

    A search listed by expiry or number looks through the first SEARCH_WINDOW POs a page in that order first
    (as a job search does: job_orders.list_jobs): "s", the first key of a debtor's PO numbers, then stops
    after a page of matches instead of sorting every PO it matches."""
    # a search's page, and one by "runs out first", found on the keys, then joined (for a page an index
    # walks, the join is as quick and the keys' pass one more step)
    key = PurchaseOrder.id if flt.q.strip() or flt.sort == "runs_out" else None
    listed = paginate(session, po_query(flt, today=today), page, per_page, key=key, rejoin=True,
                      window=_search_window(session, flt, today, page), kept=True)
    masters = [po for po in listed.items if po.is_master]
    if masters:
        lines: dict[int, list[POLine]] = {po.id: [] for po in masters}
        for line in session.scalars(select(POLine).where(POLine.po_id.in_(list(lines)))
                                    .order_by(POLine.po_id, POLine.line_no)):
            lines[line.po_id].append(line)
        for po in masters:
            set_committed_value(po, "lines", lines[po.id])
    return listed


def _search_window(session: Session, flt: POFilter, today: date, page: int):
    """A page among the first POs in the list's order (paginate's window), or None: a page past WINDOW_PAGES,
    a search in an order whose first key is not expiry or number (each has an index), or a list not
    searched in an order an index gives itself. The list by "runs out first" has a window searched or not."""
    if not 1 <= page <= WINDOW_PAGES:
        return None
    if flt.sort == "runs_out":
        return _runs_out_window(session, flt, today, RUNS_OUT_WINDOW * page)
    column = {"expiration": PurchaseOrder.expiration, "number": PurchaseOrder.number_key}.get(flt.sort)
    if not flt.q.strip() or column is None:
        return None
    depth = SEARCH_WINDOW * page
    current = not flt.include_expired and flt.sort == "expiration"  # by number: counted on the index alone
    return _window_to(flt, today, _edge(session, flt.sort, column, current, today, depth))


@lru_cache(maxsize=256)
def _window_to(flt: POFilter, today: date, edge):
    """Every PO of the search up to `edge` in the list's order (ties with it too): the list's first stretch (all of
    them when `edge` is None: fewer POs than the window's depth). Built once per worker for the same inputs."""
    window = po_query(flt, today=today, walk=True)
    if edge is None:
        return window
    column = {"expiration": PurchaseOrder.expiration, "number": PurchaseOrder.number_key}[flt.sort]
    return window.where(column <= (constant.day(edge) if flt.sort == "expiration" else constant.word(edge)))


def _edge(session: Session, name: str, column, current: bool, today: date, depth: int):
    """The value of `column` `depth` places into its order (current POs only when `current`), or None."""
    first = select(column).order_by(column).offset(constant.number(depth - 1)).limit(1)
    if current:
        first = first.where(PurchaseOrder.expiration >= constant.day(today))
    return window_edge(session, ("pos", name, current and today, depth), first)


def _runs_out_window(session: Session, flt: POFilter, today: date, depth: int):
    """The list by "runs out first" sorts the POs with a forecast date by it, then the rest by expiry: no
    index gives that order, so listed whole it joined and sorted every current PO (14 ms over 7,000). Its
    first stretch: the first `depth` POs by forecast date when there are that many (every other PO sorts
    after them); else every PO with a forecast date and the first `depth` by expiry (every PO left out has
    no forecast date and expires later). Either edge may be a little out of date (window_edge): the window
    is then a little longer or shorter, never out of order."""
    current = not flt.include_expired
    edges = _runs_out_edges(current, today, depth)
    runs_out = window_edge(session, ("pos", "runs_out", current and today, depth), edges[0])
    if runs_out is not None:
        return _runs_out_to(flt, today, runs_out, None)
    # the rest by (expiry, id), the list's order among them: a day many POs expire on is cut where it should be
    expiry = window_edge(session, ("pos", "expiration id", current and today, depth), edges[1], row=True)
    return _runs_out_to(flt, today, None, None if expiry is None else tuple(expiry))


@lru_cache(maxsize=64)
def _runs_out_edges(current: bool, today: date, depth: int):
    """The statements reading the edges of the list by "runs out first" (see _runs_out_window): the forecast
    date `depth` places in, and the (expiry, id) `depth` places in. Built once per worker for the same inputs."""
    dated = (select(POForecast.runs_out_on).where(POForecast.runs_out_on.is_not(None))
             .order_by(POForecast.runs_out_on).offset(constant.number(depth - 1)).limit(1))
    later = select(PurchaseOrder.expiration, PurchaseOrder.id).order_by(PurchaseOrder.expiration, PurchaseOrder.id)
    if current:
        dated = dated.join(PurchaseOrder, PurchaseOrder.id == POForecast.po_id).where(
            PurchaseOrder.expiration >= constant.day(today))
        later = later.where(PurchaseOrder.expiration >= constant.day(today))
    return dated, later.offset(constant.number(depth - 1)).limit(1)


@lru_cache(maxsize=256)
def _runs_out_to(flt: POFilter, today: date, runs_out: date | None, expiry: tuple | None):
    """The window of the list by "runs out first" up to a forecast date `runs_out`, else every PO with a forecast
    date and those up to (expiry, id) `expiry`, else (neither: fewer POs than the window's depth) all of them.
    Built once per worker for the same inputs."""
    window = po_query(flt, today=today, walk=True)

    def forecast(condition):
        # the forecasts' PO ids as one array (their index), then those POs by id (as runs_out_within does)
        ids = select(func.array_agg(POForecast.po_id)).where(condition).correlate(None)
        return PurchaseOrder.id == any_(cast(ids.scalar_subquery(), ARRAY(Integer)))

    if runs_out is not None:
        return window.where(forecast(POForecast.runs_out_on <= constant.day(runs_out)))
    if expiry is None:
        return window
    return window.where(or_(forecast(POForecast.runs_out_on.is_not(None)), tuple_(
        PurchaseOrder.expiration, PurchaseOrder.id) <= tuple_(constant.day(expiry[0]), constant.key(expiry[1]))))


@lru_cache(maxsize=256)
def po_query(flt: POFilter, *, today: date, walk: bool = False):
    """The POs a filter selects, with their balance rows, in the filter's order (page and export); a
    list row shows no eligible document types, so they are not read, nor lines (an export row has no
    use for them; a page reads the master POs' lines itself: their figures say what no line holds).
    `walk`: a search still sorted by the order's index (for a search window, see _search_window).
    Built once per worker for the same filter and day (a statement is never changed, only copied): building
    it and its cache key was a fifth of the start page's Python calls."""
    stmt = (select(PurchaseOrder)
            .outerjoin(PurchaseOrder.balance).options(contains_eager(PurchaseOrder.balance))
            .outerjoin(PurchaseOrder.forecast).options(contains_eager(PurchaseOrder.forecast))
            .options(lazyload(PurchaseOrder.eligible), lazyload(PurchaseOrder.lines)))
    if flt.debtor_id:
        stmt = stmt.where(PurchaseOrder.debtor_id == constant.key(flt.debtor_id))
    if flt.group_id:
        stmt = stmt.where(PurchaseOrder.group_id == flt.group_id)
    # on the balance rows (every PO has one; their expiration mirrors the PO's) where their indexes give
    # the list's order: the start page's attention list, and the list by remaining, which walks
    # ix_po_balances_remaining instead of joining and sorting every current PO (9 ms over 10,000)
    on_balances = flt.attention or flt.sort == "remaining"
    if flt.attention:
        stmt = stmt.where(_needs_attention(today))
    if on_balances:
        stmt = stmt.where(POBalance.po_id.is_not(None))  # the balance's join is then an inner one
    if not flt.include_expired:
        stmt = stmt.where((POBalance if on_balances else PurchaseOrder).expiration >= constant.day(today))
    if flt.runs_out_within is not None:
        # stored by posting and the nightly scan (portal/services/forecasts.py); an over PO's date is
        # the day it was found over, so it is within any horizon
        # the forecasts' few PO ids first (one array, by their index), then those POs by id: a join
        # here had the planner walk every PO in id order to meet them
        soon = select(func.array_agg(POForecast.po_id)).where(
            POForecast.runs_out_on <= constant.day(today + timedelta(days=flt.runs_out_within))).correlate(None)
        stmt = stmt.where(PurchaseOrder.id == any_(cast(soon.scalar_subquery(), ARRAY(Integer))))
    searching = bool(flt.q.strip())
    if searching:
        q = flt.q.strip()  # see portal/services/search.py for what matches
        # one OR: PostgreSQL ORs the number's and the words' index bitmaps and reads each match once
        stmt = stmt.where(search.po_matches(q))
    # a search sorts its matches rather than walk the sort's index testing every PO for them (see
    # job_orders.jobs_query): the first sort key as an expression no index delivers
    first = search.unindexed if searching and not walk else (lambda column: column)
    order = {
        "expiration": (first(PurchaseOrder.expiration), PurchaseOrder.number_key),
        "-expiration": (first(PurchaseOrder.expiration).desc(), PurchaseOrder.number_key),
        "number": (first(PurchaseOrder.number_key), PurchaseOrder.id),
        "remaining": (first(POBalance.remaining), POBalance.po_id),  # ix_po_balances_remaining
        "runs_out": (first(POForecast.runs_out_on).asc().nulls_last(), PurchaseOrder.expiration),
    }.get(flt.sort, (first(PurchaseOrder.expiration), PurchaseOrder.number_key))
    return stmt.order_by(*order, PurchaseOrder.id)


def get_po(session: Session, po_id: int, *, summary: bool = False) -> PurchaseOrder:
    """The purchase order by id; NotFound when there is none.

    Its lines and eligible document types are read when first used, not with it: the detail page shows
    each on one tab (the lines only for a master PO), so its other tabs read one or two statements fewer.
    `summary`: for the Summary tab, which shows its eligible types and alert template, they come joined in the
    same statement (two round trips fewer)."""
    loaded = ([joinedload(PurchaseOrder.eligible), joinedload(PurchaseOrder.alert_template)] if summary
              else [lazyload(PurchaseOrder.eligible)])
    po = session.get(PurchaseOrder, po_id, options=[lazyload(PurchaseOrder.lines), *loaded])
    if po is None:
        raise NotFound("No such purchase order.")
    return po


@dataclass(frozen=True)
class FormChoices:
    document_types: list[DocumentType]
    groups: list[POGroup]
    bill_code_groups: list[BillCodeGroup]
    alert_templates: list[AlertTemplate]


def form_choices(session: Session, debtor_id: int, po: PurchaseOrder | None = None) -> FormChoices:
    """What a PO form of this debtor may choose from: the active items, plus what the PO holds now (its group,
    eligible types, lines' bill code groups and alert template) though made inactive since, so an edit that
    leaves them alone keeps them (an inactive type dropped from the ticks widened a one-type PO to every type)."""
    def active_or_held(model, held):
        return or_(model.active.is_(True), model.id.in_(held)) if held else model.active.is_(True)

    held_types = [e.document_type_id for e in po.eligible] if po else []
    held_groups = [line.bill_code_group_id for line in po.lines] if po else []
    held_template = [po.alert_template_id] if po and po.alert_template_id else []
    groups = session.scalars(select(POGroup).where(
        POGroup.debtor_id == debtor_id, active_or_held(POGroup, [po.group_id] if po and po.group_id else []))
        .order_by(POGroup.description)).all()
    return FormChoices(
        document_types=list(session.scalars(select(DocumentType).where(active_or_held(DocumentType, held_types))
                                            .order_by(DocumentType.sort_order, DocumentType.name))),
        groups=list(groups),
        bill_code_groups=list(session.scalars(select(BillCodeGroup).where(active_or_held(BillCodeGroup, held_groups))
                                              .order_by(BillCodeGroup.name))),
        alert_templates=list(session.scalars(select(AlertTemplate).where(active_or_held(AlertTemplate, held_template))
                                             .order_by(AlertTemplate.name))),
    )


def _check_rules(session: Session, debtor_id: int, data: POInput, po: PurchaseOrder | None) -> dict[str, list[str]]:
    """Every problem with the PO form: one number per document type, and no overlap with its group's other POs."""
    choices = form_choices(session, debtor_id, po)
    type_ids = {t.id for t in session.scalars(select(DocumentType))}
    errors = rules.validate(data, known_type_ids=type_ids, known_group_ids={g.id for g in choices.bill_code_groups})
    if data.kind == "multi_line_master" and not choices.bill_code_groups and not (po and po.lines):
        errors.setdefault("kind", []).append(
            "Create a bill code group first (Maintenance → Bill code groups): master PO lines draw on them.")
    if data.group_id is not None and data.group_id not in {g.id for g in choices.groups}:
        errors.setdefault("group_id", []).append("Choose an active PO group of this debtor.")
    if data.alert_template_id is not None and data.alert_template_id not in {t.id for t in choices.alert_templates}:
        errors.setdefault("alert_template_id", []).append("Choose an alert template from the list.")
    if errors:
        return errors
    self_id = po.id if po else 0
    type_set = frozenset(data.document_type_ids or type_ids)
    same_number = [
        Period(p.id, p.number, p.effective, p.expiration, frozenset(e.document_type_id for e in p.eligible))
        for p in session.scalars(select(PurchaseOrder).where(
            PurchaseOrder.debtor_id == debtor_id, PurchaseOrder.number_key == data.number.strip().upper(),
            PurchaseOrder.id != self_id))
    ]
    names = {t.id: t.name for t in session.scalars(select(DocumentType))}
    if clashes := rules.number_clashes(type_set, same_number, names):
        errors["number"] = clashes
    narrowed = po is not None and not {e.document_type_id for e in po.eligible} <= type_set
    # the PO's documents counted only when a type is unticked (the big PO's lines are 250,000)
    if narrowed and (still_used := rules.types_still_used(type_set, _types_on(session, po.id), names)):
        errors["document_type_ids"] = still_used
    if data.group_id is not None:
        members = [Period(p.id, p.number, p.effective, p.expiration) for p in session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.group_id == data.group_id, PurchaseOrder.id != self_id))]
        if overlaps := rules.group_overlaps(data.effective, data.expiration, members):
            errors["group_id"] = overlaps
    return errors


def _types_on(session: Session, po_id: int) -> dict[int, int]:
    """How many draft or posted documents of each type have a line on the PO (credit memos, which skip
    eligibility, and void documents left out)."""
    return dict(session.execute(
        select(Document.document_type_id, func.count(func.distinct(Document.id)))
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(DocumentLine.po_id == po_id, Document.status.in_(("draft", "posted")),
               ~and_(DocumentType.bucket == "used", DocumentType.sign < 0))
        .group_by(Document.document_type_id)).all())


def _apply_form_to_po(session: Session, po: PurchaseOrder, data: POInput) -> None:
    """Copy the form onto the PO: a master PO's amount is its lines' total; no type ticked makes every type eligible.
    The change of eligible types goes into the PO's history entry, by name."""
    # read before any change: a query's autoflush would split the save into two history entries
    all_types = list(session.scalars(select(DocumentType).order_by(DocumentType.sort_order, DocumentType.name,
                                                                   DocumentType.id)))
    current = {e.document_type_id: e for e in po.eligible}
    po.number = data.number.strip()
    po.kind = data.kind
    po.description = data.description.strip()
    po.notes = data.notes.strip()
    po.effective, po.expiration = data.effective, data.expiration
    po.tolerance_pct = data.tolerance_pct
    po.group_id = data.group_id
    po.alert_template_id = data.alert_template_id
    po.amount = rules.master_amount(data.lines) if data.kind == "multi_line_master" else data.amount
    wanted = set(data.document_type_ids) or {t.id for t in all_types}
    if wanted != set(current):  # the child rows keep no history of their own: the PO's entry names them
        def names(ids: set[int]) -> list[str] | None:
            return [t.name for t in all_types if t.id in ids] or None

        audit.note(session, po, "eligible_document_types", names(set(current)), names(wanted))
    for type_id, row in current.items():
        if type_id not in wanted:
            po.eligible.remove(row)
    for type_id in sorted(wanted - set(current)):
        po.eligible.append(POEligibleType(document_type_id=type_id, debtor_id=po.debtor_id,
                                          number_key=po.number.upper()))
    for row in po.eligible:  # a new number: the child rows follow (the FK also cascades)
        row.number_key = po.number.upper()


def _apply_lines(session: Session, po: PurchaseOrder, lines: tuple[LineInput, ...], line_ids: tuple[int | None, ...]) -> None:
    """Save a master PO's lines in the form's order; a line with documents drawn on it cannot be removed."""
    existing = {line.id: line for line in po.lines}
    keep = {lid for lid in line_ids if lid in existing}
    drawn = _drawn_lines(session, list(existing))
    for lid, line in existing.items():
        if lid not in keep:
            if lid in drawn:
                raise ValidationFailed({"lines": [f"Line {line.line_no} has documents drawn on it and cannot be removed."]})
            po.lines.remove(line)
    for data, lid in zip(lines, line_ids):
        line = existing.get(lid) if lid in keep else None
        if line is not None and lid in drawn and line.bill_code_group_id != data.bill_code_group_id:
            raise ValidationFailed({"lines": [f"Line {line.line_no} has documents drawn on it: its bill code group "
                                              "cannot change (what they drew is counted by its bill codes)."]})
    session.flush()
    # lines take their places and groups as the form has them, in any order (two lines may swap): the two UNIQUE
    # constraints are checked at commit; a line that keeps its values is left alone, and out of the history
    session.execute(text("SET CONSTRAINTS uq_po_lines_po_line_no, uq_po_lines_po_group DEFERRED"))
    for n, (data, lid) in enumerate(zip(lines, line_ids), start=1):
        line = existing.get(lid) if lid in keep else None
        if line is None:
            line = POLine(balance=POLineBalance(po_id=po.id) if po.id else None)
            po.lines.append(line)
        audit.set_changed(line, line_no=n, budget=data.budget, bill_code_group_id=data.bill_code_group_id,
                          secondary_po_number=data.secondary_po_number.strip(),
                          description=data.description.strip())
    session.flush()
    for line in po.lines:
        if line.balance is None:
            line.balance = POLineBalance(po_id=po.id)
    session.flush()
    coverage.sync_po(session, po.id)


def _drawn_lines(session: Session, line_ids) -> set[int]:
    """Which of the master lines documents drew on (a line or ledger entry names it)."""
    if not line_ids:
        return set()
    return set(session.scalars(select(DocumentLine.po_line_id).where(DocumentLine.po_line_id.in_(line_ids)))) | \
        set(session.scalars(select(LedgerEntry.po_line_id).where(LedgerEntry.po_line_id.in_(line_ids)).distinct()))


def _integrity_message(exc: IntegrityError) -> dict[str, list[str]]:
    """The form message for the database constraint a save broke (e.g. a PO number in use)."""
    said = str(exc.orig)
    for name, (fld, message) in CONSTRAINT_FIELDS.items():
        if name in said:
            return {fld: [message]}
    return {"": ["The purchase order could not be saved because it conflicts with another record; reload and try again."]}


def create_po(session: Session, debtor_id: int, data: POInput, *, actor,
              line_ids: tuple[int | None, ...] = ()) -> PurchaseOrder:
    """A new PO with its balance row (zero), eligible types (default all) and, for a master, its lines."""
    audit.acting(session, actor)
    debtor = session.get(Debtor, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    errors = _check_rules(session, debtor_id, data, None)
    if problem := inactive_problem(debtor):
        errors.setdefault("debtor_id", []).append(problem)
    if errors:
        raise ValidationFailed(errors)
    po = PurchaseOrder(debtor_id=debtor_id, balance=POBalance())
    _apply_form_to_po(session, po, data)
    session.add(po)
    try:
        session.flush()
        if data.kind == "multi_line_master":
            _apply_lines(session, po, data.lines, line_ids or tuple(None for _ in data.lines))
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed(_integrity_message(exc))
    except ValidationFailed:
        session.rollback()
        raise
    return po


def snapshot(po: PurchaseOrder) -> POInput:
    """The PO's current values as a POInput (hooks compare before and after)."""
    return POInput(number=po.number, kind=po.kind, effective=po.effective, expiration=po.expiration,
                   amount=po.amount, description=po.description, notes=po.notes, tolerance_pct=po.tolerance_pct,
                   group_id=po.group_id, alert_template_id=po.alert_template_id,
                   document_type_ids=tuple(sorted(e.document_type_id for e in po.eligible)),
                   lines=tuple(LineInput(l.budget, l.bill_code_group_id, l.secondary_po_number, l.description)
                               for l in po.lines))


def update_po(session: Session, po_id: int, data: POInput, *, actor, expected_version: int | None = None,
              line_ids: tuple[int | None, ...] = (), confirmed: bool = False,
              notices: list[str] | None = None) -> PurchaseOrder:
    """Edit a PO: yours with add_edit, anyone's with full; the number only with po_override_validations.
    `notices`, when given, receives what seed 004's edit steps tell the user (step 2's note).

    The PO row is locked (FOR NO KEY UPDATE: see locks.locked) so two edits, or an edit and a posting,
    apply one after the other.
    """
    audit.acting(session, actor)
    po = locked(session, PurchaseOrder, po_id, key_share=True)
    if po is None:
        raise NotFound("No such purchase order.")
    if not can_modify(actor, po):
        raise Forbidden("You may change only purchase orders you created.")
    audit.check_version(po, expected_version)
    errors = _check_rules(session, po.debtor_id, data, po)
    if data.number.strip() != po.number and not actor.can("po_override_validations"):
        errors.setdefault("number", []).append("The PO number is locked once created (needs Override PO validations).")
    if data.kind != po.kind and (po.balance and (po.balance.used or po.balance.commitments or po.balance.estimates)):
        errors.setdefault("kind", []).append("The kind cannot change once documents draw on the PO.")
    _check_cut(session, po, data, line_ids, errors)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    before = snapshot(po)
    try:
        said = list(assignments.apply_po_edit_steps(session, po, before, data, actor, confirmed) or ())
        contracts.on_po_edit(session, po, before, data, actor, confirmed)  # seed 000: note, opportunity
        _apply_form_to_po(session, po, data)
        session.flush()
        if po.number != before.number:
            _renumber_lines(session, po)
        if data.kind == "multi_line_master":
            _apply_lines(session, po, data.lines, line_ids or tuple(None for _ in data.lines))
        elif po.lines:
            _apply_lines(session, po, (), ())
        _evaluate_alerts(session, po, before)
        if po.forecast is not None:  # the stored forecast follows a new amount or tolerance
            forecasts.refresh(session, [po.id], date.today())
        session.commit()
        if notices is not None:
            notices.extend(said)
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed(_integrity_message(exc))
    except (ValidationFailed, Conflict):
        session.rollback()
        raise
    return po


def _renumber_lines(session: Session, po: PurchaseOrder) -> None:
    """A line drawing on a PO carries its number (the spend by PO number report groups by it), so a renumbered
    PO's lines, posted ones too, carry the new number: the report's row follows the PO, as its pages do, instead
    of leaving its spend so far under a number no PO has. The spend triggers move the amounts between rows."""
    session.execute(update(DocumentLine).where(DocumentLine.po_id == po.id, DocumentLine.po_number.is_not(None),
                                              DocumentLine.po_number != po.number)
                    .values(po_number=po.number).execution_options(synchronize_session=False))


def _evaluate_alerts(session: Session, po: PurchaseOrder, before: POInput) -> None:
    """A new amount or alert template moves what the thresholds compare (Subtotal ≥ t% × Amount): fire
    those now crossed and re-arm those now fallen below, in the edit's transaction (DESIGN.md)."""
    if po.amount == before.amount and po.alert_template_id == before.alert_template_id:
        return
    session.flush()
    session.expire(po, ["alert_template"])  # the relationship does not follow a changed alert_template_id
    alerts.after_change(session, {po.id: po}, {po.id: budget.Balance.of(before.amount, po.balance)},
                        today=date.today())


def _check_cut(session: Session, po: PurchaseOrder, data: POInput, line_ids: tuple[int | None, ...],
               errors: dict[str, list[str]]) -> None:
    """Under block, the amount (and a master line's budget) may not be cut below Used + Commitments."""
    policy = session.scalar(select(Debtor.over_budget_policy).where(Debtor.id == po.debtor_id))
    new_amount = rules.master_amount(data.lines) if data.kind == "multi_line_master" else data.amount
    b = budget.Balance.of(po.amount, po.balance)
    if new_amount is not None and (message := rules.cut_below_drawn(po.amount, new_amount, b.used, b.commitments, policy)):
        errors.setdefault("lines" if data.kind == "multi_line_master" else "amount", []).append(message)
    if data.kind != "multi_line_master":
        return
    existing = {line.id: line for line in po.lines}
    for n, (line, lid) in enumerate(zip(data.lines, line_ids or ()), start=1):
        old = existing.get(lid)
        if old is None or line.budget is None:
            continue
        lb = budget.Balance.of(old.budget, old.balance)
        if message := rules.cut_below_drawn(old.budget, line.budget, lb.used, lb.commitments, policy):
            errors.setdefault("lines", []).append(f"Line {n}: {message}")


def delete_po(session: Session, po_id: int, *, actor) -> None:
    """Delete an unreferenced PO (no document line, ledger entry or job assignment; seed 004)."""
    def mine(po: PurchaseOrder) -> None:
        if not can_modify(actor, po):
            session.rollback()
            raise Forbidden("You may delete only purchase orders you created.")

    delete_unreferenced(session, PurchaseOrder, po_id, actor=actor, label=lambda po: f"PO {po.number}", guard=mine)


@dataclass(frozen=True)
class Figures(budget.Balance):
    """Seed 001's columns for a PO or master line, read from its balance row, with its colour."""

    colour: str | None = None
    tolerance_mark: Decimal | None = None  # where the budget bar turns yellow
    not_on_any_line: budget.Balance | None = None  # master POs: drawn by bill codes no line holds
    lines_over: int = 0  # master POs: lines whose Subtotal passes their budget (red on the Lines tab)


def _figures(amount: Decimal, row, tolerance_pct: Decimal | None) -> Figures:
    """A PO's figures as listed: the balance, its colour, the tolerance mark and its lines over budget."""
    b = budget.Balance.of(amount, row)
    return Figures(b.amount, b.used, b.commitments, b.estimates, budget.colour(b, tolerance_pct),
                   budget.tolerance_mark(b.amount, tolerance_pct), lines_over=getattr(row, "lines_over", 0) or 0)


def balance_figures(po: PurchaseOrder) -> Figures:
    """A PO's figures; a master PO's also say what is on none of its lines (PO = lines + that)."""
    f = _figures(po.amount, po.balance, po.tolerance_pct)
    if not po.is_master:
        return f
    unlined = budget.not_on_any_line(f, [budget.Balance.of(l.budget, l.balance) for l in po.lines])
    return replace(f, not_on_any_line=unlined)


def figures_of(amount: Decimal, sums, tolerance_pct: Decimal | None) -> Figures:
    """Figures of an amount and its drawn sums (anything with used, commitments, estimates; None: nothing)."""
    return _figures(amount, sums, tolerance_pct)


def row_figures(po: PurchaseOrder) -> Figures:
    """A PO's figures from its balance row alone (a list or export row: no master lines read)."""
    return _figures(po.amount, po.balance, po.tolerance_pct)


def line_figures(line: POLine) -> Figures:
    """A master line has no tolerance of its own: red when its Subtotal passes its budget."""
    return _figures(line.budget, line.balance, None)
