"""Who the token acts as, and the OpenAPI document."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user

from portal.api.base import errors, new_blueprint, spec_of
from portal.api.schemas import MeSchema
from portal.authz import signed_in

blp = new_blueprint("api_core", "", "Your token", "The token's user and this API's OpenAPI document.")


@blp.get("/me")
@signed_in
@errors(blp)
@blp.response(200, MeSchema)
def me():
    """The user the token acts as: roles, grants and branches (empty: every branch)."""
    from portal.authz import CATALOGUE

    return {"id": current_user.id, "username": current_user.username, "full_name": current_user.full_name,
            "roles": list(current_user.role_names),
            "grants": {item: g for item in CATALOGUE if (g := current_user.grant_of(item))},
            "branches": list(current_user.branch_codes)}


@blp.get("/openapi.json")
@signed_in
@blp.doc(summary="This OpenAPI 3 document")
@errors(blp)
@blp.response(200)
def openapi_json():
    return jsonify(spec_of(current_app))
