from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import text

from portal.authz import public, signed_in
from portal.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@signed_in
def home():
    return render_template("main/home.html")


@bp.get("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
