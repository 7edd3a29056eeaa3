"""One log line per request: request id, user, method, path, status, duration, worker pid (JSON with LOG_FORMAT=json).

The request id comes from a trusted proxy's X-Request-ID when it looks like one, else is made here;
it is sent back in the X-Request-ID header and shown on error pages so a user can quote it.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, request

LOGGER_NAME = "portal.requests"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "remote_addr", "pid")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for key in _FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(log_format: str, level: str = "INFO") -> logging.Logger:
    """The request logger writes to stderr (gunicorn and systemd collect it), text or JSON."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    logger.propagate = False
    for handler in list(logger.handlers):
        if getattr(handler, "_portal", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._portal = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def new_request_id(offered: str | None) -> str:
    """The proxy's id when it is a plausible token, else a fresh one (never a forged log line)."""
    if offered and _REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    logger = configure_logging(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))

    def _start():
        g.request_id = new_request_id(request.headers.get("X-Request-ID"))
        g.request_started = time.perf_counter()

    # first of all before-request functions: a request refused early (CSRF) still has its id and time
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _log(response):
        from flask_login import current_user

        request_id = g.get("request_id") or new_request_id(None)
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        user_id = g.get("user_id")  # set before the view: reading current_user after a commit reloads it
        if user_id is None:  # signed in by this very request, or not at all
            try:
                user_id = current_user.id if current_user.is_authenticated else None
            except Exception:  # a broken session must not stop the log line
                user_id = None
        response.headers["X-Request-ID"] = request_id
        fields = {"request_id": request_id, "method": request.method, "path": request.path,
                  "status": response.status_code, "duration_ms": duration_ms, "user_id": user_id,
                  "remote_addr": request.remote_addr, "pid": os.getpid()}
        logger.info("%s %s %s %sms user=%s addr=%s id=%s pid=%s", request.method, request.path,
                    response.status_code, duration_ms, user_id if user_id is not None else "-", request.remote_addr,
                    request_id, fields["pid"], extra=fields)
        return response

    @app.context_processor
    def _request_id():
        return {"request_id": g.get("request_id")}
