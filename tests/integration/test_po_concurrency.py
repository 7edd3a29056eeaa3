"""Two people saving overlapping POs into one group at the same moment: one wins, one is told why."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain.purchase_orders import POInput
from portal.extensions import db
from portal.models import PurchaseOrder, User
from portal.services import purchase_orders
from portal.services.errors import ValidationFailed
from tests import factories


def test_racing_overlapping_group_pos_one_commits_one_fails_cleanly(app, db_session):
    debtor = factories.debtor(db_session)
    group = factories.po_group(db_session, debtor)
    user_id = factories.user(db_session, role_name="Billing Admin").id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(number: str, effective: date):
        with app.app_context():
            with Session(db.engine) as session:
                actor = session.get(User, user_id)
                data = POInput(number=number, kind="single_line", effective=effective, expiration=date(2026, 12, 31),
                               amount=Decimal("100"), group_id=group.id)
                barrier.wait()
                try:
                    purchase_orders.create_po(session, debtor.id, data, actor=actor)
                    outcomes.append("saved")
                except ValidationFailed as exc:
                    outcomes.append(" ".join(exc.errors.get("group_id", [])))

    threads = [threading.Thread(target=save, args=("RACE-A", date(2026, 1, 1))),
               threading.Thread(target=save, args=("RACE-B", date(2026, 6, 1)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("saved") == 1, outcomes
    failure = next(o for o in outcomes if o != "saved")
    assert "overlap" in failure.lower()
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1
