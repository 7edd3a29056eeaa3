"""Secure cookies over plain HTTP: a page that says why sign-in cannot work, not "Form expired".

A browser drops a `Secure` cookie set over http://, so the session (and its CSRF token) never comes
back. Behind a TLS proxy the scheme comes from X-Forwarded-Proto (PROXY_HOPS); on a laptop,
PORTAL_COOKIE_SECURE=0 turns the flag off.
"""
from __future__ import annotations

from flask import Flask, render_template, request

OPEN_ENDPOINTS = {"static", "ops.healthz", "ops.readyz", "main.health"}


def init_app(app: Flask) -> None:
    def _needs_https():
        if not app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
            return None
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        return render_template("ops/https_required.html", proxy_hops=app.config.get("PROXY_HOPS", 0)), 400

    # ahead of the CSRF check, which would otherwise answer a sign-in post with "Form expired"
    app.before_request_funcs.setdefault(None, []).insert(0, _needs_https)
