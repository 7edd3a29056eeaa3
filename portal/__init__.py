"""The PO Portal: `create_app()` binds extensions and registers blueprints, nothing else."""
from __future__ import annotations

import os
import secrets

from flask import Flask

from portal.config import Config


def _secret_key(app: Flask) -> str:
    """SECRET_KEY from the environment, else one kept in the instance folder (made on first start)."""
    path = os.path.join(app.instance_path, "secret_key")
    if os.path.exists(path):
        with open(path) as fh:
            return fh.read().strip()
    os.makedirs(app.instance_path, exist_ok=True)
    key = secrets.token_hex(32)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
        fh.write(key)
    return key


def _database_url(app: Flask) -> str:
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        from portal.embedded_db import embedded_database_url

        url = embedded_database_url(app.config.get("EMBEDDED_PG_DIR") or os.path.join(app.instance_path, "pgdata"))
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not url.startswith("postgresql+psycopg://"):
        raise RuntimeError("The PO Portal runs on PostgreSQL only: DATABASE_URL must be postgresql://…")
    return url


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.from_object(Config())
    app.config.update(overrides or {})
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)

    from portal import models  # noqa: F401  (every mapper registered before first use)
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from portal import web

    web.init_app(app)

    from portal import ops

    ops.init_app(app)

    from portal.routing import IdConverter

    app.url_map.converters["int"] = IdConverter

    from portal.blueprints import register_blueprints

    register_blueprints(app)

    from portal.cli import register_commands

    register_commands(app)
    return app
