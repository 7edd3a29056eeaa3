from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from portal.authz import signed_in
from portal.blueprints import exporting
from portal.blueprints.forms import page_arg
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.services import notifications as service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/", strict_slashes=False)
@signed_in
def index():
    unread_only = request.args.get("unread") == "1"
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.notifications_export(s, u, unread_only=unread_only), fmt)
    page = service.list_for(db.session, current_user.id, unread_only=unread_only,
                            page=page_arg(request.args.get("page")), per_page=current_app.config["PAGE_SIZE"])
    return render("notifications/index.html", "notifications/_rows.html", page=page, unread_only=unread_only)


@bp.post("/<int:notification_id>/read")
@signed_in
def read(notification_id: int):
    if not service.mark_read(db.session, current_user.id, notification_id):
        abort(404)  # not yours, unknown, or already read
    current_user.unread_notifications = None  # the count read with the session is out of date
    return redirect_to(url_for("notifications.index"))


@bp.post("/read-all")
@signed_in
def read_all():
    service.mark_read(db.session, current_user.id)
    current_user.unread_notifications = None
    return redirect_to(url_for("notifications.index"))
