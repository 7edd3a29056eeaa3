"""The REST API under /api/v1 (flask-smorest: marshmallow schemas, an OpenAPI 3 document).

Signed in by personal API tokens only (portal/api/auth.py); every view declares its permission with
the portal's own `@requires` / `@signed_in`, outside argument parsing so a role without the grant
hears 403 before anything is read; errors are problem+json (portal/api/problems.py). The views call
the same services as the pages, so every rule is written once. Building blocks: portal/api/base.py.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.api import auth, core, debtors, documents, jobs, purchase_orders
    from portal.api.base import API_TITLE, API_VERSION, PortalApi
    from portal.extensions import csrf

    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", None)  # served by core.openapi_json, behind a token
    api = PortalApi()
    api.init_app(app, spec_kwargs={
        "info": {"description": "The PO Portal's REST API. Send `Authorization: Bearer <token>` (a personal API "
                                "token from *API tokens* in the portal's header). Errors are application/problem+json."},
        "security": [{"bearer": []}],
        "servers": [{"url": "/"}],
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blp in (core.blp, debtors.blp, purchase_orders.blp, jobs.blp, documents.blp):
        api.register_blueprint(blp)
        csrf.exempt(blp)  # no cookie is read on /api/: a forged cross-site request carries no token
    app.extensions["portal_api"] = api
    auth.init_app(app)

