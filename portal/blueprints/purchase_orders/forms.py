from __future__ import annotations

from flask import Request
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.blueprints.forms import DateField, DebtorField, SelectField, VersionedForm, int_or_none
from portal.domain.purchase_orders import KINDS, LineInput, POInput, money_errors, parse_money


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class POForm(VersionedForm):
    debtor_id = DebtorField("Debtor")
    number = StringField("PO number", validators=[DataRequired("Enter the PO number."), Length(max=50)])
    kind = SelectField("Kind", choices=list(KINDS.items()), validate_choice=False)
    description = StringField("Description", validators=[Length(max=200)])
    effective = DateField("Effective date", validators=[InputRequired("Enter the effective date (YYYY-MM-DD).")])
    expiration = DateField("Expiration date", validators=[InputRequired("Enter the expiration date (YYYY-MM-DD).")])
    amount = StringField("Amount")
    tolerance_pct = StringField("Tolerance % (blank: no yellow warning)")
    group_id = SelectField("PO group", coerce=int_or_none, validate_choice=False)
    alert_template_id = SelectField("Alert template", coerce=int_or_none, validate_choice=False)
    document_type_ids = MultiCheckboxField("Eligible document types (none ticked: all)", coerce=int_or_none,
                                           validate_choice=False)
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
    confirmed = BooleanField("I have read the notices above and want to save anyway")

    # the domain's own rules, checked with the form's so that one submit says everything wrong (an empty
    # form said nothing of the amount until the dates were fixed)
    def validate_amount(self, field):
        if self.kind.data != "multi_line_master" and (problems := money_errors(parse_money(field.data))):
            raise ValidationError(problems[0])

    def validate_tolerance_pct(self, field):
        if not field.data:
            return
        value = parse_money(field.data)
        if value is None:
            raise ValidationError("Enter the tolerance as a number between 0 and 100, or leave it blank.")
        if not 0 <= value <= 100:
            raise ValidationError("The tolerance must be between 0 and 100 percent (or blank for no warning).")


def lines_from(request: Request) -> tuple[tuple[LineInput, ...], tuple[int | None, ...], tuple[str, ...]]:
    """The master-line editor's rows (parallel lists), blank rows skipped, and each kept row's budget as
    typed: a form shown again shows what was typed (1000.005 or abc), never the parsed value rounded
    or blanked. The texts are kept whole; too long is refused with a message (domain.line_errors)."""
    form = request.form
    ids, budgets = form.getlist("line_id"), form.getlist("line_budget")
    groups, secondaries = form.getlist("line_group"), form.getlist("line_secondary")
    descriptions = form.getlist("line_description")
    lines, line_ids, typed = [], [], []
    for i in range(max(len(budgets), len(groups), len(secondaries), len(descriptions))):
        budget = budgets[i] if i < len(budgets) else ""
        group = groups[i] if i < len(groups) else ""
        secondary = secondaries[i] if i < len(secondaries) else ""
        desc = descriptions[i] if i < len(descriptions) else ""
        if not (budget.strip() or group.strip() or secondary.strip() or desc.strip()):
            continue
        lines.append(LineInput(parse_money(budget), int_or_none(group), secondary, desc))
        line_ids.append(int_or_none(ids[i]) if i < len(ids) else None)
        typed.append(budget)
    return tuple(lines), tuple(line_ids), tuple(typed)


def po_input(form: POForm, lines: tuple[LineInput, ...]) -> POInput:
    return POInput(
        number=form.number.data or "", kind=form.kind.data or "", effective=form.effective.data,
        expiration=form.expiration.data, amount=parse_money(form.amount.data),
        description=form.description.data or "", notes=form.notes.data or "",
        tolerance_pct=parse_money(form.tolerance_pct.data), group_id=form.group_id.data,
        alert_template_id=form.alert_template_id.data,
        document_type_ids=tuple(t for t in (form.document_type_ids.data or []) if t is not None),
        lines=lines,
    )


class GroupForm(VersionedForm):
    description = StringField("Description", validators=[DataRequired("Enter a description."), Length(max=200)])
    active = BooleanField("Active (offered on POs and for assignment)", default=True)


__all__ = ["POForm", "GroupForm", "lines_from", "po_input", "Optional"]
