"""Running the portal in production: proxy headers, request ids and logs, the HTTPS check.

`init_app` is called by `create_app` after the request plumbing of `portal.web`.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    from portal.ops import https, pool, request_log

    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # only the last `hops` proxies are believed: a client cannot forge its address or scheme
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,
                                x_prefix=app.config.get("PROXY_X_PREFIX", 0))
    pool.init_app(app)
    https.init_app(app)
    request_log.init_app(app)  # after: its before-request function goes first of all
