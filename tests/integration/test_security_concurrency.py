"""Two administrators editing each other at the same moment, on two real connections: edits that change who holds
security access run one after the other, so they neither deadlock (a 503) nor both succeed in deactivating each
other (nobody left to administer the portal): the second is refused with a message."""
from __future__ import annotations

import threading
import time

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import User
from portal.services import security
from portal.services.errors import ServiceError
from tests import factories
from tests.integration.test_source_concurrency import _race


def _deactivate(session: Session, actor_id: int, user_id: int, *, commit: bool = True) -> str:
    """`actor_id` saves `user_id`'s form unchanged but for Active unticked; what happened, as text."""
    actor, user = session.get(User, actor_id), session.get(User, user_id)
    try:
        security.update_user(session, user_id, actor=actor, full_name=user.full_name, email=user.email,
                             active=False, role_ids=[r.id for r in user.roles], commit=commit)
    except ServiceError as refused:
        session.rollback()
        return f"refused: {refused}"
    if not commit:
        session.flush()
    return "saved"


def _two_administrators(db_session) -> tuple[int, int]:
    x, y = factories.user(db_session, "secx"), factories.user(db_session, "secy")
    return x.id, y.id


def _active(db_session) -> dict[str, bool]:
    db_session.expire_all()
    return dict(db_session.execute(select(User.username, User.active).order_by(User.username)).all())


def test_two_administrators_deactivating_each_other_at_once_leave_one_active(app, db_session):
    """X's save holds its transaction open; Y's, on another connection, waits for it, then finds Y deactivated
    and is refused (before: it went through, and both were deactivated)."""
    x, y = _two_administrators(db_session)
    second = _race(app, lambda s: _deactivate(s, x, y, commit=False), lambda s: _deactivate(s, y, x))
    assert second.startswith("refused: Your own access to security was changed or your account deactivated")
    assert _active(db_session) == {"secx": True, "secy": False}


def test_the_last_active_security_holder_cannot_be_deactivated_by_a_user_who_lost_it(app, db_session):
    """With a third administrator left, Y (deactivated meanwhile) still may not act on a stale page."""
    x, y = _two_administrators(db_session)
    factories.user(db_session, "secz")
    second = _race(app, lambda s: _deactivate(s, x, y, commit=False), lambda s: _deactivate(s, y, x))
    assert second.startswith("refused: Your own access")
    assert _active(db_session) == {"secx": True, "secy": False, "secz": True}


def test_taking_security_from_the_last_holder_is_refused(db_session):
    """Without another active holder, no edit (by someone else, e.g. a command run as no user) takes it away."""
    x = factories.user(db_session, "secx")
    auditor = factories.role(db_session, "Auditor").id
    clerk = factories.user(db_session, "clerk", "Billing Clerk")
    for active, roles in [(False, [r.id for r in x.roles]), (True, [auditor])]:
        message = None
        try:
            security.update_user(db_session, x.id, actor=None, full_name="X", email="", active=active, role_ids=roles)
        except ServiceError as refused:
            db_session.rollback()
            message = str(refused)
        assert message and message.startswith("This would leave no active user with access to security")
    security.update_user(db_session, clerk.id, actor=None, full_name="C", email="", active=False, role_ids=[])
    assert _active(db_session) == {"clerk": False, "secx": True}


def test_two_administrators_editing_each_other_at_once_do_not_deadlock(app, db_session):
    """X's save is held just after it locked Y's row; Y's save of X starts meanwhile. Before, Y locked X's row,
    then waited for Y's (its history names Y), while X, resumed, waited for X's: PostgreSQL's deadlock error, a
    503. Now Y waits for X's whole save, then is refused."""
    x, y = _two_administrators(db_session)
    paused, resume, outcome = threading.Event(), threading.Event(), {}

    def hold_after_row_lock(conn, cursor, statement, *args):
        if "FOR" in statement and "UPDATE" in statement and "users" in statement and not paused.is_set():
            paused.set()
            resume.wait(60)

    def run(name, actor_id, user_id, hook=None):
        with app.app_context(), Session(db.engine) as session:
            if hook:
                event.listen(session.connection(), "after_cursor_execute", hook)
            try:
                outcome[name] = _deactivate(session, actor_id, user_id)
            except Exception as error:  # noqa: BLE001  (a deadlock: reported by the assertion below)
                outcome[name] = repr(error)

    first = threading.Thread(target=run, args=("x", x, y, hold_after_row_lock))
    first.start()
    assert paused.wait(60)
    second = threading.Thread(target=run, args=("y", y, x))
    second.start()
    deadline = time.monotonic() + 60
    with db.engine.connect() as watcher:  # until Y's save waits on a lock (or is done)
        while second.is_alive() and time.monotonic() < deadline and not watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0 "
                "AND datname = current_database()")).scalar_one():
            pass
    resume.set()
    first.join(60)
    second.join(60)
    assert outcome["x"] == "saved", outcome
    assert outcome["y"].startswith("refused: Your own access"), outcome
    assert _active(db_session) == {"secx": True, "secy": False}
