"""Debtors: list, create, edit, delete when nothing refers to them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import Debtor
from portal.models.debtors import list_stamps
from portal.services import audit
from portal.services.locks import locked
from portal.services.errors import NotFound, ValidationFailed
from portal.services.paging import Page, paginate
from portal.services.references import delete_unreferenced


@dataclass(frozen=True)
class DebtorInput:
    code: str
    name: str
    enforce_purchase_orders: bool = False
    over_budget_policy: str = "warn"
    active: bool = True
    notes: str = ""


@dataclass(frozen=True)
class DebtorOption:
    """A debtor as a picker or a filter lists it: read as plain values, not as a tracked row (every list
    page offers every debtor; 200 tracked rows cost a page 4-5 ms)."""

    id: int
    code: str
    name: str
    active: bool = True

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"  # as Debtor's


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_debtors(session: Session, *, q: str = "", active_only: bool = False, page: int = 1,
                 per_page: int = 25) -> Page[Debtor]:
    """One page of debtors matching the search (code or name), optionally active ones only."""
    return paginate(session, debtors_query(q=q, active_only=active_only), page, per_page)


def debtors_query(*, q: str = "", active_only: bool = False):
    """The debtors a list (or its export) shows, by code."""
    stmt = select(Debtor)
    if q.strip():
        pattern = like_pattern(q.strip())
        stmt = stmt.where(or_(Debtor.code.ilike(pattern), Debtor.name.ilike(pattern)))
    if active_only:
        stmt = stmt.where(Debtor.active.is_(True))
    return stmt.order_by(func.upper(Debtor.code), Debtor.id)


# session.info key: the debtors' list stamp, read with the signed-in user's session row (sessions.resolve)
LIST_STAMP = "debtors_list_stamp"
# the worker's list, its active debtors, and the stamp they were read under
_kept: tuple[object, tuple[DebtorOption, ...], tuple[DebtorOption, ...]] = (None, (), ())


def list_stamp_column():
    """The debtors' list stamp as a scalar subquery, to be read with the signed-in user's row."""
    return select(list_stamps.c.stamp).where(list_stamps.c.name == "debtors").scalar_subquery()


def all_debtors(session: Session, *, active_only: bool = False) -> tuple[DebtorOption, ...]:
    """Every debtor (only the active ones when asked) by code, for a picker or a filter.

    Both lists come from the worker's copy while the list stamp the request read with its session row is
    the one the copy was read under: every statement that writes debtors (a debtor made inactive too)
    replaces the stamp (a trigger), and a request that saves a debtor forgets the stamp it read. Without
    a stamp (no signed-in session) it is read every time. Reading it was 0.7 ms of every list page."""
    global _kept
    stamp = session.info.get(LIST_STAMP)
    kept_under, options, active = _kept
    if stamp is None or kept_under != stamp:
        options = tuple(DebtorOption(*row) for row in session.execute(
            select(Debtor.id, Debtor.code, Debtor.name, Debtor.active).order_by(Debtor.code)))
        active = tuple(d for d in options if d.active)
        if stamp is not None:
            _kept = (stamp, options, active)
    return active if active_only else options


def find_debtor(session: Session, debtor_id: int | None) -> Debtor | None:
    """The debtor by id; None when no id is given or there is no such debtor."""
    return session.get(Debtor, debtor_id) if debtor_id else None


def find_debtor_option(session: Session, debtor_id: int | None) -> DebtorOption | None:
    """The debtor by id as a list shows it (id, code, name), from the worker's copy of the list (see
    all_debtors): a page that shows no more of the debtor than that needs no statement for it."""
    return next((d for d in all_debtors(session) if d.id == debtor_id), None) if debtor_id else None


def get_debtor(session: Session, debtor_id: int) -> Debtor:
    """The debtor by id; NotFound when there is none."""
    debtor = session.get(Debtor, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    return debtor


def _validate(data: DebtorInput) -> None:
    """A debtor needs a code (20 characters at most), a name (200) and a warn or block policy; notes up to 10,000."""
    errors: dict[str, list[str]] = {}
    if not data.code.strip():
        errors["code"] = ["Enter a code."]
    elif len(data.code.strip()) > 20:
        errors["code"] = ["Use at most 20 characters."]
    if not data.name.strip():
        errors["name"] = ["Enter a name."]
    elif len(data.name.strip()) > 200:
        errors["name"] = ["Use at most 200 characters."]
    if data.over_budget_policy not in ("warn", "block"):
        errors["over_budget_policy"] = ["Choose warn or block."]
    if len(data.notes) > 10_000:
        errors["notes"] = ["Use at most 10,000 characters."]
    if errors:
        raise ValidationFailed(errors)


def _save(session: Session, debtor: Debtor, data: DebtorInput) -> Debtor:
    """Save the debtor with its code upper case; a code another debtor has is refused."""
    debtor.code = data.code.strip().upper()
    debtor.name = data.name.strip()
    debtor.enforce_purchase_orders = data.enforce_purchase_orders
    debtor.over_budget_policy = data.over_budget_policy
    debtor.active = data.active
    debtor.notes = data.notes.strip()
    session.info.pop(LIST_STAMP, None)  # the rest of this request reads the list afresh
    session.add(debtor)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"code": [f"A debtor with code {data.code.strip().upper()} exists."]})
    return debtor


def create_debtor(session: Session, data: DebtorInput, *, actor) -> Debtor:
    """A new debtor; its code is unique whatever its case."""
    _validate(data)
    audit.acting(session, actor)
    return _save(session, Debtor(), data)


def update_debtor(session: Session, debtor_id: int, data: DebtorInput, *, actor,
                  expected_version: int | None = None) -> Debtor:
    """Edit a debtor; a form opened before someone else's change is refused."""
    _validate(data)
    audit.acting(session, actor)
    debtor = locked(session, Debtor, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    audit.check_version(debtor, expected_version)
    return _save(session, debtor, data)


def inactive_problem(debtor: Debtor | None, kept_id: int | None = None) -> str | None:
    """Why `debtor` takes no new job order, PO, document or service desk item (None: it may): it was made
    inactive, so the pickers leave it out and a form posted with it anyway is refused. A record that already
    has it (`kept_id`) keeps it through an edit."""
    if debtor is None or debtor.active or debtor.id == kept_id:
        return None
    return f"{debtor.code} is inactive: it takes no new work (make it active again on its page first)."


def delete_debtor(session: Session, debtor_id: int, *, actor) -> None:
    """Delete a debtor nothing refers to (POs, groups, jobs, documents, contracts, service desk items: the
    references registry counts them and names them in the refusal)."""
    session.info.pop(LIST_STAMP, None)
    delete_unreferenced(session, Debtor, debtor_id, actor=actor, label=lambda d: d.code)
