"""Opportunities (item `opportunities`, seed 000): the pipeline by owner; lost and reopened."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints import exporting
from portal.blueprints.forms import VersionedForm, int_or_none, page_arg
from portal.extensions import db
from portal.htmx import render
from portal.services import audit, contracts, opportunities as service
from portal.services.debtors import all_debtors
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities")
PER_PAGE = 50


class ChangeForm(VersionedForm):
    """Lose (with a reason) or reopen: CSRF and the row version."""


@bp.get("/", strict_slashes=False)
@requires("opportunities", "view")
def index():
    args = request.args
    status = args.get("status", "open")
    flt = service.PipelineFilter(owner_id=int_or_none(args.get("owner_id")), debtor_id=int_or_none(args.get("debtor_id")),
                                 q=args.get("q", "")[:100],
                                 status=status if status in ("open", "won", "lost", "expired", "all") else "open",
                                 sort=args.get("sort", "amount") if args.get("sort") in service.SORTS else "amount",
                                 mine=args.get("mine") == "1")
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.opportunities_export(s, u, flt), fmt)
    page, totals = service.pipeline(db.session, current_user, flt, page=page_arg(args.get("page")), per_page=PER_PAGE)
    return render("opportunities/index.html", "opportunities/_rows.html", page=page, totals=totals, flt=flt,
                  owners=service.owners(db.session), today=date.today(),
                  debtors=all_debtors(db.session))


@bp.get("/<int:opportunity_id>")
@requires("opportunities", "view")
def detail(opportunity_id: int):
    opp = service.get_opportunity(db.session, current_user, opportunity_id)
    form = ChangeForm()
    form.row_version.data = str(opp.row_version)
    return render("opportunities/detail.html", "opportunities/detail.html", opp=opp,
                  amount=service.amount_of(db.session, opp), form=form, can_manage=service.can_manage(current_user, opp),
                  owner_choices=service.owner_choices(db.session, opp),
                  notes=contracts.notes_of(db.session, opp.contract_id),
                  history=audit.history_of(db.session, "opportunities", opp.id), today=date.today())


def _change(opportunity_id: int, action):
    form = ChangeForm()
    if not form.validate_on_submit():
        flash("The form expired; reload and try again.", "error")
    else:
        try:
            action(form.edited_version())
        except (ValidationFailed, Conflict) as exc:
            flash(str(exc), "error")
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))


@bp.post("/<int:opportunity_id>/lose")
@requires("opportunities", "add_edit")
def lose(opportunity_id: int):
    reason = request.form.get("reason", "")

    def act(version):
        service.lose(db.session, current_user, opportunity_id, reason, expected_version=version)
        flash("Opportunity marked lost.", "success")

    return _change(opportunity_id, act)


@bp.post("/<int:opportunity_id>/owner")
@requires("opportunities", "add_edit")
def hand_over(opportunity_id: int):
    owner_id = int_or_none(request.form.get("owner_id"))

    def act(version):
        opp = service.hand_over(db.session, current_user, opportunity_id, owner_id, expected_version=version)
        flash(f"Opportunity now owned by {opp.owner}.", "success")

    return _change(opportunity_id, act)


@bp.post("/<int:opportunity_id>/reopen")
@requires("opportunities", "add_edit")
def reopen(opportunity_id: int):
    def act(version):
        service.reopen(db.session, current_user, opportunity_id, expected_version=version)
        flash("Opportunity reopened.", "success")

    return _change(opportunity_id, act)


