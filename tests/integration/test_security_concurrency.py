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


def _take_security_from(session: Session, actor_id: int, role_name: str, *, commit: bool = True) -> str:
    """`actor_id` saves `role_name`'s form unchanged but for its security grant removed; what happened, as text."""
    from portal.models import Role

    actor = session.get(User, actor_id)
    role = session.scalars(select(Role).where(Role.name == role_name)).one()
    grants = {item: level for item, level in role.grant_map().items() if item != "security"}
    if not commit:  # the same edit, its transaction left open (the race commits it later)
        session.commit = session.flush
    try:
        security.save_role(session, role.id, actor=actor, name=role.name, description=role.description,
                           grants=grants)
    except ServiceError as refused:
        session.rollback()
        return f"refused: {refused}"
    finally:
        session.__dict__.pop("commit", None)
    return "saved"


def _holders(db_session) -> list[str]:
    db_session.expire_all()
    return sorted(u.username for u in db_session.scalars(select(User).where(User.active.is_(True)))
                  if any(r.grant_map().get("security") for r in u.roles))


def test_two_administrators_taking_security_from_each_others_role_at_once_leave_it_held(app, db_session):
    """X and Y both hold two roles that grant security. X takes it from one while Y takes it from the other: each
    keeps it through the role left, as read when their edit began. Before, both saves went through (each locked
    only its own role) and nobody was left with access to security; now the second waits, then is refused."""
    from portal.models import Role

    spare = security.save_role(db_session, None, actor=None, name="Security keeper", description="",
                               grants={"security": "granted"})
    x, y = _two_administrators(db_session)
    keeper = db_session.get(Role, spare.id)
    for user in [db_session.get(User, x), db_session.get(User, y)]:
        user.roles.append(keeper)
    db_session.commit()
    second = _race(app, lambda s: _take_security_from(s, x, "Administrator", commit=False),
                   lambda s: _take_security_from(s, y, "Security keeper"))
    assert second.startswith("refused: Your own access to security was changed meanwhile"), second
    assert _holders(db_session) == ["secx", "secy"]  # through the keeper role, which kept its grant


def test_taking_security_from_the_only_role_holding_it_is_refused_without_an_acting_user(db_session):
    """Run as no user (a command), the edit that leaves no active user with security access is refused."""
    from portal.models import Role

    factories.user(db_session, "secx")
    admin = db_session.scalars(select(Role).where(Role.name == "Administrator")).one()
    grants = {item: level for item, level in admin.grant_map().items() if item != "security"}
    try:
        security.save_role(db_session, admin.id, actor=None, name=admin.name, description=admin.description,
                           grants=grants)
        message = None
    except ServiceError as refused:
        message = str(refused)
    assert message and "no active user with access to security" in message
    assert _holders(db_session) == ["secx"]
