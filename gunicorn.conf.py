"""gunicorn settings for the PO Portal: `gunicorn -c gunicorn.conf.py` (or `make serve`).

Every value comes from the environment with a safe default; see the README's configuration table.
With more than one worker set REDIS_URL, so the sign-in rate limit is shared by all workers.
"""
import os

wsgi_app = "portal:create_app()"
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
threads = int(os.environ.get("PORTAL_THREADS", 1))
timeout = int(os.environ.get("PORTAL_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# the portal writes its own line per request (request id, user, status, duration); gunicorn logs errors
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# X-Forwarded-* are read by the portal's ProxyFix (PROXY_HOPS) only, never by gunicorn as well
secure_scheme_headers = {}
forwarded_allow_ips = "127.0.0.1"
# a worker restarts after this many requests (guards against slow leaks); jitter avoids all at once
max_requests = int(os.environ.get("PORTAL_MAX_REQUESTS", 2000))
max_requests_jitter = 200


def post_worker_init(worker):
    """Once the app is loaded, move its objects out of the garbage collector's view (gc.freeze) and
    collect less often: a page allocates thousands of short-lived ORM and template objects, and full
    collections over the whole heap cost 10-15% of a page's time otherwise. Reference counting still
    frees almost everything at once; the collector only looks for cycles."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(int(os.environ.get("PORTAL_GC_THRESHOLD", 20000)), 20, 20)
