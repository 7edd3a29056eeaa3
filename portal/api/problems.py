"""Errors on the REST API: application/problem+json (RFC 9457) for every 4xx (and the rare 5xx).

One shape everywhere: `type` (a URI naming the kind of problem), `title`, `status`, `detail`,
`instance` (the request path), plus, where they apply, `errors` (field -> messages), `choices` (a
prompt's answers) and `warnings` (a posting's warnings). The `type` URIs are documented in the README.
"""
from __future__ import annotations

from http import HTTPStatus

from flask import Response, json, request

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"
API_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem(status: int, detail: str = "", *, kind: str | None = None, title: str | None = None,
            headers: dict | None = None, **extensions) -> Response:
    """A problem+json response; `kind` names the problem type (default: the status's own, `about:blank`)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = {"type": TYPE_BASE + kind if kind else "about:blank", "title": title or phrase, "status": status,
            "detail": detail or phrase, "instance": request.path}
    body.update({k: v for k, v in extensions.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


DETAILS = {
    400: "The request could not be read (malformed JSON or query).",
    401: "Send a valid personal API token: Authorization: Bearer <token>.",
    403: "Your role does not allow this.",
    404: "There is nothing here, or it is not yours to see.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "The request was read but its values are not acceptable.",
}


def from_http_exception(err) -> Response:
    """Werkzeug and webargs errors as problems; webargs' 422 carries the field messages."""
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in ("json", "query", "querystring"):
        errors = next(iter(errors.values()))  # webargs nests the messages under the location
    kind = {422: "validation", 401: "unauthorized"}.get(status)
    detail = data.get("message") or DETAILS.get(status) or (err.description if status < 500 else "")
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="po-portal"'
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        headers["Allow"] = ", ".join(err.valid_methods)
    return problem(status, detail, kind=kind, errors=errors if isinstance(errors, (dict, list)) else None,
                   headers=headers)
