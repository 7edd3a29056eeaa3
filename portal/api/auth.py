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


def authenticate():
    """On /api/: sign in the token's user for this request only, or answer 401."""
    if not is_api_request():
        return None
    from flask import request

    from portal.services import api_tokens

    g._login_user = AnonymousUserMixin()  # whatever the cookie says, this request is nobody's yet
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return problem(401, "Send a personal API token: Authorization: Bearer <token>.", kind="unauthorized",
                       headers=CHALLENGE)
    user, why = api_tokens.resolve(db.session, secret.strip())
    if user is None:
        db.session.rollback()
        return problem(401, REASONS.get(why, REASONS["unknown"]), kind="unauthorized", headers=CHALLENGE)
    g._login_user = user
    db.session.info["actor_id"] = user.id
    return None


def init_app(app: Flask) -> None:
    # first of all request hooks: nothing may read the cookie's user on /api/ before this runs
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate)
