from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.blueprints.forms import VersionedForm, int_or_none


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(VersionedForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = StringField("E-mail", validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password", validators=[Optional(), Length(min=10, max=256)])
    active = BooleanField("Active", default=True)
    roles = MultiCheckboxField("Roles", coerce=int_or_none)
    branches = MultiCheckboxField("Limited to branches (none ticked: every branch)", coerce=int_or_none)


class RoleForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Length(max=400)])


class BranchForm(VersionedForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=20)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
