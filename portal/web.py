"""Request plumbing: sign-in loading, security headers, error pages, template helpers."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, g, has_request_context, jsonify, make_response, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import event
from psycopg.errors import NumericValueOutOfRange
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session as OrmSession
from werkzeug import exceptions as werkzeug_exceptions
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from portal.api.problems import from_http_exception as problem_from_http_exception, is_api_request
from portal.api.problems import problem as api_problem
from portal.authz import CATALOGUE
from portal.blueprints.forms import debtor_options
from portal.domain import formatting

from portal.domain.text import CONTROL_MESSAGE, has_control_characters
from portal.extensions import db, login_manager
from portal.services.errors import Forbidden, NotFound
from portal.services.prepared import end_if_read_only

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")

# (endpoint, label, item, level): the navigation shows what the user's role allows
NAV = [
    ("debtors.index", "Debtors", "debtors", "view"),
    ("purchase_orders.index", "Purchase orders", "purchase_orders", "view"),
    ("job_orders.index", "Job orders", "job_orders", "view"),
    ("assignments.grid", "Assignments", "assignments", "view"),
    ("documents.index", "Documents", "documents", "view"),
    ("maintenance.index", "Maintenance", "maintenance", "view"),
    ("opportunities.index", "Pipeline", "opportunities", "view"),
    ("admin.users", "Users & roles", "security", None),
    ("admin.settings", "Settings", "settings", None),
    ("service_desk.index", "Service desk", "equipment_pricing", "view"),
    ("equipment.index", "Equipment", "equipment_pricing", "view"),
    ("audit_log.index", "Audit log", "security", None),
]
# pages that belong to another blueprint's navigation entry (a Settings tab served by `admin`)
NAV_ALIASES = {"admin.po_pricing": "admin.settings"}
NAV_KEPT = 2_000  # header link sets kept per worker; past it the cache starts again


SESSION_KEY = "sid"  # the cookie's entry holding the server-side session's token


ROW_ID_MARKER = "2147483647"  # the largest id a column holds: no real row has it, and it is all digits


def url_per_row(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, **{key: id}, **values)` for a table's rows, which differ only in their id: the URL
    is built once, and each row's id is put in the marker's place. Werkzeug building three links a row
    was a fifth of a 50-row grid's time."""
    built = url_for(endpoint, **{key: int(ROW_ID_MARKER)}, **values)
    if built.count(ROW_ID_MARKER) != 1:  # another value holds the marker too: build each row's URL itself
        return lambda ident: url_for(endpoint, **{key: int(ident)}, **values)
    head, _, tail = built.partition(ROW_ID_MARKER)
    return lambda ident: f"{head}{int(ident)}{tail}"


def session_policy():
    """The session lifetime and idle limit from the settings."""
    from datetime import timedelta

    from flask import current_app

    from portal.domain.sessions import SessionPolicy

    cfg = current_app.config
    lifetime = cfg["PERMANENT_SESSION_LIFETIME"]
    return SessionPolicy(lifetime=lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime),
                         idle=timedelta(seconds=cfg["SESSION_IDLE_SECONDS"]))


def sign_in_user(user) -> None:
    """Sign `user` in on a fresh cookie backed by a new server-side session (every sign-in path uses this)."""
    from flask import request, session as cookie
    from flask_login import login_user

    from portal.services import sessions

    cookie.clear()  # no fixation: a fresh session for the signed-in user
    token = sessions.start(db.session, user, session_policy(), ip=request.remote_addr or "",
                           user_agent=request.user_agent.string)
    login_user(user)
    cookie[SESSION_KEY] = token
    cookie.permanent = True


def _holds_control_characters(values: MultiDict) -> bool:
    return any(has_control_characters(key) or has_control_characters(value)
               for key, value in values.items(multi=True))


@event.listens_for(OrmSession, "after_commit")
def _note_saved(session) -> None:
    """Remember that this request changed something, so a later failure does not claim nothing was saved."""
    if has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"):
        g.saved = True


def _database_unreachable(err: Exception) -> bool:
    return isinstance(err, (OperationalError, InterfaceError)) or (
        isinstance(err, DBAPIError) and err.connection_invalidated)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(raw: str):
        # the signed cookie names the user, but only a live session row in PostgreSQL signs them in
        from flask import session as cookie

        from portal.services import sessions

        try:
            user_id, version = (int(part) for part in raw.split(":", 1))
        except (TypeError, ValueError):
            return None
        user = sessions.resolve(db.session, cookie.get(SESSION_KEY), user_id, session_policy())
        return user if user is not None and user.session_version == version else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect

        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            response = make_response("", 401)
            response.headers["HX-Redirect"] = url_for("auth.login")
            return response
        return redirect(target)

    @app.before_request
    def _refuse_control_characters():
        """NUL and other control characters are refused here, once, for every query string and
        form (sign-in included): PostgreSQL cannot store NUL, and the rest only hide text."""
        if _holds_control_characters(request.args) or (
                request.method not in ("GET", "HEAD", "OPTIONS") and _holds_control_characters(request.form)):
            abort(400, description=CONTROL_MESSAGE)

    @app.teardown_appcontext
    def _end_read_only(error):
        # before Flask-SQLAlchemy's own teardown (registered earlier, run later) closes the session:
        # a request that wrote nothing commits, so its connection keeps its prepared statements
        if error is None:
            end_if_read_only(db.session())

    @app.before_request
    def _actor():
        # the audit listener reads who is acting from the session (services also set it)
        if current_user.is_authenticated:
            db.session.info["actor_id"] = g.user_id = current_user.id  # g.user_id: the request log's, read after commits

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("HX-Request")
        return response

    def _error_page(status: int, title: str, message: str, *, full: bool = True):
        """The error page in the portal's layout; without the layout when drawing it fails (the
        layout asks the database for the signed-in user), so an error page always answers."""
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=title, message=message), status
        context = {"status": status, "title": title, "message": message}
        if full:
            try:
                return render_template("errors/error.html", **context), status
            except Exception:  # noqa: BLE001 - the error page itself must not fail
                app.logger.exception("the error page could not be drawn in the layout")
                _rollback()
        # straight from the Jinja environment: render_template would run the context processors,
        # and Flask-Login's loads the signed-in user from the database
        return app.jinja_env.get_template("errors/standalone.html").render(**context), status

    def _rollback():
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a dead connection cannot roll back; it is discarded
            app.logger.warning("rollback after an error failed", exc_info=True)

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return _error_page(400, "Form expired", "The form was missing its security token or it expired. "
                           "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if is_api_request():
            return problem_from_http_exception(err)
        titles = {400: "Not accepted", 403: "Not allowed", 404: "Not found", 413: "Too large", 429: "Too many attempts"}
        messages = {
            403: "Your role does not allow this. Ask an administrator if you need it.",
            404: "There is nothing here, or it is not yours to see.",
            413: "That request was too large. Send less at once (or narrow the selection).",
        }
        return _error_page(err.code or 500, titles.get(err.code, err.name),
                           messages.get(err.code, err.description or ""))

    @app.errorhandler(NotFound)
    def _not_found(err: NotFound):
        # a service found no such record, or one the user may not know of (another branch's job)
        db.session.rollback()
        return _http(werkzeug_exceptions.NotFound())

    @app.errorhandler(Forbidden)
    def _forbidden(err: Forbidden):
        # a service's refusal says why (not your PO, not for users limited to branches); a bare one, the role
        db.session.rollback()
        if not str(err) or is_api_request():
            return _http(werkzeug_exceptions.Forbidden(description=str(err) or None))
        return _error_page(403, "Not allowed", str(err))

    @app.errorhandler(DataError)
    def _too_large(err: DataError):
        # a figure past what its column holds (a PO's balance, its day's or a PO number's totals; an amount no form
        # checked) is refused by PostgreSQL in the transaction that would write it: nothing is written
        if not isinstance(err.orig, NumericValueOutOfRange) or g.get("saved"):
            return _unexpected(err)
        app.logger.warning("refused, too large to record: %s", err.orig)
        _rollback()
        message = ("A figure this change would record is larger than the portal can hold. Nothing was saved; "
                   "check the amounts and quantities.")
        if is_api_request():
            return api_problem(422, message)
        return _error_page(422, "Too large to record", message)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error")
        _rollback()
        if is_api_request():
            if _database_unreachable(err):
                return api_problem(503, "The database is unavailable; nothing was saved. Try again in a minute.",
                                   headers={"Retry-After": "30"})
            return api_problem(500, "The error was logged." + (" The change was saved." if g.get("saved") else
                                                                " Nothing was saved."))
        if g.get("saved"):
            # committed before the failure (e.g. while redirecting): saying "nothing was saved" would
            # invite the user to do it twice
            return _error_page(500, "Saved, but the page failed",
                               "Your change was saved, but the next page could not be shown. Open the record "
                               "to check it before you try again. The error was logged.", full=not _database_unreachable(err))
        if _database_unreachable(err):
            response = make_response(_error_page(
                503, "Database unavailable", "The portal cannot reach its database just now (it may be "
                "restarting). Nothing was saved; try again in a minute.", full=False))
            response.headers["Retry-After"] = "30"
            return response
        return _error_page(500, "Something went wrong", "The error was logged; nothing was saved.")

    kept_nav: dict[tuple, Markup] = {}  # this app's header links, per worker (site_nav below)

    @app.context_processor
    def _helpers():
        def nav_items():
            if not current_user.is_authenticated:
                return []
            return [(ep, label) for ep, label, item, level in NAV
                    if ep.split(".")[0] in app.blueprints and current_user.can(item, level)]

        def nav_current(endpoint: str) -> bool:
            """The navigation entry of this page: its own entry, else the first entry of its blueprint."""
            here = NAV_ALIASES.get(request.endpoint or "", request.endpoint or "")
            if here == endpoint or any(here == ep for ep, *_ in NAV):
                return here == endpoint
            blueprint = endpoint.split(".")[0]
            return here.split(".")[0] == blueprint and next(ep for ep, *_ in NAV if ep.startswith(blueprint + ".")) == endpoint

        def unread_notifications() -> int:
            from portal.services.notifications import unread_count

            if not current_user.is_authenticated:
                return 0
            if current_user.unread_notifications is None:  # not read with the session row
                current_user.unread_notifications = unread_count(db.session, current_user.id)
            return current_user.unread_notifications

        from portal.services.notifications import UNREAD_SHOWN

        def site_nav() -> Markup:
            """The header's links: drawn once per page, unread count and set of grants, then kept (a fifth of a
            millisecond of every page was Werkzeug building the same twenty links)."""
            here, unread = request.endpoint or "", unread_notifications()
            principal = current_user.principal
            key = (request.script_root, here, min(unread, UNREAD_SHOWN + 1),
                   frozenset(principal.grants.items())) if principal is not None else None
            drawn = kept_nav.get(key) if key is not None else None
            if drawn is None:
                drawn = Markup(app.jinja_env.get_template("_site_nav.html").render(
                    nav_items=nav_items(), nav_current=nav_current, here=here, unread_shown=UNREAD_SHOWN,
                    unread_notifications=lambda: unread))
                if key is not None:
                    if len(kept_nav) >= NAV_KEPT:
                        kept_nav.clear()
                    kept_nav[key] = drawn
            return drawn

        return {"nav_items": nav_items, "nav_current": nav_current, "catalogue": CATALOGUE, "site_nav": site_nav,
                "unread_notifications": unread_notifications, "unread_shown": UNREAD_SHOWN}

    # the one set of display formats: every template shows money, dates, percentages and counts through these
    app.jinja_env.filters["money"] = formatting.money
    app.jinja_env.filters["pct"] = formatting.percent
    app.jinja_env.filters["quantity"] = formatting.quantity
    app.jinja_env.filters["input_rate"] = formatting.input_rate
    app.jinja_env.filters["rate"] = formatting.rate
    app.jinja_env.filters["input_amount"] = formatting.input_amount
    app.jinja_env.filters["day"] = formatting.day
    app.jinja_env.filters["moment"] = formatting.moment
    app.jinja_env.filters["plural"] = formatting.plural
    app.jinja_env.globals["verb"] = formatting.verb
    app.jinja_env.globals["debtor_options"] = debtor_options
    from portal.services.document_choices import job_label, po_label

    app.jinja_env.globals["job_label"] = job_label  # the line editor's typed boxes and their suggestions
    app.jinja_env.globals["po_label"] = po_label

    def readable_history(entries):
        """History rows with labels and record names (a global: the history macro is imported without context)."""
        from portal.services.history_labels import readable

        return readable(db.session, entries, current_user if current_user.is_authenticated else None)

    app.jinja_env.globals["readable_history"] = readable_history
    from portal.blueprints.exporting import export_url

    app.jinja_env.globals["export_url"] = export_url  # a global: imported macros see no context
    app.jinja_env.globals["url_per_row"] = url_per_row
    from portal.domain.assignment import typed_name

    app.jinja_env.globals["typed_name"] = typed_name

    def assignment_prompt() -> str:
        """The assignment prompts' message, read only where a prompt is drawn (most panels draw none)."""
        from portal.services.settings import assignment_prompt as read

        return read(db.session)

    app.jinja_env.globals["assignment_prompt"] = assignment_prompt
