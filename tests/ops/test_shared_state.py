"""With REDIS_URL set the sign-in rate limit lives in Redis (the real server on loopback), shared by workers."""
from __future__ import annotations

from conftest import csrf_from


def test_rate_limit_is_shared_by_two_workers_through_redis(make_app, redis_prefix):
    settings = dict(REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                    RATELIMIT_KEY_PREFIX=redis_prefix, LOGIN_RATE_LIMIT="3 per minute")
    workers = [make_app(**settings).test_client() for _ in range(2)]
    tokens = [csrf_from(w.get("/login").get_data(as_text=True)) for w in workers]

    def attempt(i):
        return workers[i].post("/login", data={"username": "nobody", "password": "wrong-password",
                                               "csrf_token": tokens[i]}).status_code

    assert [attempt(0), attempt(1), attempt(0)] == [200, 200, 200]  # the form again, with its message
    assert attempt(1) == 429  # the fourth attempt, on the other worker
    assert attempt(0) == 429
    # the counter lives in Redis (another process or host sees it; tests/ops/test_production.py runs gunicorn)
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(f"*{redis_prefix}*"))
    client.close()
    assert keys


def test_redis_url_alone_picks_redis_for_the_limiter(monkeypatch):
    from portal.config import Config

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert Config().RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
    monkeypatch.delenv("REDIS_URL")
    assert Config().RATELIMIT_STORAGE_URI == "memory://"
