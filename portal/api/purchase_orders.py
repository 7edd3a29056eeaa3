"""Customer purchase orders of all three kinds, with seed 001's figures (read)."""
from __future__ import annotations

from datetime import date


from portal.api.base import errors, new_blueprint
from portal.api.schemas import POQuery, PurchaseOrderDetailSchema, PurchaseOrderSchema, page_body, page_of
from portal.authz import requires
from portal.extensions import db
from portal.services import purchase_orders as service

blp = new_blueprint("api_purchase_orders", "", "Purchase orders", "Customer purchase orders with their figures.")


def figures_body(f) -> dict:
    return {"amount": f.amount, "used": f.used, "commitments": f.commitments, "estimates": f.estimates,
            "subtotal": f.subtotal, "net_remaining": f.net_remaining, "net_unused": f.net_unused,
            "colour": getattr(f, "colour", None), "tolerance_mark": getattr(f, "tolerance_mark", None)}


def po_body(po, *, detail: bool = False) -> dict:
    f = service.balance_figures(po)
    body = {"id": po.id, "debtor_id": po.debtor_id, "number": po.number, "kind": po.kind,
            "description": po.description, "effective": po.effective, "expiration": po.expiration,
            "tolerance_pct": po.tolerance_pct, "group_id": po.group_id, "figures": figures_body(f),
            "lines_over_budget": f.lines_over}
    if detail:
        body |= {"notes": po.notes, "eligible_document_type_ids": sorted(e.document_type_id for e in po.eligible),
                 "lines": [{"id": line.id, "line_no": line.line_no, "secondary_po_number": line.secondary_po_number,
                            "description": line.description, "bill_code_group_id": line.bill_code_group_id,
                            "figures": figures_body(service.line_figures(line))} for line in po.lines],
                 "not_on_any_line": figures_body(f.not_on_any_line) if f.not_on_any_line is not None else None}
    return body


@blp.get("/purchase-orders")
@requires("purchase_orders", "view")
@errors(blp)
@blp.arguments(POQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(PurchaseOrderSchema))
def list_purchase_orders(page: int, per_page: int, q: str, include_expired: bool, attention: bool, sort: str,
                         debtor_id: int | None = None, group_id: int | None = None):
    """Current and future POs (add `include_expired`), as the PO list filters and sorts them."""
    flt = service.POFilter(debtor_id=debtor_id, q=q, include_expired=include_expired, sort=sort, group_id=group_id,
                           attention=attention)
    result = service.list_purchase_orders(db.session, flt, today=date.today(), page=page, per_page=per_page)
    return page_body(result, [po_body(po) for po in result.items])


@blp.get("/purchase-orders/<int:po_id>")
@requires("purchase_orders", "view")
@errors(blp, 404)
@blp.response(200, PurchaseOrderDetailSchema)
def get_purchase_order(po_id: int):
    """One PO: its figures, its master lines' figures and what no line holds, its eligible document types."""
    return po_body(service.get_po(db.session, po_id), detail=True)
