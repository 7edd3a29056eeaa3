"""Loopback ports for test servers: below 32768, where outgoing connections never land."""
from __future__ import annotations

import socket


def free_port(start: int, stop: int) -> int:
    """The first port in [start, stop) nothing is bound to on 127.0.0.1."""
    for port in range(start, stop):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{stop}")
