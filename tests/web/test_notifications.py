from sqlalchemy import select

from portal.models import Notification
from portal.services import notifications
from tests import factories


def test_a_user_sees_and_dismisses_only_their_own_notifications(db_session, login_as):
    browser, me = login_as("Consultant")
    _, other = login_as("Auditor")
    notifications.notify(db_session, [me.id], "PO 4500 at 90%", "Subtotal 9,000.00 of 10,000.00")
    notifications.notify(db_session, [other.id], "Someone else's alert")
    db_session.commit()
    page = browser.get("/notifications/")
    html = page.get_data(as_text=True)
    assert "PO 4500 at 90%" in html and "Someone else" not in html
    assert 'id="unread-count">1<' in html  # the header count
    theirs = db_session.scalars(select(Notification).where(Notification.user_id == other.id)).one()
    assert browser.post(f"/notifications/{theirs.id}/read").status_code == 404
    mine = db_session.scalars(select(Notification).where(Notification.user_id == me.id)).one()
    assert browser.post(f"/notifications/{mine.id}/read").status_code == 303
    db_session.expire_all()
    assert db_session.get(Notification, mine.id).read_at is not None
    assert db_session.get(Notification, theirs.id).read_at is None


def test_marking_read_needs_csrf(db_session, login_as):
    browser, me = login_as("Auditor")
    notifications.notify(db_session, [me.id], "x")
    db_session.commit()
    n = db_session.scalars(select(Notification)).one()
    assert browser.post(f"/notifications/{n.id}/read", csrf=False).status_code == 400
    db_session.expire_all()
    assert db_session.get(Notification, n.id).read_at is None


def test_the_header_count_is_read_with_the_session_and_follows_marking_read(db_session, login_as, count_queries):
    """Every page's header shows the user's unread count without a statement of its own (it comes with
    the session row), only the user's own, and the next page after marking one read shows one fewer."""
    from portal.models import User, UserSession

    for _ in range(3):  # users whose ids a count keyed wrongly (by the session's own id, say) would find
        factories.user(db_session, role_name="Auditor")
    login_as("Auditor")  # another signed-in user, with notifications of their own
    browser, me = login_as("Consultant")
    notifications.notify(db_session, [me.id, me.id], "first")
    notifications.notify(db_session, [me.id], "second")
    notifications.notify(db_session, [u for u in db_session.scalars(select(User.id)) if u != me.id], "theirs")
    db_session.commit()
    assert db_session.scalar(select(UserSession.id).where(UserSession.user_id == me.id)) != me.id
    browser.get("/notifications/")
    with count_queries() as seen:
        html = browser.get("/notifications/").get_data(as_text=True)
    assert 'id="unread-count">2<' in html
    unread_counts = [s for s in seen if "read_at IS NULL" in s]
    assert len(unread_counts) == 1 and "user_sessions" in unread_counts[0]
    mine = db_session.scalars(select(Notification).where(Notification.user_id == me.id)).first()
    response = browser.post(f"/notifications/{mine.id}/read", headers={"HX-Request": "true"})
    assert response.status_code in (200, 204, 303)
    assert 'id="unread-count">1<' in browser.get("/notifications/").get_data(as_text=True)
    browser.post("/notifications/read-all")
    assert 'id="unread-count"' not in browser.get("/notifications/").get_data(as_text=True)


def test_the_header_counts_up_to_99_then_says_99_plus(db_session, login_as):
    """However many notifications a user leaves unread, the header's count reads at most 100 of them."""
    browser, me = login_as("Consultant")
    db_session.add_all([Notification(user_id=me.id, subject=f"n{i}", body="", link="") for i in range(99)])
    db_session.commit()
    html = browser.get("/notifications/").get_data(as_text=True)
    assert 'id="unread-count">99<' in html and 'aria-label="Notifications: 99 unread"' in html
    db_session.add_all([Notification(user_id=me.id, subject=f"m{i}", body="", link="") for i in range(50)])
    db_session.commit()
    html = browser.get("/notifications/").get_data(as_text=True)
    assert 'id="unread-count">99+<' in html and 'aria-label="Notifications: 99+ unread"' in html
    assert notifications.unread_count(db_session, me.id) == 100  # counted up to one past what is shown


def test_the_unread_count_asked_on_its_own_is_the_users_unread_only(db_session):
    """When the header asks for the count itself (no session row read it), it counts the user's unread
    notifications: not another user's, not those read, and 0 when there are none."""
    me, other, nobody = (factories.user(db_session, role_name="Auditor") for _ in range(3))
    notifications.notify(db_session, [me.id, other.id], "both")
    notifications.notify(db_session, [me.id, other.id], "both again")
    notifications.notify(db_session, [other.id], "theirs")
    db_session.commit()
    notifications.mark_read(db_session, me.id, db_session.scalars(
        select(Notification.id).where(Notification.user_id == me.id)).first())
    db_session.commit()
    assert [notifications.unread_count(db_session, u.id) for u in (me, other, nobody)] == [1, 3, 0]
