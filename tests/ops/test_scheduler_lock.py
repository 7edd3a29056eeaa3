"""`flask alerts deliver` and `scan` on several hosts at once: an advisory lock, no mail sent twice."""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller

from portal.models import OutboxEmail
from tests.ports import free_port


class SlowRecorder:
    """An SMTP server that takes its time over each mail, so two runs overlap."""

    def __init__(self):
        self.recipients: list[str] = []
        self.lock = threading.Lock()
        self.first_mail = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        self.first_mail.set()
        self.release.wait(10)  # held until the other run has had its go
        return "250 OK"


@pytest.fixture
def smtp():
    handler = SlowRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(25500 + os.getpid() % 400, 26500))
    controller.start()
    yield handler, controller.port
    handler.release.set()
    controller.stop()


def test_two_concurrent_delivery_runs_never_send_a_mail_twice(make_app, db_session, smtp):
    handler, port = smtp
    for i in range(5):
        db_session.add(OutboxEmail(to_address=f"person{i}@example.com", subject=f"PO alert {i}", body="text"))
    db_session.commit()
    hosts = [make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port) for _ in range(2)]

    def run(app):
        return app.test_cli_runner().invoke(args=["alerts", "deliver"])

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run, hosts[0])
        assert handler.first_mail.wait(10)  # host 1 is mid-delivery, holding the lock
        second = pool.submit(run, hosts[1]).result(timeout=30)
        handler.release.set()
        first = first.result(timeout=30)
    assert "another delivery run holds the lock" in second.output, second.output
    assert "sent 5" in first.output, first.output
    assert sorted(handler.recipients) == [f"person{i}@example.com" for i in range(5)]
    # once the lock is free again the next run goes ahead (and finds nothing left to send)
    third = run(hosts[1])
    assert "sent 0" in third.output and sorted(handler.recipients) == [f"person{i}@example.com" for i in range(5)]


def test_scan_skips_while_another_host_scans(make_app, db_session):
    from portal.extensions import db
    from portal.ops.locks import exclusive_run

    app = make_app()
    with app.app_context(), exclusive_run(db.engine, "alerts scan") as held:
        assert held
        result = app.test_cli_runner().invoke(args=["alerts", "scan"])
    assert "another scan holds the lock" in result.output
    after = app.test_cli_runner().invoke(args=["alerts", "scan"])
    assert "expiry alert" in after.output and "raised" in after.output


def test_the_lock_is_one_per_job_name(make_app):
    from portal.extensions import db
    from portal.ops.locks import exclusive_run

    app = make_app()
    with app.app_context(), exclusive_run(db.engine, "job a") as a, exclusive_run(db.engine, "job b") as b:
        assert a and b
        with exclusive_run(db.engine, "job a") as again:
            assert not again
