from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from portal.authz import public, signed_in
from portal.extensions import db
from portal.services.purchase_orders import ATTENTION_DAYS, balance_figures
from portal.services.start import start_page

bp = Blueprint("main", __name__)


@bp.get("/")
@signed_in
def home():
    return render_template("main/home.html", start=start_page(db.session, current_user, date.today()),
                           figures=balance_figures, attention_days=ATTENTION_DAYS)


@bp.get("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
