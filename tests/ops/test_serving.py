"""Health endpoints, request ids and logs, trusted proxy hops, and the HTTPS page."""
from __future__ import annotations

import json

from conftest import csrf_from


def test_healthz_answers_without_sign_in_and_says_nothing_more(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_is_503_on_a_database_without_migrations_and_leaks_nothing(make_app, database_url):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    empty = f"{url.database}_empty"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{empty}"')
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=url.set(database=empty).render_as_string(hide_password=False))
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "not ready"}
        from portal.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')


def test_readyz_is_503_when_the_database_is_unreachable(make_app):
    from tests.ports import free_port

    port = free_port(24000, 25000)  # nothing listens there
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "nowhere" not in body and str(port) not in body and "psycopg" not in body


def test_every_response_carries_a_request_id_and_error_pages_show_it(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) >= 8
    assert request_id in response.get_data(as_text=True)
    assert client.get("/healthz").headers["X-Request-ID"] != request_id


def test_a_proxys_request_id_is_kept_but_a_forged_log_line_is_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-proxy"}).headers["X-Request-ID"] == "abc12345-proxy"
    forged = client.get("/healthz", headers={"X-Request-ID": "x id=FAKE status=200 <b>"}).headers["X-Request-ID"]
    assert "FAKE" not in forged


def test_one_json_log_line_per_request_with_id_user_status_and_duration(make_app, db_session, capsys):
    from tests import factories

    user = factories.user(db_session, "logged.user")
    app = make_app(LOG_FORMAT="json")
    c = app.test_client()
    page = c.get("/login")
    c.post("/login", data={"username": user.username, "password": factories.PASSWORD,
                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    capsys.readouterr()
    response = c.get("/debtors/")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("path") == "/debtors/"]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["user_id"] == user.id
    assert entry["status"] == response.status_code == 200
    assert entry["method"] == "GET" and isinstance(entry["duration_ms"], float)


def test_proxy_hops_make_client_address_and_scheme_right(make_app, capsys):
    app = make_app(LOG_FORMAT="json", PROXY_HOPS=1)
    c = app.test_client()
    capsys.readouterr()
    # the client forged the first address; only the last hop (our proxy's view) is believed
    c.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"})
    entry = json.loads([l for l in capsys.readouterr().err.splitlines() if l.startswith("{")][-1])
    assert entry["remote_addr"] == "203.0.113.9"


def test_without_proxy_hops_forwarded_headers_are_ignored(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    capsys.readouterr()
    app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    entry = json.loads([l for l in capsys.readouterr().err.splitlines() if l.startswith("{")][-1])
    assert entry["remote_addr"] == "127.0.0.1"


def test_rate_limit_counts_each_forwarded_client_on_its_own(make_app, db_session):
    app = make_app(PROXY_HOPS=1, LOGIN_RATE_LIMIT="2 per minute", RATELIMIT_KEY_PREFIX="hops-test")
    c = app.test_client()
    statuses = {}
    token = csrf_from(c.get("/login").get_data(as_text=True))
    for addr in ("198.51.100.1", "198.51.100.2"):
        statuses[addr] = [c.post("/login", data={"username": "x", "password": "y", "csrf_token": token},
                                 headers={"X-Forwarded-For": addr}).status_code for _ in range(3)]
    assert statuses["198.51.100.1"][-1] == 429 and statuses["198.51.100.2"][-1] == 429
    assert 429 not in statuses["198.51.100.1"][:2] and 429 not in statuses["198.51.100.2"][:2]


def test_secure_cookies_over_plain_http_get_a_page_that_says_why(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    c = app.test_client()
    response = c.get("/login")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "must be opened over HTTPS" in text and "Form expired" not in text
    post = c.post("/login", data={"username": "a", "password": "b"})
    assert post.status_code == 400 and "HTTPS" in post.get_data(as_text=True)
    assert c.get("/healthz").status_code == 200


def test_secure_cookies_behind_a_tls_proxy_sign_in_normally(make_app, db_session):
    from tests import factories

    user = factories.user(db_session)
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PROXY_HOPS=1)
    c = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    page = c.get("/login", headers=https)
    assert page.status_code == 200
    assert "Secure" in page.headers["Set-Cookie"]

    def cookie(response):  # what a browser on https:// keeps (the test client keeps Secure cookies for https only)
        return {"Cookie": response.headers["Set-Cookie"].split(";", 1)[0]}

    # over https Flask-WTF also checks that the form came from this site, as a browser's Referer says
    response = c.post("/login", headers={**https, **cookie(page), "Referer": "https://localhost/login"},
                      data={"username": user.username, "password": factories.PASSWORD,
                            "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert c.get("/", headers={**https, **cookie(response)}).status_code == 200


def test_runtime_install_carries_no_test_tools():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    for tool in ("pytest", "playwright", "hypothesis", "aiosmtpd", "trustme", "oidc-provider-mock"):
        assert tool not in runtime
    assert "gunicorn" in runtime and "pytest" in " ".join(project["optional-dependencies"]["dev"])
