"""A signed-in user's personal API tokens (create, shown once; revoke) and the API's browsable docs."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal.authz import signed_in
from portal.blueprints.forms import DateField, apply_errors
from portal.extensions import db
from portal.services import api_tokens as service
from portal.services.errors import ValidationFailed

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)],
                       render_kw={"placeholder": "what uses it, e.g. billing sync", "autocomplete": "off"})
    expires_on = DateField("Works until (inclusive)", validators=[Optional()])


def _page(form: TokenForm, secret: str | None = None, status: int = 200):
    return render_template("api_tokens/index.html", form=form, tokens=service.list_tokens(db.session, current_user),
                           secret=secret, now=service._now()), status


@bp.get("/tokens")
@signed_in
def index():
    form = TokenForm()
    form.expires_on.data = date.today() + timedelta(days=90)
    return _page(form)


@bp.post("/tokens")
@signed_in
def create():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _, secret = service.create(db.session, current_user, name=form.name.data or "",
                                       expires_on=form.expires_on.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            fresh = TokenForm(formdata=None)
            fresh.expires_on.data = date.today() + timedelta(days=90)
            return _page(fresh, secret=secret)  # shown this once; never stored, never in a redirect
    if form.expires_on.raw_data and form.expires_on.raw_data[0] and form.expires_on.data is None:
        form.expires_on.errors = ["Enter the date as YYYY-MM-DD."]
    return _page(form)


@bp.post("/tokens/<int:token_id>/revoke")
@signed_in
def revoke(token_id: int):
    token = service.revoke(db.session, current_user, token_id)
    flash(f"Token {token.name} revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.index"))


@bp.get("/docs")
@signed_in
def docs():
    """Swagger UI over the API's OpenAPI document (vendored, no inline script: CSP unchanged)."""
    return render_template("api_tokens/docs.html")


@bp.get("/docs/openapi.json")
@signed_in
def docs_spec():
    """The OpenAPI document for the docs page (read with the portal session; the API itself takes tokens only)."""
    from portal.api.base import spec_of

    return jsonify(spec_of(current_app))
