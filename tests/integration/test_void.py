"""Voiding an open estimate or order through the service: what it refuses and says, who it records, and
what it takes back (the master line too)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from portal.models import Alert, AuditEntry, LedgerEntry, POLineBalance
from portal.services import audit, documents, integrity, posting
from portal.services.errors import Conflict, NotFound
from tests import factories
from tests.integration.test_money_rules import _master
from tests.integration.test_posting import balance, draft, line, post, world  # noqa: F401  (fixture)

D = Decimal


def test_voiding_a_missing_document_is_not_found(world):
    with pytest.raises(NotFound) as exc:
        posting.void(world["session"], world["user"], 999_999)
    assert str(exc.value) == "No such document."


def test_only_open_estimates_and_orders_are_voided_and_the_refusal_says_what_the_document_is(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "V1", amount="1000")
    unposted = draft(world, "Sales Order", [line(world, "10", po=po)])
    invoice = draft(world, "Sales Invoice", [line(world, "40", po=po)])
    assert post(world, invoice).posted
    order = draft(world, "Sales Order", [line(world, "25", po=po)])
    assert post(world, order).posted
    posting.void(s, world["user"], order.id)
    expected = {
        unposted.id: f"Only open (posted) estimates and orders can be voided; {unposted.number} is draft.",
        invoice.id: f"Only open (posted) estimates and orders can be voided; {invoice.number} is an invoice or "
                    "credit memo: credit it instead.",
        order.id: f"Only open (posted) estimates and orders can be voided; {order.number} is void.",
    }
    for doc_id, message in expected.items():
        with pytest.raises(Conflict) as exc:
            posting.void(s, world["user"], doc_id)
        assert str(exc.value) == message
    assert balance(s, po) == (D("40"), D("0"), D("0"))


def test_voiding_records_the_user_who_voided(world):
    """The history entry of the void names its user, also on a session that has recorded no one yet (a request)."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "V2", amount="1000")
    order = draft(world, "Sales Order", [line(world, "25", po=po)])
    assert post(world, order).posted
    audit.acting(s, None)  # what a fresh request's session starts with
    before = s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    posting.void(s, world["user"], order.id)
    entries = s.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    assert entries and {e.actor_id for e in entries} == {world["user"].id}


def test_voiding_an_order_on_a_master_line_takes_the_commitment_off_that_line(world):
    s = world["session"]
    po, (labour, overtime) = _master(s, world["debtor"], "VM1")
    order = draft(world, "Sales Order", [line(world, "30", po=po, code="OT")])
    assert post(world, order).posted
    s.expire_all()
    assert s.get(POLineBalance, overtime.id).commitments == D("30")
    posting.void(s, world["user"], order.id)
    s.expire_all()
    assert s.get(POLineBalance, overtime.id).commitments == D("0") and s.get(POLineBalance, labour.id).commitments == D("0")
    assert balance(s, po) == (D("0"), D("0"), D("0"))
    assert integrity.check(s) == []
    assert documents.get_document(s, world["user"], order.id).status == "void"


def test_the_voids_ledger_rows_say_void_and_name_the_user(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "V3", amount="1000")
    order = draft(world, "Sales Order", [line(world, "25", po=po)])
    assert post(world, order).posted
    start = datetime.now(timezone.utc)
    posting.void(s, world["user"], order.id)
    rows = s.scalars(select(LedgerEntry).where(LedgerEntry.document_id == order.id).order_by(LedgerEntry.id)).all()
    assert [(r.event, r.actor_id, r.bucket, r.amount) for r in rows] == [
        ("post", world["user"].id, "commitment", D("25.00")), ("void", world["user"].id, "commitment", D("-25.00"))]
    assert start <= rows[1].at <= datetime.now(timezone.utc)  # when it was voided


def test_the_ledger_records_the_instant_whatever_the_databases_time_zone(world):
    """The posting and the void stamp their ledger rows with an aware UTC time: a naive one would be read
    in the database session's zone, here 14 hours ahead of this machine's, and land half a day off."""
    s = world["session"]
    po = factories.po(s, world["debtor"], "V3Z", amount="1000")
    order = draft(world, "Sales Order", [line(world, "25", po=po)])
    start = datetime.now(timezone.utc)
    s.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14, for this transaction only
    assert post(world, order).posted
    s.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    posting.void(s, world["user"], order.id)
    rows = s.scalars(select(LedgerEntry).where(LedgerEntry.document_id == order.id).order_by(LedgerEntry.id)).all()
    assert [r.event for r in rows] == ["post", "void"]
    end = datetime.now(timezone.utc)
    assert all(start <= r.at <= end for r in rows), [r.at for r in rows]
    s.refresh(order)
    assert start <= order.posted_at <= order.voided_at <= end


def test_voiding_an_order_re_arms_the_threshold_it_had_fired(world):
    """Voided back below a threshold, the threshold fires again at the next crossing."""
    s = world["session"]
    template = factories.threshold_template(s, "Void", ["50"])
    po = factories.po(s, world["debtor"], "V4", amount="1000", alert_template_id=template.id)
    order = draft(world, "Sales Order", [line(world, "600", po=po)])
    assert post(world, order).posted
    [alert] = s.scalars(select(Alert).where(Alert.po_id == po.id)).all()
    assert not alert.armed
    posting.void(s, world["user"], order.id)
    s.expire_all()
    assert s.get(Alert, alert.id).armed
    assert post(world, draft(world, "Sales Order", [line(world, "700", po=po)])).alerts == ["PO V4 at 50%"]
