"""PO groups per debtor (seed 004): a description and an active flag; members may not overlap."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.models import Debtor, POGroup, PurchaseOrder
from portal.services import audit
from portal.services.locks import locked
from portal.services.errors import Forbidden, NotFound, ValidationFailed
from portal.services.references import delete_unreferenced


def groups_of(session: Session, debtor_id: int | None, limit: int = 500) -> list[tuple[POGroup, int]]:
    """A debtor's groups (every debtor's, at most `limit`, when None) with how many POs each holds (one query)."""
    # each listed group's members counted on the group index, not every PO of every debtor grouped
    members = (select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.group_id == POGroup.id)
               .correlate(POGroup).scalar_subquery())
    stmt = select(POGroup, members).options(joinedload(POGroup.debtor))
    if debtor_id is not None:
        stmt = stmt.where(POGroup.debtor_id == debtor_id)
    rows = session.execute(stmt.order_by(POGroup.debtor_id, POGroup.description).limit(limit))
    return [(g, n) for g, n in rows]


def get_group(session: Session, group_id: int) -> POGroup:
    """The PO group by id; NotFound when there is none."""
    group = session.get(POGroup, group_id)
    if group is None:
        raise NotFound("No such PO group.")
    return group


def left_behind(session: Session, group_id: int | None, debtor_id: int | None) -> str | None:
    """Why a PO group chosen on a PO form cannot stay chosen once another debtor is chosen (a group is its
    debtor's, seed 004): the group and whose it is, and what to choose instead; None when it may stay (none
    chosen, or one of that debtor's)."""
    if not group_id:
        return None
    group = session.get(POGroup, group_id)
    if group is not None and group.debtor_id == debtor_id:
        return None
    debtor = session.get(Debtor, debtor_id) if debtor_id else None
    instead = f"choose a group of debtor {debtor.code}" if debtor else "choose the debtor, then one of its groups"
    if group is None:
        return f"The PO group chosen no longer exists; {instead}."
    return f"Group {group.description} was cleared: it belongs to debtor {group.debtor.code}; {instead}."


def can_modify(user, group: POGroup) -> bool:
    """add_edit may edit, deactivate and delete the PO groups it created; full anyone's (as for POs, seed 003)."""
    if user.can("purchase_orders", "full"):
        return True
    return user.can("purchase_orders", "add_edit") and group.created_by_id == user.id


def save_group(session: Session, debtor_id: int, group_id: int | None, *, actor, description: str,
               active: bool, expected_version: int | None = None) -> POGroup:
    """Create or edit a debtor's PO group; the description is unique within the debtor. An existing group
    only by whom `can_modify` allows (Forbidden otherwise)."""
    description = (description or "").strip()
    if not description:
        raise ValidationFailed({"description": ["Enter a description."]})
    if len(description) > 200:
        raise ValidationFailed({"description": ["Use at most 200 characters."]})
    audit.acting(session, actor)
    if session.get(Debtor, debtor_id) is None:
        raise NotFound("No such debtor.")
    if group_id is None:
        group = POGroup(debtor_id=debtor_id)
        session.add(group)
    else:
        group = locked(session, POGroup, group_id)
        if group is None or group.debtor_id != debtor_id:
            raise NotFound("No such PO group.")
        if not can_modify(actor, group):
            session.rollback()
            raise Forbidden("You may change only PO groups you created.")
        audit.check_version(group, expected_version)
    group.description, group.active = description, active
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"description": ["This debtor already has a group with that description."]})
    return group


def delete_group(session: Session, group_id: int, *, actor) -> None:
    """Delete a PO group, unless a PO or a job assignment still refers to it; yours with add_edit,
    anyone's with full (Forbidden otherwise)."""
    def mine(group: POGroup) -> None:
        if not can_modify(actor, group):
            session.rollback()
            raise Forbidden("You may delete only PO groups you created.")

    delete_unreferenced(session, POGroup, group_id, actor=actor, label=lambda g: f"Group {g.description}", guard=mine)
