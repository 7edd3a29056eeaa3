"""Fixtures for the production-serving tests: extra app instances on the test database."""
from __future__ import annotations

import uuid

import pytest

from conftest import TEST_CONFIG


@pytest.fixture
def make_app(database_url, db_session):
    """A second (third …) app on the same database, as another gunicorn worker or host would be."""
    from portal import create_app
    from portal.extensions import db, limiter

    made = []
    # Flask-Limiter keeps one storage per Limiter object: put the test app's back afterwards
    saved = dict(limiter.__dict__)

    def make(**overrides):
        limiter._key_prefix = None  # Flask-Limiter keeps the first app's prefix otherwise
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the real Redis on 127.0.0.1:6379; its keys are removed after."""
    import redis

    prefix = f"po-portal-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()
