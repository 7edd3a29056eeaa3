"""Lists as downloads: `?format=csv|xlsx` on a list's own URL (so the permission, the filters and the
sort are the page's), answered by streaming the export the services build."""
from __future__ import annotations

import re
from datetime import date

from collections.abc import Callable

from flask import abort, current_app, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.models import User
from portal.services import exports
from portal.services.exports import Export

Build = Callable[[Session, User], Export]  # the export, from a session and the user it is for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SKIPPED_ARGS = ("page", "before", "format")


def requested_format() -> str | None:
    """'csv' or 'xlsx' when the list is asked for as a file; None for the page. Another value is a 404."""
    fmt = request.args.get("format")
    if fmt in (None, ""):
        return None
    if fmt not in exports.FORMATS:
        abort(404)
    return fmt


def export_url(fmt: str) -> str:
    """This page's URL with its current query string (less the pager's and blank fields), asking for `fmt`."""
    args = {k: v for k, v in request.args.items() if k not in SKIPPED_ARGS and v != ""}
    return url_for(request.endpoint, **(request.view_args or {}), **args, format=fmt)


def send(build: Build, fmt: str) -> Response:
    """The export as a download. CSV is streamed line by line after the view returns, so it reads on
    its own session (the request's is gone by then) with the user loaded again there; XLSX is
    written to a temporary file first, on the request's session, and streamed from the file."""
    if fmt == "csv":
        # the name (and the title's look-ups) from a build on the request's session; its rows are never read
        name = _filename(build(db.session, current_user._get_current_object()), fmt)
        response = current_app.response_class(exports.csv_lines_on_own_session(db.engine, current_user.id, build),
                                              mimetype="text/csv")
    else:
        export = build(db.session, current_user._get_current_object())
        fh = exports.xlsx_file(export)
        size = fh.seek(0, 2)
        fh.seek(0)
        response = current_app.response_class(exports.file_chunks(fh), mimetype=XLSX, direct_passthrough=True)
        response.content_length = size
        name = _filename(export, fmt)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _filename(export: Export, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", export.filename(fmt, date.today()))
