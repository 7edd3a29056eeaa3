"""Debtors and their PO groups (read)."""
from __future__ import annotations

from sqlalchemy import select

from portal.api.base import errors, new_blueprint
from portal.api.schemas import DebtorQuery, DebtorSchema, GroupQuery, POGroupSchema, page_body, page_of
from portal.authz import requires
from portal.extensions import db
from portal.models import POGroup, PurchaseOrder
from portal.services import debtors as service, po_groups
from portal.services.paging import paginate

blp = new_blueprint("api_debtors", "", "Debtors and PO groups", "Debtors (clients) and their PO groups.")


@blp.get("/debtors")
@requires("debtors", "view")
@errors(blp)
@blp.arguments(DebtorQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(DebtorSchema))
def list_debtors(q: str, active_only: bool, page: int, per_page: int):
    """Debtors by code; `q` matches the start of the code or name."""
    result = service.list_debtors(db.session, q=q, active_only=active_only, page=page, per_page=per_page)
    return page_body(result, result.items)


@blp.get("/debtors/<int:debtor_id>")
@requires("debtors", "view")
@errors(blp, 404)
@blp.response(200, DebtorSchema)
def get_debtor(debtor_id: int):
    return service.get_debtor(db.session, debtor_id)


def _group_body(group: POGroup, po_ids: list[int]) -> dict:
    return {"id": group.id, "debtor_id": group.debtor_id, "description": group.description, "active": group.active,
            "po_ids": po_ids}


def _members(group_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in group_ids}
    if group_ids:
        for po_id, group_id in db.session.execute(select(PurchaseOrder.id, PurchaseOrder.group_id).where(
                PurchaseOrder.group_id.in_(group_ids)).order_by(PurchaseOrder.effective, PurchaseOrder.id)):
            out[group_id].append(po_id)
    return out


@blp.get("/po-groups")
@requires("purchase_orders", "view")
@errors(blp)
@blp.arguments(GroupQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(POGroupSchema))
def list_groups(page: int, per_page: int, debtor_id: int | None = None):
    """PO groups (seed 004), with the POs each holds in date order."""
    stmt = select(POGroup)
    if debtor_id:
        stmt = stmt.where(POGroup.debtor_id == debtor_id)
    result = paginate(db.session, stmt.order_by(POGroup.debtor_id, POGroup.description, POGroup.id), page, per_page)
    members = _members([g.id for g in result.items])
    return page_body(result, [_group_body(g, members[g.id]) for g in result.items])


@blp.get("/po-groups/<int:group_id>")
@requires("purchase_orders", "view")
@errors(blp, 404)
@blp.response(200, POGroupSchema)
def get_group(group_id: int):
    group = po_groups.get_group(db.session, group_id)
    return _group_body(group, _members([group.id])[group.id])
