from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from portal.domain import formatting
from portal.authz import public, signed_in
from portal.blueprints.auth.forms import LoginForm, PasswordForm, SettingsForm
from portal.blueprints.forms import apply_errors
from portal.extensions import db, limiter
from portal.services import sessions
from portal.services.errors import ValidationFailed
from portal.services.security import LoginPolicy, authenticate
from portal.web import SESSION_KEY, sign_in_user

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    # browsers read "/\\host" as "//host", and drop tabs and newlines: refuse backslashes and control characters
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        policy = LoginPolicy(current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"])
        user = authenticate(db.session, form.username.data, form.password.data, policy)
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            sign_in_user(user)
            return redirect(next_url)
        form.form_errors = ["Wrong username or password, or the account is locked. Try again later."]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    sessions.end(db.session, session.get(SESSION_KEY))  # a copy of the cookie stops working too
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    """The signed-in user changes their own password; their other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            ended = sessions.change_own_password(
                db.session, current_user, current=form.current_password.data, new=form.new_password.data,
                confirm=form.confirm_password.data, keep_token=session.get(SESSION_KEY))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash("Password changed." + (f" Signed out of {formatting.plural(ended, 'other session')}." if ended else ""), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/account/settings", methods=["GET", "POST"])
@signed_in
def settings():
    """The signed-in user's own settings: alert e-mails one by one or as a daily digest."""
    from portal.services import digest

    form = SettingsForm()
    form.alert_email.choices = list(digest.PREFERENCES)
    if request.method == "GET":
        form.alert_email.data = current_user.alert_email
    elif form.validate_on_submit():
        try:
            digest.set_preference(db.session, current_user, form.alert_email.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form)
