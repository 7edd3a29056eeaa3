"""Maintenance lists (seed 003): bill codes, bill code groups, document types, alert templates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain.alert_messages import placeholder_errors
from portal.domain.numbers import parse_number
from portal.domain.text import identifier_problem
from portal.models import (AlertTemplate, BillCode, BillCodeGroup, Document, DocumentType, LedgerEntry, POLine,
                           PurchaseOrder, Role, User)
from portal.services import alerts, audit, coverage
from portal.services.debtors import like_pattern
from portal.services.edits import commit_unique, record_to_edit
from portal.services.errors import NotFound, ValidationFailed
from portal.services.paging import Page, paginate
from portal.services.references import delete_unreferenced

MODELS = {"bill_codes": BillCode, "bill_code_groups": BillCodeGroup, "document_types": DocumentType,
          "alert_templates": AlertTemplate}


def list_items(session: Session, kind: str, *, q: str = "", page: int = 1, per_page: int = 25) -> Page:
    """One page of a maintenance list matching the search, by code (document types by their order)."""
    model = MODELS[kind]
    label = model.code if hasattr(model, "code") and model is not DocumentType else model.name
    stmt = select(model)
    if q.strip():
        pattern = like_pattern(q.strip())
        stmt = stmt.where(or_(*(getattr(model, c).ilike(pattern) for c in ("code", "name", "description")
                                if hasattr(model, c))))
    order = (model.sort_order, model.name) if model is DocumentType else (func.upper(label),)
    return paginate(session, stmt.order_by(*order), page, per_page)


def counts(session: Session) -> dict[str, int]:
    """How many records each maintenance list holds."""
    return {kind: session.scalar(select(func.count()).select_from(model)) or 0 for kind, model in MODELS.items()}


def all_bill_codes(session: Session) -> list[BillCode]:
    """Every bill code, inactive ones included, by code (a bill code group's members)."""
    return list(session.scalars(select(BillCode).order_by(BillCode.code)))


def active_bill_codes(session: Session) -> list[BillCode]:
    """The bill codes a new charge, line or delivery may use: the active ones, by code."""
    return list(session.scalars(select(BillCode).where(BillCode.active.is_(True)).order_by(BillCode.code)))


def get_item(session: Session, kind: str, item_id: int):
    """A maintenance record by kind and id; NotFound when there is none."""
    obj = session.get(MODELS[kind], item_id)
    if obj is None:
        raise NotFound("No such record.")
    return obj


def _text(errors: dict, name: str, value: str, limit: int, label: str, required: bool = True) -> str:
    """Text as kept: trimmed, required unless said otherwise, and at most `limit` characters."""
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(f"Enter the {label}.")
    elif len(value) > limit:
        errors.setdefault(name, []).append(f"Use at most {limit:,} characters.")
    return value


def save_bill_code(session: Session, item_id: int | None, *, actor, code: str, description: str, active: bool,
                   expected_version: int | None = None) -> BillCode:
    """Add or change a bill code: a code is required, kept upper case and unique, and a plain identifier
    (`identifier_problem`: no invisible, control or look-alike characters)."""
    errors: dict[str, list[str]] = {}
    code = _text(errors, "code", code, 20, "code")
    if code and not errors and (problem := identifier_problem(code)):
        errors["code"] = [problem]
    code = code.upper()
    description = _text(errors, "description", description, 200, "description", required=False)
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, BillCode, item_id, expected_version)
    obj.code, obj.description, obj.active = code, description, active
    commit_unique(session, "code", f"Bill code {code} exists.")
    return obj


def save_bill_code_group(session: Session, item_id: int | None, *, actor, name: str, description: str, active: bool,
                         bill_code_ids: list[int], expected_version: int | None = None) -> BillCodeGroup:
    """A group's members; a change that would put a bill code in two lines of one master PO is refused."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 80, "name")
    description = _text(errors, "description", description, 200, "description", required=False)
    codes = list(session.scalars(select(BillCode).where(BillCode.id.in_(bill_code_ids or [])))) if bill_code_ids else []
    if len(codes) != len(set(bill_code_ids or [])):
        errors.setdefault("bill_code_ids", []).append("Choose bill codes from the list.")
    elif not codes:
        errors.setdefault("bill_code_ids", []).append("Choose at least one bill code.")
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, BillCodeGroup, item_id, expected_version)
    if item_id is not None and (drawn := _drawn_through(session, obj.id, {c.id for c in obj.bill_codes} - set(
            bill_code_ids))):
        session.rollback()
        raise ValidationFailed({"bill_code_ids": [
            f"Master PO lines drew on {', '.join(drawn)} through this group: those bill codes stay in it (what a "
            "line drew is counted by its bill codes, as a line with documents keeps its group)."]})
    obj.name, obj.description, obj.active, obj.bill_codes = name, description, active, codes
    try:
        session.flush()
        if item_id is not None:
            coverage.sync_group(session, obj.id, field="bill_code_ids")
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({"name": [f"A bill code group named {name} exists."]})
    except ValidationFailed:
        session.rollback()
        raise
    commit_unique(session, "name", f"A bill code group named {name} exists.")
    return obj


def _drawn_through(session: Session, group_id: int, bill_code_ids: set[int]) -> list[str]:
    """Of these bill codes, those posted documents drew on a master PO line through the group, as "CODE (PO n line
    m)" (the first few): taken out of the group, the line's Used would no longer be its codes' spend."""
    if not bill_code_ids:
        return []
    rows = session.execute(
        select(BillCode.code, PurchaseOrder.number, POLine.line_no).distinct()
        .select_from(LedgerEntry).join(POLine, POLine.id == LedgerEntry.po_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == POLine.po_id).join(BillCode, BillCode.id == LedgerEntry.bill_code_id)
        .where(POLine.bill_code_group_id == group_id, LedgerEntry.bill_code_id.in_(sorted(bill_code_ids)))
        .order_by(BillCode.code, PurchaseOrder.number, POLine.line_no).limit(5)).all()
    return [f"{code} (PO {number} line {line_no})" for code, number, line_no in rows]


def save_document_type(session: Session, item_id: int | None, *, actor, name: str, code: str, bucket: str, sign: int,
                       active: bool, sort_order: int, expected_version: int | None = None) -> DocumentType:
    """Bucket and sign decide what a posted document draws on, so they are fixed once documents use the type."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 80, "name")
    code = _text(errors, "code", code, 10, "number prefix").upper()
    if bucket not in ("estimate", "commitment", "used"):
        errors.setdefault("bucket", []).append("Choose estimate, commitment or used.")
    if sign not in (1, -1):
        errors.setdefault("sign", []).append("Choose positive or negative.")
    elif sign == -1 and bucket != "used":
        errors.setdefault("sign", []).append("Only a 'used' type (a credit memo) may be negative.")
    if not -10_000 <= sort_order <= 10_000:
        errors.setdefault("sort_order", []).append("Use a number between -10,000 and 10,000.")
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, DocumentType, item_id, expected_version)
    if item_id is not None and (obj.bucket != bucket or obj.sign != sign):
        if session.scalar(select(func.count()).select_from(Document).where(Document.document_type_id == obj.id)):
            session.rollback()
            raise ValidationFailed({"bucket": ["Documents of this type exist: its bucket and sign cannot change."]})
    obj.name, obj.code, obj.bucket, obj.sign, obj.active, obj.sort_order = name, code, bucket, sign, active, sort_order
    commit_unique(session, "name", "A document type with that name or number prefix exists.")
    return obj


def parse_thresholds(text: str) -> tuple[list[Decimal], list[str]]:
    """'75, 90, 100' -> [75, 90, 100]: each more than 0 and at most 200, no repeats, sorted."""
    values, problems = [], []
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        value = parse_number(part.rstrip("%"))
        if value is None:
            problems.append(f"“{part[:20]}” is not a number.")
            continue
        if value <= 0 or value > 200:
            problems.append(f"{part[:20]} must be more than 0 and at most 200.")
        elif value != value.quantize(Decimal("0.01")):
            problems.append(f"{part[:20]} may have at most two decimals.")
        elif value in values:
            problems.append(f"{part[:20]} is listed twice.")
        else:
            values.append(value)
    if len(values) > 20:
        problems.append("List at most 20 thresholds.")
    return sorted(values), problems


def save_alert_template(session: Session, item_id: int | None, *, actor, name: str, thresholds: str,
                        days_before_expiry: int | None, subject: str, message: str, role_ids: list[int],
                        user_ids: list[int], active: bool, expected_version: int | None = None,
                        forecast_days: int | None = None) -> AlertTemplate:
    """Add or change an alert template; every field is checked before anything is saved."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 80, "name")
    subject = _text(errors, "subject", subject, 200, "subject")
    message = _text(errors, "message", message, 5000, "message")
    values, problems = parse_thresholds(thresholds)
    if problems:
        errors["thresholds"] = problems
    if days_before_expiry is not None and not 0 <= days_before_expiry <= 3650:
        errors["days_before_expiry"] = ["Use a number of days from 0 to 3650, or leave it blank."]
    if forecast_days is not None and not 1 <= forecast_days <= 365:
        errors["forecast_days"] = ["Use a number of days from 1 to 365, or leave it blank."]
    if not values and days_before_expiry is None and forecast_days is None and "thresholds" not in errors:
        errors["thresholds"] = ["Give at least one threshold, days before expiry, or days to a forecast run-out."]
    for field, text in (("subject", subject), ("message", message)):
        if text and (issues := placeholder_errors(text)):
            errors.setdefault(field, []).extend(issues)
    # FOR KEY SHARE, as the recipients' keys will lock them: a role being deleted meanwhile is waited for, then gone
    roles = list(session.scalars(select(Role).where(Role.id.in_(role_ids)).order_by(Role.id)
                                 .with_for_update(of=Role, read=True, key_share=True))) if role_ids else []
    users = list(session.scalars(select(User).where(User.id.in_(user_ids), User.active.is_(True)))) if user_ids else []
    if len(roles) != len(set(role_ids or [])):
        errors["role_ids"] = ["Choose roles from the list."]
    if len(users) != len(set(user_ids or [])):
        errors["user_ids"] = ["Choose active users from the list."]
    if not roles and not users and "role_ids" not in errors and "user_ids" not in errors:
        errors["role_ids"] = ["Choose at least one recipient: a role or a user."]
    if errors:
        raise ValidationFailed(errors)
    audit.acting(session, actor)
    obj = record_to_edit(session, AlertTemplate, item_id, expected_version)
    rechecks = item_id is not None and active and (set(obj.thresholds or ()) != set(values) or not obj.active)
    obj.name, obj.thresholds, obj.days_before_expiry = name, values, days_before_expiry
    obj.forecast_days = forecast_days
    obj.subject, obj.message, obj.active = subject, message, active
    obj.recipient_roles, obj.recipient_users = roles, users
    # new thresholds (or the template made active) hold for its POs now, not from their next posting on
    obj.raised_now = alerts.recheck_template(session, obj, today=date.today()) if rechecks else []
    commit_unique(session, "name", f"An alert template named {name} exists.")
    return obj


def delete_item(session: Session, kind: str, item_id: int, *, actor) -> None:
    """Delete a maintenance record, unless something still refers to it."""
    delete_unreferenced(session, MODELS[kind], item_id, actor=actor)
