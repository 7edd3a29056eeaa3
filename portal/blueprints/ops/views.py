"""Health endpoints for load balancers and monitors: no sign-in, nothing leaked."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from portal.authz import public
from portal.extensions import db
from portal.ops.readiness import readiness

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public
def healthz():
    """The process is up and answering (no database call)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """The database answers and its schema is at the migrations' head; 503 otherwise."""
    ready = readiness(db, current_app.extensions["migrate"].directory)
    if not ready:
        db.session.rollback()
    return jsonify(status="ready" if ready else "not ready"), 200 if ready else 503
