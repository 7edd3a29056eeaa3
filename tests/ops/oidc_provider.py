"""A real OpenID Connect provider process on loopback (the `oidc-provider-mock` package)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from tests.ports import free_port


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def set_user(self, sub: str, **claims) -> None:
        """The claims the provider will vouch for when `sub` signs in (groups included)."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def approve(self, authorize_url: str, sub: str) -> str:
        """What the person does at the provider: sign in as `sub`; returns the redirect back to the portal."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


def start_provider(port_range=(26600, 27600)) -> Provider:
    start = port_range[0] + os.getpid() % 400  # parallel test workers start apart
    port = free_port(start, port_range[1])
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    # uvicorn says when it listens: read until then (no polling, no sleeps)
    for line in process.stdout:
        if "running on" in line.lower() or "Application startup complete" in line:
            break
    else:
        raise RuntimeError(f"the OIDC provider did not start (exit {process.wait()})")
    # keep reading its log so a full pipe never blocks it
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return Provider(issuer=f"http://127.0.0.1:{port}", process=process)


def stop_provider(provider: Provider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(10)
    except subprocess.TimeoutExpired:
        provider.process.kill()


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


__all__ = ["Provider", "start_provider", "stop_provider", "local_path", "json"]
