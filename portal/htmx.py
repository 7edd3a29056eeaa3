"""htmx helpers: one template renders the full page or, for a real partial request, its fragment."""
from __future__ import annotations

from flask import Response, make_response, render_template, request


def is_partial() -> bool:
    """A real htmx request for a fragment (not a history restore, which needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, fragment: str, /, status: int = 200, **context) -> Response:
    """Render `fragment` for a partial request, `page` (which includes it) otherwise."""
    template = fragment if is_partial() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str, status: int = 303) -> Response:
    """Redirect that also works from inside an htmx request (full navigation)."""
    if is_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    response = make_response("", status)
    response.headers["Location"] = url
    return response
