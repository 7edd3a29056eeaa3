from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)], render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                     Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password."), Length(max=256)],
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("New password again", validators=[DataRequired("Enter the new password again."),
                                                                       Length(max=256)],
                                     render_kw={"autocomplete": "new-password"})


class SettingsForm(FlaskForm):
    alert_email = RadioField("Alert e-mails", choices=[], validators=[DataRequired("Choose how alert e-mails reach you.")])
