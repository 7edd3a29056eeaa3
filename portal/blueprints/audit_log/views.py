"""The administrator's audit log (item `security`): every change, filtered, paged, exported as CSV."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user

from portal.authz import requires
from portal.blueprints import exporting
from portal.domain import formatting
from portal.extensions import db
from portal.htmx import render
from portal.services import audit_log
from portal.services.job_visibility import branch_limit

bp = Blueprint("audit_log", __name__, url_prefix="/audit-log")

MAX_ID = 2**63 - 1


def _filters() -> tuple[audit_log.AuditFilter, dict[str, str], list[str]]:
    """The filter from the query string; anything malformed is dropped with a message, never an error."""
    args = {k: (request.args.get(k) or "").strip()[:200] for k in
            ("user", "type", "record", "action", "from", "to", "q")}
    errors = []
    for key, value in list(args.items()):
        if "\x00" in value:
            errors.append("Filters cannot contain NUL characters.")
            args[key] = ""
    record = None
    if args["record"]:
        if args["record"].isdigit() and int(args["record"]) <= MAX_ID:
            record = int(args["record"])
        else:
            errors.append("Record id must be a whole number.")
            args["record"] = ""
    if args["type"] and args["type"] not in audit_log.record_types(db.session):
        errors.append("Choose a record type from the list.")
        args["type"] = ""
    if args["action"] and args["action"] not in audit_log.ACTIONS:
        errors.append("Choose an action from the list.")
        args["action"] = ""
    dates = {}
    for key in ("from", "to"):
        dates[key] = formatting.typed_day(args[key])
        if args[key] and dates[key] is None:
            errors.append(f"'{args[key]}' is not a date (YYYY-MM-DD).")
            args[key] = ""
    branch_ids = branch_limit(current_user)
    f = audit_log.AuditFilter(username=args["user"], entity_type=args["type"], entity_id=record,
                              action=args["action"], date_from=dates["from"], date_to=dates["to"], text=args["q"],
                              branch_ids=frozenset(branch_ids) if branch_ids is not None else None)
    return f, {k: v for k, v in args.items() if v}, errors


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 8 else 1


@bp.get("/")
@requires("security")
def index():
    f, params, errors = _filters()
    page = audit_log.search(db.session, f, _page_number(), current_app.config["PAGE_SIZE"])
    return render("audit_log/index.html", "audit_log/_rows.html", page=page, params=params, errors=errors,
                  record_types=audit_log.record_types(db.session), actions=audit_log.ACTIONS)


@bp.get("/export.csv")
@requires("security")
def export():
    f, _, _ = _filters()  # the request's filter (its branch limit too), read again on the stream's own session
    return exporting.send(lambda session, user: audit_log.export(session, f), "csv")
