from sqlalchemy import select

from portal.models import Notification
from portal.services import notifications


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
