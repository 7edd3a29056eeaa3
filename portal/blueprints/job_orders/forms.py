from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.blueprints.forms import DateField, DebtorField, SelectField, VersionedForm, int_or_none
from portal.domain.assignment import Target


def parse_target(value: str | None) -> Target | None:
    """'po:12' / 'group:3' -> Target; blank -> None; anything else -> an impossible target (refused)."""
    if not value:
        return None
    kind, _, raw = value.partition(":")
    number = int_or_none(raw)
    return Target(kind, number) if kind in ("po", "group") and number and number > 0 else Target("po", -1)


class JobForm(VersionedForm):
    title = StringField("Title", validators=[DataRequired("Enter the job title."), Length(max=200)])
    # chosen or not is said with the form's other problems (the service said it only once the dates were right)
    debtor_id = DebtorField("Debtor", validators=[DataRequired("Choose the debtor.")])
    branch_id = SelectField("Branch", coerce=int_or_none, validate_choice=False,
                            validators=[DataRequired("Choose one of your branches.")])
    site = StringField("Site", validators=[Length(max=120)])
    start_date = DateField("Date to start", validators=[InputRequired("Enter the start date (YYYY-MM-DD).")])
    discontinued_date = DateField("Date discontinued", validators=[Optional()])
    consultant_id = SelectField("Consultant", coerce=int_or_none, validate_choice=False)
    po_choice = SelectField("Purchase order or PO group", validate_choice=False)
    po_reference = StringField("…or type a PO number (no budget: reporting and invoice grouping only)",
                               validators=[Length(max=50)])
