from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.authz import public, signed_in
from portal.blueprints.auth.forms import LoginForm
from portal.extensions import db, limiter
from portal.services.security import LoginPolicy, authenticate

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
            session.clear()  # no fixation: a fresh session for the signed-in user
            login_user(user)
            session.permanent = True
            return redirect(next_url)
        form.form_errors = ["Wrong username or password, or the account is locked. Try again later."]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
