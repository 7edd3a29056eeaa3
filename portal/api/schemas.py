"""Request and response schemas of the REST API (marshmallow; unknown fields are refused).

Money and quantities travel as decimal strings ("1234.50"), never floats; dates as YYYY-MM-DD. Both are
read by the portal's own rules (README "Input and output rules"): `parse_number`, `typed_day`.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from portal.domain.formatting import typed_day
from portal.domain.numbers import parse_number
from portal.domain.text import CONTROL_MESSAGE, has_control_characters
from portal.routing import MAX_ID

MAX_PER_PAGE = 100


def _no_control(value: str) -> None:
    if has_control_characters(value):
        raise ValidationError(CONTROL_MESSAGE)


class Text(fields.String):
    """A string without control characters (PostgreSQL cannot store NUL), of bounded length."""

    def __init__(self, *, max_length: int = 200, **kw):
        validators = [validate.Length(max=max_length), _no_control]
        super().__init__(validate=validators, **kw)


def Id(**kw) -> fields.Integer:  # noqa: N802 - reads like a field class
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)


def QueryId(**kw) -> fields.Integer:  # noqa: N802
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kw)


DECIMAL_DOC = {"type": "string", "format": "decimal", "example": "1234.50"}


def Money(**kw) -> fields.Decimal:  # noqa: N802
    """Money as a decimal string with cents (never a float)."""
    return fields.Decimal(as_string=True, places=2, metadata=DECIMAL_DOC | kw.pop("metadata", {}), **kw)


class DecimalText(fields.Decimal):
    """A quantity, rate or percent as a decimal string ("7.5"), read as the forms read it (`parse_number`:
    no exponent, NaN or infinity; thousands separators well placed): text it cannot read loads as None,
    which the service refuses as it does a form's ("Line 1: enter the quantity and rate as numbers.").
    A JSON number is refused here: a client's floats are not decimal."""

    def __init__(self, **kw):
        super().__init__(as_string=True, allow_nan=False, metadata=DECIMAL_DOC | kw.pop("metadata", {}), **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Send the number as a decimal string such as "7.5", not a JSON number.')
        return parse_number(value)


class Day(fields.Date):
    """A date, exactly YYYY-MM-DD as the portal takes every date (`typed_day`): ISO 8601's other forms
    ("20261120", "2026-W47-5") and days the calendar lacks are refused with the field named."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = typed_day(value) if isinstance(value, str) else None
        if day is None:
            name = self.data_key or self.name
            raise ValidationError(f"{name}: enter the date as YYYY-MM-DD (a day of the calendar).")
        return day


class Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


# ----- errors and paging -----

class ProblemSchema(Schema):
    """application/problem+json (RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Raw(metadata={"description": "field -> messages (validation problems)"})
    choices = fields.Raw(metadata={"description": "a prompt's answers: repeat the request with one of them"})
    warnings = fields.Raw(metadata={"description": "a posting's warnings"})
    future = fields.Raw(metadata={"description": "the future assignments a change would remove"})
    override_allowed = fields.Boolean()
    prompt = fields.String()


class PageQuery(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(1, MAX_PER_PAGE),
                              metadata={"description": f"at most {MAX_PER_PAGE}; more is a 422"})


class PageInfo(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "counted up to a few pages ahead; see `more`"})
    more = fields.Boolean(required=True, metadata={"description": "true: there are more than `total`"})


def page_of(item_schema) -> type[Schema]:
    return type(f"{item_schema.__name__.removesuffix('Schema')}Page", (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Nested(PageInfo, required=True),
    })


def page_body(page, items) -> dict:
    return {"items": list(items), "page": {"page": page.page, "per_page": page.per_page, "total": page.total,
                                           "more": bool(page.more)}}


# ----- who am I -----

class MeSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    grants = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    branches = fields.List(fields.String(), required=True, metadata={"description": "empty: every branch"})


# ----- debtors, groups, purchase orders -----

class DebtorQuery(PageQuery):
    q = Text(max_length=100, load_default="")
    active_only = fields.Boolean(load_default=False)


class DebtorSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    enforce_purchase_orders = fields.Boolean(required=True)
    over_budget_policy = fields.String(required=True, metadata={"enum": ["warn", "block"]})
    notes = fields.String(required=True)


class GroupQuery(PageQuery):
    debtor_id = QueryId()


class POGroupSchema(Schema):
    id = fields.Integer(required=True)
    debtor_id = fields.Integer(required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)
    po_ids = fields.List(fields.Integer(), required=True)


class FiguresSchema(Schema):
    """Seed 001's columns: Subtotal = Used + Commitments + Estimates; Net remaining = Amount − Subtotal."""

    amount = Money(required=True)
    used = Money(required=True)
    commitments = Money(required=True)
    estimates = Money(required=True)
    subtotal = Money(required=True)
    net_remaining = Money(required=True)
    net_unused = Money(required=True)
    colour = fields.String(allow_none=True, required=True, metadata={"enum": ["yellow", "red", None]})
    tolerance_mark = Money(allow_none=True, required=True)


class POLineSchema(Schema):
    id = fields.Integer(required=True)
    line_no = fields.Integer(required=True)
    secondary_po_number = fields.String(required=True)
    description = fields.String(required=True)
    bill_code_group_id = fields.Integer(required=True)
    figures = fields.Nested(FiguresSchema, required=True)


class POQuery(PageQuery):
    debtor_id = QueryId()
    group_id = QueryId()
    q = Text(max_length=100, load_default="")
    include_expired = fields.Boolean(load_default=False)
    attention = fields.Boolean(load_default=False)
    sort = fields.String(load_default="expiration",
                         validate=validate.OneOf(["expiration", "-expiration", "number", "remaining"]))


class PurchaseOrderSchema(Schema):
    id = fields.Integer(required=True)
    debtor_id = fields.Integer(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["single_line", "multi_line", "multi_line_master"]})
    description = fields.String(required=True)
    effective = Day(required=True)
    expiration = Day(required=True)
    tolerance_pct = DecimalText(allow_none=True, required=True)
    group_id = fields.Integer(allow_none=True, required=True)
    figures = fields.Nested(FiguresSchema, required=True)
    lines_over_budget = fields.Integer(required=True, metadata={
        "description": "master POs: lines whose Subtotal passes their budget (the PO then needs attention)"})


class PurchaseOrderDetailSchema(PurchaseOrderSchema):
    notes = fields.String(required=True)
    eligible_document_type_ids = fields.List(fields.Integer(), required=True)
    lines = fields.List(fields.Nested(POLineSchema), required=True,
                        metadata={"description": "master POs: one budget per line"})
    not_on_any_line = fields.Nested(FiguresSchema, allow_none=True, required=True,
                                    metadata={"description": "master POs: drawn by bill codes no line holds"})


# ----- job orders and assignments -----

class JobQuery(PageQuery):
    debtor_id = QueryId()
    branch_id = QueryId()
    q = Text(max_length=100, load_default="")
    active_only = fields.Boolean(load_default=True)
    unassigned = fields.Boolean(load_default=False)
    as_of = Day()


class JobOrderSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    debtor_id = fields.Integer(required=True)
    branch_id = fields.Integer(required=True)
    site = fields.String(required=True)
    start_date = Day(required=True)
    discontinued_date = Day(allow_none=True, required=True)
    po_reference = fields.String(allow_none=True, required=True)


class TargetSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["po", "group"]))
    id = Id(required=True)


class AsOfQuery(Strict):
    as_of = Day()


class AssignmentSchema(Schema):
    id = fields.Integer(required=True)
    debtor_id = fields.Integer(required=True)
    target = fields.Nested(TargetSchema, required=True)
    start_date = Day(required=True)
    manual_end = Day(allow_none=True, required=True)
    end = Day(allow_none=True, required=True, metadata={"description": "computed on the as-of date"})
    end_reason = fields.String(required=True)
    current = fields.Boolean(required=True)
    source = fields.String(required=True)


class AssignmentsSchema(Schema):
    job_id = fields.Integer(required=True)
    as_of = Day(required=True)
    assignments = fields.List(fields.Nested(AssignmentSchema), required=True)
    notices = fields.List(fields.String(), required=True)


class AssignInput(Strict):
    target = fields.Nested(TargetSchema, required=True)
    as_of = Day(required=True)
    start = Day(metadata={"description": "answer to the start-date prompt (409 start_date)"})
    remove_future = fields.Boolean(load_default=False,
                                   metadata={"description": "answer to the future-assignments prompt (409), with its "
                                                            "`seen`"})
    seen = Text(max_length=10_000, load_default=None, metadata={
        "description": "the `seen` of the future-assignments prompt answered: the assignments it listed are removed "
                       "only while they are the job's future assignments, else the prompt comes again"})


class ClearInput(Strict):
    as_of = Day(required=True)
    replacement = fields.Nested(TargetSchema, metadata={"description": "assigned from the as-of date"})


# ----- documents -----

class DocumentQuery(PageQuery):
    debtor_id = QueryId()
    document_type_id = QueryId()
    status = fields.String(validate=validate.OneOf(["draft", "posted", "void"]))
    q = Text(max_length=100, load_default="", metadata={"description": "number or typed PO number (start), or a type"})
    po = Text(max_length=50, load_default="", metadata={"description": "documents with a line on this PO number"})
    date_from = Day()
    date_to = Day()


class LineInput(Strict):
    bill_code_id = Id(required=True)
    quantity = DecimalText(required=True)
    rate = DecimalText(required=True)
    job_id = Id(allow_none=True)
    service_date = Day(allow_none=True)
    description = Text(max_length=300, load_default="")
    po_id = Id(allow_none=True, metadata={"description": "name the PO explicitly (the debtor's, eligible for the type)"})


class DocumentInput(Strict):
    debtor_id = Id(required=True)
    document_type_id = Id(required=True)
    doc_date = Day(required=True)
    number = Text(max_length=30, load_default="", metadata={"description": "blank: the next number of the type"})
    bill_from = Day(allow_none=True)
    bill_to = Day(allow_none=True)
    po_number = Text(max_length=50, load_default="")
    notes = Text(max_length=4000, load_default="")
    lines = fields.List(fields.Nested(LineInput), required=True, validate=validate.Length(1, 500))


class DocumentLineSchema(Schema):
    id = fields.Integer(required=True)
    line_no = fields.Integer(required=True)
    job_id = fields.Integer(allow_none=True, required=True)
    bill_code_id = fields.Integer(required=True)
    service_date = Day(allow_none=True, required=True)
    description = fields.String(required=True)
    quantity = DecimalText(required=True)
    rate = DecimalText(required=True)
    amount = Money(required=True)
    po_id = fields.Integer(allow_none=True, required=True)
    po_line_id = fields.Integer(allow_none=True, required=True)
    po_number = fields.String(allow_none=True, required=True)


class DocumentSchema(Schema):
    id = fields.Integer(required=True)
    debtor_id = fields.Integer(required=True)
    document_type_id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "posted", "void"]})
    doc_date = Day(required=True)
    bill_from = Day(allow_none=True, required=True)
    bill_to = Day(allow_none=True, required=True)
    po_number = fields.String(allow_none=True, required=True)
    total = Money(required=True, metadata={
        "description": "the document's total, signed as the pages and exports show it (a credit memo's is negative, "
                       "so totals add up to what is billed); when `hidden_lines` is not 0 (a user limited to "
                       "branches), the total of the lines you may see only (on your branches' jobs or on no job), not "
                       "the document's"})
    hidden_lines = fields.Integer(required=True, metadata={
        "description": "the document's lines on other branches' jobs, left out of `lines` and of `total`"})


class DocumentDetailSchema(DocumentSchema):
    notes = fields.String(required=True)
    lines = fields.List(fields.Nested(DocumentLineSchema), required=True,
                        metadata={"description": "the lines on jobs you may see (and those on no job)"})


class PostInput(Strict):
    confirm = fields.Boolean(load_default=False, metadata={"description": "post despite the warnings (409) shown"})
    override = fields.Boolean(load_default=False,
                              metadata={"description": "post past a blocked budget (needs po_override_budget)"})
    seen = fields.String(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "the `seen` of the 409 whose warnings you confirm: `confirm` and `override` count only with "
                       "it and only while the check is still the same (else another 409 with the check as it "
                       "is now)"})


class PostedSchema(Schema):
    document = fields.Nested(DocumentDetailSchema, required=True)
    overridden = fields.Boolean(required=True)
    alerts = fields.List(fields.String(), required=True)


class DocumentTypeSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    bucket = fields.String(required=True)
    active = fields.Boolean(required=True)


class BillCodeSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)


# ----- reports -----

class SpendQuery(PageQuery):
    debtor_id = QueryId()


class SpendDocumentSchema(Schema):
    document_id = fields.Integer(required=True)
    number = fields.String(required=True)
    doc_date = Day(required=True)
    type_name = fields.String(required=True)
    amount = Money(required=True)


class SpendRowSchema(Schema):
    debtor_id = fields.Integer(required=True)
    po_number = fields.String(required=True)
    used = Money(required=True)
    commitments = Money(required=True)
    estimates = Money(required=True)
    documents = fields.Integer(required=True)
    budgeted = fields.Boolean(required=True, metadata={
        "description": "true: a PO of the number funds at least one of its documents (budgeted_documents says how "
                       "many); false: a number typed on the fly, on no budget"})
    budgeted_documents = fields.Integer(required=True, metadata={
        "description": "of `documents`, those drawing on a PO of the number; the others carry it typed on the fly "
                       "and draw on no budget"})
    budget = fields.String(required=True, metadata={
        "description": "what funds the row, as the page says it: 'PO budget', 'on the fly', or 'PO budget and on "
                       "the fly (N of M documents on the budget)'"})
    latest_documents = fields.List(fields.Nested(SpendDocumentSchema), required=True)


class SpendTotalsSchema(Schema):
    used = Money(required=True)
    commitments = Money(required=True)
    estimates = Money(required=True)
    documents = fields.Integer(required=True)


class SpendPageSchema(Schema):
    items = fields.List(fields.Nested(SpendRowSchema), required=True)
    page = fields.Nested(PageInfo, required=True)
    totals = fields.Nested(SpendTotalsSchema, required=True)


