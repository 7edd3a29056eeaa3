"""The answer to a button-only POST (delete, change a status): run the service call, say how it went, go back."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect

from portal.services.errors import Conflict


def run_and_return(action: Callable[[], object], done: str, back: str, *,
                   refusals: tuple[type[Exception], ...] = (Conflict,)):
    """Run `action`; flash its refusal as an error or `done` as a success; redirect to `back` either way."""
    try:
        action()
    except refusals as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(back)
