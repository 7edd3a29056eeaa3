"""Bearer-token sign-in for the REST API; the portal's session cookie is never read there.

The hook runs before every other request hook, so nothing can load the signed-in user from the
cookie first: on /api/ the user is the token's, or nobody. Permission checks stay the portal's own
(`@requires`, the services' branch and ownership rules) because they ask `current_user`.
"""
from __future__ import annotations

from flask import Flask, g
from flask_login import AnonymousUserMixin

from portal.api.problems import is_api_request, problem
from portal.extensions import db

REASONS = {
    "unknown": "That token is not valid.",
    "expired": "That token has expired; create a new one on your API tokens page.",
    "revoked": "That token has been revoked.",
    "inactive user": "The token's user is no longer active.",
}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="po-portal"'}


def identify():
    """On /api/: the token's user for this request only, or nobody (never the cookie's user).
    Runs first of all hooks; a refusal is answered by `refuse_unidentified`, after the portal's
    own request checks (control characters) and the request log's timer have run."""
    if not is_api_request():
        return None
    from flask import request

    from portal.services import api_tokens

    g._login_user = AnonymousUserMixin()  # whatever the cookie says, this request is nobody's yet
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        g.api_refusal = "Send a personal API token: Authorization: Bearer <token>."
        return None
    user, why = api_tokens.resolve(db.session, secret.strip())
    if user is None:
        db.session.rollback()
        g.api_refusal = REASONS.get(why, REASONS["unknown"])
        return None
    g._login_user = user
    db.session.info["actor_id"] = user.id
    return None


def refuse_unidentified():
    """401 problem for an API request without a usable token."""
    if is_api_request() and g.get("api_refusal"):
        return problem(401, g.api_refusal, kind="unauthorized", headers=CHALLENGE)
    return None


def init_app(app: Flask) -> None:
    # first of all request hooks: nothing may read the cookie's user on /api/ before this runs
    app.before_request_funcs.setdefault(None, []).insert(0, identify)
    app.before_request(refuse_unidentified)
