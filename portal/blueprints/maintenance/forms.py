from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.blueprints.forms import SelectField, VersionedForm, int_or_none


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BillCodeForm(VersionedForm):
    code = StringField("Code", validators=[DataRequired("Enter the code."), Length(max=20)])
    description = StringField("Description", validators=[Length(max=200)])
    active = BooleanField("Active", default=True)


class BillCodeGroupForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=80)])
    description = StringField("Description", validators=[Length(max=200)])
    active = BooleanField("Active", default=True)
    bill_code_ids = MultiCheckboxField("Bill codes in the group", coerce=int_or_none, validate_choice=False)


class DocumentTypeForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=80)])
    code = StringField("Number prefix", validators=[DataRequired("Enter the number prefix."), Length(max=10)])
    bucket = SelectField("Draws on", choices=[("estimate", "Estimates"), ("commitment", "Commitments (orders)"),
                                              ("used", "Used (invoices, credit memos)")], validate_choice=False)
    sign = SelectField("Sign", choices=[("1", "Positive"), ("-1", "Negative (credit memo)")], validate_choice=False)
    sort_order = IntegerField("Sort order", default=0, validators=[Optional(), NumberRange(-10_000, 10_000)])
    active = BooleanField("Active", default=True)


class AlertTemplateForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=80)])
    thresholds = StringField("Thresholds (% of the PO amount, e.g. 75, 90, 100)", validators=[Length(max=200)])
    days_before_expiry = IntegerField("Days before expiry (blank: no expiry alert)",
                                      validators=[Optional(), NumberRange(0, 3650, "Use 0 to 3650 days.")])
    forecast_days = IntegerField("Forecast to run out within N days (blank: no forecast alert)",
                                 validators=[Optional(), NumberRange(1, 365, "Use 1 to 365 days.")])
    role_ids = MultiCheckboxField("Recipients: roles", coerce=int_or_none, validate_choice=False)
    user_ids = MultiCheckboxField("Recipients: users", coerce=int_or_none, validate_choice=False)
    subject = StringField("Subject", validators=[DataRequired("Enter the subject."), Length(max=200)])
    message = TextAreaField("Message", validators=[DataRequired("Enter the message."), Length(max=5000)])
    active = BooleanField("Active", default=True)


class SettingsForm(VersionedForm):
    text = TextAreaField("Assignment prompt message",
                         validators=[DataRequired("Enter the message."), Length(max=1000)])
