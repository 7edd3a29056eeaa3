"""Maintenance lists (item `maintenance`: view reads, add_edit creates and edits, full deletes)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints.forms import apply_errors, page_arg
from portal.blueprints.maintenance.forms import AlertTemplateForm, BillCodeForm, BillCodeGroupForm, DocumentTypeForm
from portal.domain.alert_messages import PLACEHOLDERS, placeholder_errors, render_alert
from portal.extensions import db
from portal.htmx import render
from portal.services import audit, maintenance as service, security
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance")

KINDS = {  # url slug -> (service kind, title, form, columns)
    "bill-codes": ("bill_codes", "Bill codes", BillCodeForm, [("code", "Code"), ("description", "Description"), ("active", "Active")]),
    "bill-code-groups": ("bill_code_groups", "Bill code groups", BillCodeGroupForm,
                         [("name", "Name"), ("bill_codes", "Bill codes"), ("active", "Active")]),
    "document-types": ("document_types", "Document types", DocumentTypeForm,
                       [("name", "Name"), ("code", "Prefix"), ("bucket", "Draws on"), ("sign", "Sign"), ("active", "Active")]),
    "alert-templates": ("alert_templates", "Alert templates", AlertTemplateForm,
                        [("name", "Name"), ("thresholds", "Thresholds %"), ("days_before_expiry", "Days before expiry"),
                         ("forecast_days", "Runs out within (days)"), ("active", "Active")]),
}
KIND_RULE = "<any(" + ", ".join(f'"{k}"' for k in KINDS) + "):slug>"


@bp.get("/", strict_slashes=False)
@requires("maintenance", "view")
def index():
    counts = service.counts(db.session)
    return render_template("maintenance/index.html", kinds=KINDS, counts=counts)


@bp.get(f"/{KIND_RULE}/")
@requires("maintenance", "view")
def items(slug: str):
    kind, title, _, columns = KINDS[slug]
    q = request.args.get("q", "")[:200]
    page = service.list_items(db.session, kind, q=q, page=page_arg(request.args.get("page")),
                              per_page=current_app.config["PAGE_SIZE"])
    return render("maintenance/items.html", "maintenance/_rows.html", slug=slug, title=title, columns=columns,
                  page=page, q=q)


def _choices(form) -> None:
    if isinstance(form, BillCodeGroupForm):
        form.bill_code_ids.choices = [(c.id, f"{c.code} — {c.description}" if c.description else c.code)
                                      for c in service.all_bill_codes(db.session)]
    if isinstance(form, AlertTemplateForm):
        form.role_ids.choices = [(r.id, r.name) for r in security.all_roles(db.session)]
        form.user_ids.choices = [(u.id, f"{u.full_name} ({u.username})") for u in security.active_users(db.session)]


def _save(kind: str, item_id: int | None, form):
    common = {"actor": current_user, "expected_version": form.edited_version()}
    if kind == "bill_codes":
        return service.save_bill_code(db.session, item_id, code=form.code.data, description=form.description.data or "",
                                      active=bool(form.active.data), **common)
    if kind == "bill_code_groups":
        return service.save_bill_code_group(db.session, item_id, name=form.name.data,
                                            description=form.description.data or "", active=bool(form.active.data),
                                            bill_code_ids=form.bill_code_ids.data or [], **common)
    if kind == "document_types":
        sign = int(form.sign.data) if form.sign.data in ("1", "-1") else 0
        return service.save_document_type(db.session, item_id, name=form.name.data, code=form.code.data,
                                          bucket=form.bucket.data, sign=sign, active=bool(form.active.data),
                                          sort_order=form.sort_order.data or 0, **common)
    return service.save_alert_template(
        db.session, item_id, name=form.name.data, thresholds=form.thresholds.data or "",
        days_before_expiry=form.days_before_expiry.data, forecast_days=form.forecast_days.data, subject=form.subject.data, message=form.message.data,
        role_ids=form.role_ids.data or [], user_ids=form.user_ids.data or [], active=bool(form.active.data), **common)


def _fill(form, obj) -> None:
    form.row_version.data = str(obj.row_version)
    if isinstance(form, BillCodeGroupForm):
        form.bill_code_ids.data = [c.id for c in obj.bill_codes]
    if isinstance(form, DocumentTypeForm):
        form.sign.data = str(obj.sign)
    if isinstance(form, AlertTemplateForm):
        form.thresholds.data = ", ".join(format(t.normalize(), "f") for t in obj.thresholds)
        form.role_ids.data = [r.id for r in obj.recipient_roles]
        form.user_ids.data = [u.id for u in obj.recipient_users]


def _flash_saved(saved) -> None:
    flash(f"{saved} saved.", "success")
    for subject in getattr(saved, "raised_now", []):  # an alert template's new thresholds, passed already
        flash(f"Alert raised: {subject}", "warning")


@bp.route(f"/{KIND_RULE}/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route(f"/{KIND_RULE}/<int:item_id>/edit", methods=["GET", "POST"])
@requires("maintenance", "add_edit")
def edit(slug: str, item_id: int | None):
    kind, title, form_class, _ = KINDS[slug]
    obj = None
    if item_id is not None:
        obj = service.get_item(db.session, kind, item_id)
    form = form_class(obj=obj) if request.method == "GET" else form_class()
    _choices(form)
    if request.method == "GET" and obj is not None:
        _fill(form, obj)
    if form.validate_on_submit():
        try:
            saved = _save(kind, item_id, form)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.form_errors = [str(exc)]
        else:
            _flash_saved(saved)
            return redirect(url_for("maintenance.items", slug=slug))
    history = audit.history_of(db.session, service.MODELS[kind].__tablename__, obj.id) if obj else []
    preview = render_alert(form.subject.data or "", form.message.data or "", PLACEHOLDERS) \
        if isinstance(form, AlertTemplateForm) else None
    return render_template("maintenance/form.html", form=form, obj=obj, slug=slug, title=title, history=history,
                           preview=preview, placeholders=PLACEHOLDERS)


@bp.get(f"/{KIND_RULE}/<int:item_id>")
@requires("maintenance", "view")
def detail(slug: str, item_id: int):
    kind, title, form_class, _ = KINDS[slug]
    obj = service.get_item(db.session, kind, item_id)
    form = form_class(obj=obj)
    _choices(form)
    _fill(form, obj)
    history = audit.history_of(db.session, service.MODELS[kind].__tablename__, obj.id)
    preview = render_alert(obj.subject, obj.message, PLACEHOLDERS) if isinstance(form, AlertTemplateForm) else None
    return render_template("maintenance/form.html", form=form, obj=obj, slug=slug, title=title, history=history,
                           preview=preview, placeholders=PLACEHOLDERS, readonly=True)


@bp.post("/alert-templates/preview")
@requires("maintenance", "add_edit")
def preview():
    """The alert as it will read, re-rendered by htmx as the subject and message are typed."""
    subject, message = request.form.get("subject", "")[:200], request.form.get("message", "")[:5000]
    problems = placeholder_errors(subject) + placeholder_errors(message)
    return render_template("maintenance/_preview.html", preview=render_alert(subject, message, PLACEHOLDERS),
                           problems=problems)


@bp.post(f"/{KIND_RULE}/<int:item_id>/delete")
@requires("maintenance", "full")
def delete(slug: str, item_id: int):
    kind = KINDS[slug][0]
    try:
        service.delete_item(db.session, kind, item_id, actor=current_user)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("maintenance.edit", slug=slug, item_id=item_id))
    flash("Deleted.", "success")
    return redirect(url_for("maintenance.items", slug=slug))
