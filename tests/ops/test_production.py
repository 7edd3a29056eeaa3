"""The README's production section, followed on a fresh database with gunicorn and two workers.

The test plays the TLS proxy: it sends X-Forwarded-Proto/-For/-Host (PROXY_HOPS=1) and keeps the
Secure cookies itself. Which worker served a request is read from the portal's own log line (pid).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests

from conftest import csrf_from
from tests.ops.dbtools import ROOT, flask, fresh_database, operator_env
from tests.ops.oidc_provider import local_path, start_provider, stop_provider
from tests.ports import free_port

HOST = "portal.example.test"


class Gunicorn:
    """gunicorn -c gunicorn.conf.py as the README starts it; its log lines kept in order."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = 60) -> list[str]:
        with self.cond:
            ok = self.cond.wait_for(lambda: predicate(self.lines) or self.process.poll() is not None, timeout)
            assert ok and predicate(self.lines), "".join(self.lines[-30:])
            return list(self.lines)

    def served_by(self, request_id: str) -> int:
        """The pid of the worker that served `request_id` (its JSON log line)."""
        def entry(lines):
            for line in lines:
                if request_id in line and line.startswith("{"):
                    return json.loads(line)
            return None
        self.wait_for(lambda lines: entry(lines) is not None, timeout=10)
        return entry(self.lines)["pid"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ProxiedBrowser:
    """A browser behind the TLS proxy: https scheme and its own address forwarded; Secure cookies kept."""

    def __init__(self, base: str, client_addr: str):
        self.base, self.addr = base, client_addr
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kw) -> requests.Response:
        request_id = uuid.uuid4().hex
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.addr, "X-Forwarded-Host": HOST,
                   "X-Request-ID": request_id, "Referer": f"https://{HOST}/", **kw.pop("headers", {})}
        response = requests.request(method, self.base + path, headers=headers, cookies=dict(self.cookies),
                                    allow_redirects=False, timeout=30, **kw)
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value
        response.request_id = request_id
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data, **kw):
        return self.request("POST", path, data=data, **kw)

    def sign_in(self, username: str, password: str) -> requests.Response:
        token = csrf_from(self.get("/login").text)
        return self.post("/login", {"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def production(redis_prefix, tmp_path):
    provider = start_provider()
    with fresh_database("production") as database_url:
        # README: migrate, then `flask setup` for reference data and the first administrator
        flask(database_url, "db", "upgrade")
        setup = flask(database_url, "setup", PORTAL_ADMIN_USERNAME="alice", PORTAL_ADMIN_PASSWORD="alice-admin-pass")
        assert "Administrator alice: created." in setup.stdout
        port = free_port(27700 + os.getpid() % 400, 28700)
        env = operator_env(database_url, REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=redis_prefix,
                           PROXY_HOPS="1", WEB_CONCURRENCY="2", PORTAL_BIND=f"127.0.0.1:{port}", LOG_FORMAT="json",
                           LOGIN_RATE_LIMIT="4 per minute", OIDC_ISSUER=provider.issuer,
                           OIDC_CLIENT_ID="po-portal", OIDC_CLIENT_SECRET="client-secret",
                           PORTAL_INSTANCE_PATH=str(tmp_path))
        server = Gunicorn(env)
        try:
            server.wait_for(lambda lines: sum("Booting worker" in l for l in lines) >= 2)
            yield server, provider, f"http://127.0.0.1:{port}"
        finally:
            server.stop()
            stop_provider(provider)


def _worker_pids(server: Gunicorn) -> set[int]:
    return {int(l.split("pid: ")[1].split(")")[0].strip()) for l in server.lines if "Booting worker" in l}


@contextlib.contextmanager
def only_worker(server: Gunicorn, pid: int):
    """Pause every other worker (SIGSTOP), so the kernel hands new connections to `pid` alone.

    Which idle worker accepts a connection is the kernel's choice; pausing the others makes the
    cross-worker checks deterministic instead of hoping the load spreads.
    """
    others = _worker_pids(server) - {pid}
    for other in others:
        os.kill(other, signal.SIGSTOP)
    try:
        yield
    finally:
        for other in others:
            os.kill(other, signal.SIGCONT)


def test_readme_production_sequence_with_two_workers(production):
    server, provider, base = production
    pids = _worker_pids(server)
    assert len(pids) == 2

    anonymous = ProxiedBrowser(base, "203.0.113.10")
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}

    # a local account: the administrator made by `flask setup`
    alice = ProxiedBrowser(base, "203.0.113.11")
    assert alice.sign_in("alice", "alice-admin-pass").status_code == 302
    home = alice.get("/")
    assert home.status_code == 200 and "alice" in home.text
    # she maps the company's billing group to a role
    groups_page = alice.get("/admin/sso-groups").text
    token = csrf_from(groups_page)
    billing_role = re.search(r'<option value="(\d+)"\s*>Billing Admin<', groups_page).group(1)
    mapped = alice.post("/admin/sso-groups", {"group_name": "finance-billing", "role_id": billing_role,
                                              "csrf_token": token})
    assert mapped.status_code == 303

    # single sign-on through the provider: the first sign-in creates the user
    provider.set_user("sub-bill", preferred_username="bill", email="bill@corp.example", groups=["finance-billing"])
    bill = ProxiedBrowser(base, "203.0.113.12")
    start = bill.get("/login/sso")
    assert start.status_code == 302 and start.headers["Location"].startswith(provider.issuer)
    assert f"redirect_uri=https%3A%2F%2F{HOST}%2Flogin%2Fsso%2Fcallback" in start.headers["Location"]
    back = provider.approve(start.headers["Location"], "sub-bill")
    assert back.startswith(f"https://{HOST}/login/sso/callback")
    assert bill.get(local_path(back)).status_code == 302
    assert "Sign out bill" in bill.get("/").text

    # the sign-in rate limit (4 a minute per address) holds across both workers: Redis counts for all
    attacker = ProxiedBrowser(base, "198.51.100.66")
    token = csrf_from(attacker.get("/login").text)
    guess = {"username": "alice", "password": "guess-guess-guess", "csrf_token": token}
    first, second = sorted(pids)
    with only_worker(server, first):
        tries = [attacker.post("/login", guess) for _ in range(4)]
        assert [t.status_code for t in tries] == [200] * 4
        assert {server.served_by(t.request_id) for t in tries} == {first}
        assert attacker.post("/login", guess).status_code == 429
    with only_worker(server, second):
        # the other worker has seen none of the four tries, yet refuses the fifth
        refused = attacker.post("/login", guess)
        assert server.served_by(refused.request_id) == second
        assert refused.status_code == 429


def test_signed_out_cookie_is_dead_on_the_other_worker(production):
    server, provider, base = production
    alice = ProxiedBrowser(base, "203.0.113.11")
    assert alice.sign_in("alice", "alice-admin-pass").status_code == 302
    # sign out on one worker; the old cookie is dead on the other worker too
    page = alice.get("/debtors/")
    assert page.status_code == 200
    old_cookies = dict(alice.cookies)
    signed_out_on = server.served_by(alice.post("/logout", {"csrf_token": csrf_from(page.text)}).request_id)
    other = (_worker_pids(server) - {signed_out_on}).pop()
    replay = ProxiedBrowser(base, "203.0.113.11")
    replay.cookies = old_cookies
    with only_worker(server, other):
        after = replay.get("/debtors/")
        assert server.served_by(after.request_id) == other
    assert after.status_code == 302 and "/login" in after.headers["Location"]
