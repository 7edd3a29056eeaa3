from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.blueprints.forms import SelectField, VersionedForm


class DebtorForm(VersionedForm):
    code = StringField("Code", validators=[DataRequired("Enter a code."), Length(max=20)])
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=200)])
    enforce_purchase_orders = BooleanField("Enforce purchase orders (every job order must be assigned a PO)")
    over_budget_policy = SelectField(
        "When a posting goes over a PO budget",
        choices=[("warn", "Warn, then allow after confirmation"), ("block", "Block (unless overridden)")],
    )
    active = BooleanField("Active", default=True)
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
