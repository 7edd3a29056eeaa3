"""Settings from environment variables, in one class."""
from __future__ import annotations

import os


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Every setting the portal reads; `create_app(overrides)` may replace any of them."""

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY")  # None: a per-instance key is made on first start
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: embedded PostgreSQL
        # JIT compiles a plan the planner costs high, before running it: 10-20 ms spent on statements that
        # then run in 2-4 ms (bulk assignment's lookup of 10,000 jobs' rows); every statement here is short.
        # Statements are prepared once per connection (portal/services/prepared.py) and PostgreSQL keeps one
        # plan for any value once five runs show it costs no more (plan_cache_mode auto): planning a page's
        # joins each time was 1-1.5 ms a statement. What a search types is a constant in its statement, so
        # a kept plan still sees the prefix (portal/services/search.py)
        # a pooled connection idle for a while is pinged before use (portal/ops/pool.py), not every one
        self.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"options": "-c jit=off"}}
        self.SQLALCHEMY_RECORD_QUERIES = False
        self.EMBEDDED_PG_DIR = os.environ.get("EMBEDDED_PG_DIR")  # default: <instance>/pgdata
        self.SESSION_COOKIE_SECURE = _flag("PORTAL_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600))
        # the cookie is written when its contents change (sign-in, a flashed message), not re-signed on every
        # response: it then expires when the server-side session does (activity never extends either), and
        # a page saves the re-signing (0.1-0.25 ms a request)
        self.SESSION_REFRESH_EACH_REQUEST = False
        # a signed-in session unused this long ends on the server (its absolute end is the lifetime above)
        self.SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", 2 * 3600))
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the session instead of a clock
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024))
        self.MAX_FORM_PARTS = 20_000
        # shared state across gunicorn workers and hosts lives in Redis when REDIS_URL is set
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "po-portal")
        self.RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
        self.LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
        self.LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
        # argon2id cost; tests lower it so hashing thousands of passwords stays quick
        self.PASSWORD_TIME_COST = int(os.environ.get("PASSWORD_TIME_COST", 3))
        self.PASSWORD_MEMORY_COST = int(os.environ.get("PASSWORD_MEMORY_COST", 65536))
        self.PAGE_SIZE = int(os.environ.get("PAGE_SIZE", 25))
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", 25))
        self.SMTP_USER = os.environ.get("SMTP_USER")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
        self.SMTP_STARTTLS = _flag("SMTP_STARTTLS", False)
        self.SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "po-portal@localhost")
        # production serving (portal/ops): trusted proxy hops for X-Forwarded-*, request log format
        self.PROXY_HOPS = int(os.environ.get("PROXY_HOPS", 0))
        self.PROXY_X_PREFIX = int(os.environ.get("PROXY_X_PREFIX", 0))
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
        # single sign-on (OpenID Connect); local accounts can be turned off (break-glass: turn them on again)
        self.OIDC_ISSUER = (os.environ.get("OIDC_ISSUER") or "").rstrip("/") or None
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID") or None
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET") or None
        self.OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
        self.OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
        self.OIDC_LABEL = os.environ.get("OIDC_LABEL", "company account")
        self.LOCAL_LOGIN_ENABLED = _flag("LOCAL_LOGIN_ENABLED", True)
