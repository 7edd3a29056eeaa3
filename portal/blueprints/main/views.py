from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.authz import public, requires, signed_in
from portal.extensions import db
from portal.ops.readiness import ping
from portal.services.purchase_orders import ATTENTION_DAYS, RUNS_OUT_DAYS, balance_figures
from portal.services.start import UNASSIGNED_SHOWN, start_page, unassigned_jobs

bp = Blueprint("main", __name__)


@bp.get("/")
@signed_in
def home():
    return render_template("main/home.html", start=start_page(db.session, current_user, date.today()),
                           figures=balance_figures, attention_days=ATTENTION_DAYS, runs_out_days=RUNS_OUT_DAYS)


@bp.get("/start/unassigned-jobs")
@requires("job_orders", "view")
def unassigned():
    """The start page's count of active jobs without a PO, loaded after the page."""
    return render_template("main/_unassigned.html", count=unassigned_jobs(db.session, current_user, date.today()),
                           shown=UNASSIGNED_SHOWN, tile=request.args.get("tile") == "1")


@bp.get("/health")
@public
def health():
    ping(db.session)
    return {"status": "ok"}
