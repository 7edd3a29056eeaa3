"""Documents (create a draft with lines, post it), their reference lists, and spend by PO number.

Posting follows the page: every warning is shown first (409 with each warning); the client posts
again with `confirm: true`; a block-policy refusal stands unless the user holds
po_override_budget and sends `override: true` (audited by the posting service).
"""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from portal.api.base import errors, new_blueprint
from portal.api.problems import problem
from portal.api.schemas import (BillCodeSchema, DocumentDetailSchema, DocumentInput, DocumentQuery, DocumentSchema,
                                DocumentTypeSchema, PageQuery, PostedSchema, PostInput, SpendPageSchema, SpendQuery,
                                page_body, page_of)
from portal.authz import requires
from portal.extensions import db
from portal.models import BillCode, DocumentType
from portal.services import documents as service, posting, reports
from portal.services.paging import paginate

blp = new_blueprint("api_documents", "", "Documents and reports", "Documents, posting with warnings, and spend by PO number.")


def list_body(doc) -> dict:
    """A listed document; `total` and `hidden_lines` as the list read them (documents.with_totals_shown), the total
    signed as the pages and exports show it (a credit memo's negative)."""
    return {"id": doc.id, "debtor_id": doc.debtor_id, "document_type_id": doc.document_type_id, "number": doc.number,
            "status": doc.status, "doc_date": doc.doc_date, "bill_from": doc.bill_from, "bill_to": doc.bill_to,
            "po_number": doc.po_number, "total": doc.total_shown * doc.document_type.sign,
            "hidden_lines": doc.lines_hidden or 0}


def detail_body(doc) -> dict:
    shown = service.lines_shown(current_user, doc)
    return list_body(doc) | {"total": shown["total_shown"] * doc.document_type.sign, "notes": doc.notes,
                             "lines": shown["lines"], "hidden_lines": shown["hidden_lines"]}


@blp.get("/documents")
@requires("documents", "view")
@errors(blp)
@blp.arguments(DocumentQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(DocumentSchema))
def list_documents(page: int, per_page: int, q: str, po: str, debtor_id: int | None = None, status: str = "",
                   document_type_id: int | None = None, date_from=None, date_to=None):
    """Documents, newest first, filtered as the documents list filters them. For a user limited to branches, a
    document with lines on other branches' jobs gives the total of its other lines (`hidden_lines` counts those
    left out)."""
    result = service.list_documents(db.session, current_user, debtor_id=debtor_id, q=q, status=status,
                                    type_id=document_type_id, po=po, date_from=date_from, date_to=date_to, page=page,
                                    per_page=per_page)
    return page_body(result, map(list_body, result.items))


@blp.get("/documents/<int:doc_id>")
@requires("documents", "view")
@errors(blp, 404)
@blp.response(200, DocumentDetailSchema)
def get_document(doc_id: int):
    """A document with the lines on jobs you may see (`hidden_lines` counts the others; `total` is then the total
    of the lines given)."""
    return detail_body(service.get_document(db.session, current_user, doc_id))


@blp.post("/documents")
@requires("documents", "add_edit")
@errors(blp)
@blp.arguments(DocumentInput)
@blp.response(201, DocumentDetailSchema)
def create_document(data: dict):
    """Create a draft with its lines (the same checks as the document form; nothing is saved on a 422)."""
    lines = tuple(service.LineInput(job_id=l.get("job_id"), bill_code_id=l["bill_code_id"], quantity=l["quantity"],
                                    rate=l["rate"], service_date=l.get("service_date"),
                                    description=l.get("description", ""), explicit_po_id=l.get("po_id"))
                  for l in data["lines"])
    doc = service.save_draft(db.session, current_user, None, service.DocumentInput(
        debtor_id=data["debtor_id"], document_type_id=data["document_type_id"], number=data["number"],
        doc_date=data["doc_date"], bill_from=data.get("bill_from"), bill_to=data.get("bill_to"),
        po_number=data["po_number"], notes=data["notes"], lines=lines))
    return detail_body(service.get_document(db.session, current_user, doc.id))


def _warnings(check) -> list[dict]:
    return [{"code": w.code, "message": w.message, "blocks": w.blocks, "forbids": w.forbids} for w in check.warnings]


@blp.post("/documents/<int:doc_id>/post")
@requires("documents", "add_edit")
@errors(blp, 404, 409)
@blp.arguments(PostInput, as_kwargs=True)
@blp.response(200, PostedSchema)
def post_document(doc_id: int, confirm: bool, override: bool, seen: str | None):
    """Post a draft. Warnings come back as a 409 listing each, with the check's `seen`; post again with
    `confirm: true` and that `seen` (a draft or PO changed in between is checked again; without it the
    confirmation counts for nothing). Under the block policy a refusal stands unless you hold po_override_budget
    and send `override: true` with the refusal's `seen`."""
    service.get_document(db.session, current_user, doc_id)  # 404 before anything else
    if override and not current_user.can("po_override_budget"):
        return problem(403, "Posting past a blocked budget needs 'Post past a blocked PO budget'.",
                       kind="override-not-granted")
    # a confirmation or override without the `seen` of the 409 it answers confirms nothing, as a page's form
    # sent without its check's digest: it comes back as a 409 with the check to confirm
    result = posting.post(db.session, current_user, doc_id, confirmed=confirm, override=override,
                          seen=(seen or "") if confirm or override else None)
    allowed = current_user.can("po_override_budget")
    if result.refused:
        forbidden = result.check.forbidden
        return problem(409, "The posting is refused: " + " ".join(w.message for w in result.check.warnings
                                                                  if w.forbids or w.blocks),
                       kind="posting-refused", title="Posting refused", warnings=_warnings(result.check),
                       override_allowed=allowed and not forbidden, seen=result.seen, changed=result.changed or None)
    if result.needs_confirmation:
        return problem(409, "Posting has warnings; post again with `confirm: true` to go ahead.",
                       kind="confirm-warnings", title="Confirm the warnings", warnings=_warnings(result.check),
                       choices=[{"field": "confirm", "value": True, "label": "post despite the warnings"}],
                       seen=result.seen, changed=result.changed or None)
    return {"document": detail_body(service.get_document(db.session, current_user, doc_id)),
            "overridden": result.overridden, "alerts": result.alerts}


@blp.get("/document-types")
@requires("documents", "view")
@errors(blp)
@blp.arguments(PageQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(DocumentTypeSchema))
def list_document_types(page: int, per_page: int):
    result = paginate(db.session, select(DocumentType).order_by(DocumentType.sort_order, DocumentType.id), page, per_page)
    return page_body(result, result.items)


@blp.get("/bill-codes")
@requires("documents", "view")
@errors(blp)
@blp.arguments(PageQuery, location="query", as_kwargs=True)
@blp.response(200, page_of(BillCodeSchema))
def list_bill_codes(page: int, per_page: int):
    result = paginate(db.session, select(BillCode).order_by(BillCode.code, BillCode.id), page, per_page)
    return page_body(result, result.items)


@blp.get("/reports/spend-by-po-number")
@requires("documents", "view")
@errors(blp)
@blp.arguments(SpendQuery, location="query", as_kwargs=True)
@blp.response(200, SpendPageSchema)
def spend_by_po_number(page: int, per_page: int, debtor_id: int | None = None):
    """Posted documents grouped by the PO number their lines carry (budgeted or typed on the fly); 403 to a
    user limited to branches (the figures cover every branch's jobs)."""
    reports.check_spend_report(current_user)
    result = reports.spend_by_po_number(db.session, debtor_id, page=page, per_page=per_page)
    used, commitments, estimates, documents = result.totals
    items = [{"debtor_id": r.debtor_id, "po_number": r.po_number, "used": r.used, "commitments": r.commitment,
              "estimates": r.estimate, "documents": r.documents, "budgeted": r.budgeted,
              "budgeted_documents": r.budgeted_documents, "budget": r.budget,
              "latest_documents": r.items} for r in result.rows]
    return {"items": items, "page": {"page": result.page, "per_page": result.per_page, "total": result.total_numbers,
                                     "more": False},
            "totals": {"used": used, "commitments": commitments, "estimates": estimates, "documents": documents}}
