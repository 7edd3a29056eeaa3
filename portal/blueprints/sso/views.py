"""Sign-in through the company's OpenID Connect provider, and the administrator's group mapping."""
from __future__ import annotations

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user

from portal.authz import public, requires
from portal.blueprints.auth.views import _safe_next
from portal.extensions import db, limiter
from portal.services import oidc, security
from portal.services.errors import NotFound, ValidationFailed
from portal.web import sign_in_user

bp = Blueprint("sso", __name__)
# the sign-in routes exist only when a provider is configured: nothing to probe otherwise
login_bp = Blueprint("sso_login", __name__)
NEXT_KEY = "sso_next"


def init_app(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER and OIDC_CLIENT_ID are set; guard local sign-in."""
    if app.config.get("OIDC_ISSUER") and app.config.get("OIDC_CLIENT_ID"):
        oauth = OAuth(app)
        oauth.register(
            "company", client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config.get("OIDC_CLIENT_SECRET"),
            server_metadata_url=app.config["OIDC_ISSUER"] + "/.well-known/openid-configuration",
            client_kwargs={"scope": app.config["OIDC_SCOPES"]})
        app.extensions["portal_oidc"] = oauth
        app.register_blueprint(login_bp)

    @app.before_request
    def _local_sign_in_off():
        if (request.endpoint == "auth.login" and request.method == "POST"
                and not app.config.get("LOCAL_LOGIN_ENABLED", True)):
            abort(403)

    @app.context_processor
    def _sign_in_options():
        return {"sso_enabled": "portal_oidc" in app.extensions, "sso_label": app.config.get("OIDC_LABEL"),
                "local_login_enabled": app.config.get("LOCAL_LOGIN_ENABLED", True)}


def _client():
    oauth = current_app.extensions.get("portal_oidc")
    if oauth is None:
        abort(404)
    return oauth.company


@login_bp.get("/login/sso")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@public
def start():
    client = _client()
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session[NEXT_KEY] = _safe_next(request.args.get("next"))
    return client.authorize_redirect(url_for("sso_login.callback", _external=True))


@login_bp.get("/login/sso/callback")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@public
def callback():
    client = _client()
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        groups_claim = current_app.config["OIDC_GROUPS_CLAIM"]
        if groups_claim not in claims:  # some providers put groups only in the userinfo answer
            claims.update(client.userinfo(token=token))
    except (OAuthError, ValueError, KeyError) as exc:
        current_app.logger.warning("single sign-on refused by the protocol: %s", exc)
        return render_template("sso/refused.html", message="Signing in with your company account did not "
                               "complete. Try again from the sign-in page."), 400
    try:
        user = oidc.sign_in(db.session, issuer=current_app.config["OIDC_ISSUER"], claims=claims,
                            groups_claim=groups_claim)
    except oidc.SignInRefused as exc:
        return render_template("sso/refused.html", message=str(exc)), 403
    next_url = _safe_next(session.pop(NEXT_KEY, None))
    sign_in_user(user)  # a fresh cookie on a new server-side session (no fixation)
    return redirect(next_url)


@bp.route("/admin/sso-groups", methods=["GET", "POST"])
@requires("security")
def groups():
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            oidc.add_mapping(db.session, actor=current_user, group_name=request.form.get("group_name", ""),
                             role_id=_id(request.form.get("role_id")), branch_id=_id(request.form.get("branch_id")))
            flash("Group mapped.", "success")
            return redirect(url_for("sso.groups"), 303)
        except ValidationFailed as exc:
            errors = exc.errors
    return render_template("sso/groups.html", mappings=oidc.list_mappings(db.session), errors=errors,
                           roles=security.all_roles(db.session), branches=security.all_branches(db.session),
                           form=request.form if request.method == "POST" else {}), 200


@bp.post("/admin/sso-groups/<int:mapping_id>/delete")
@requires("security")
def delete_group(mapping_id: int):
    try:
        oidc.delete_mapping(db.session, mapping_id, actor=current_user)
    except NotFound:
        abort(404)
    flash("Mapping removed.", "success")
    return redirect(url_for("sso.groups"), 303)


def _id(raw: str | None) -> int | None:
    """A posted id; anything that is not one (text, huge, NUL) is None and the service says so."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 2**31 - 1:
        return -1  # matches nothing: "choose from the list"
    return int(raw)
