"""The default role Billing Clerk: posts documents within the block policy, never past it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import BillCode, Document, POBalance, Role, User
from tests import factories
from tests.web.forms_walk import confirm


@pytest.fixture
def blocked(db_session):
    debtor = factories.debtor(db_session, "CITY", over_budget_policy="block")
    po = factories.po(db_session, debtor, "7700", amount="1000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    return {"debtor": debtor, "po": po, "job": job, "code": code,
            "invoice": factories.document_types(db_session)["Sales Invoice"]}


def _invoice(s, quantity: str, rate: str = "100.00") -> dict:
    return {"debtor_id": str(s["debtor"].id), "document_type_id": str(s["invoice"].id), "number": "",
            "doc_date": "2026-03-01", "bill_from": "2026-02-16", "bill_to": "2026-03-01", "po_number": "",
            "notes": "", "line_job": [str(s["job"].id)], "line_code": [str(s["code"].id)], "line_date": [""],
            "line_description": ["hours"], "line_quantity": [quantity], "line_rate": [rate], "line_po": [""],
            "line_key": ["k1"]}


def _used(session, po) -> Decimal:
    session.expire_all()
    return session.get(POBalance, po.id).used


def test_the_clerk_posts_within_the_block_policy(db_session, login_as, blocked):
    clerk, _ = login_as("Billing Clerk")
    assert clerk.post("/documents/new", _invoice(blocked, "6")).status_code == 302
    doc = db_session.scalars(select(Document)).one()
    posted = clerk.post(f"/documents/{doc.id}/post", {"confirmed": "1"}, follow_redirects=True)
    assert posted.status_code == 200 and f"{doc.number} posted." in posted.get_data(as_text=True)
    assert _used(db_session, blocked["po"]) == Decimal("600.00")


def test_the_clerk_is_refused_past_a_block_and_cannot_override(db_session, login_as, blocked):
    clerk, _ = login_as("Billing Clerk")
    clerk.post("/documents/new", _invoice(blocked, "11"))
    doc = db_session.scalars(select(Document)).one()
    refused = clerk.post(f"/documents/{doc.id}/post", {"confirmed": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Posting refused" in refused and "Override and post" not in refused
    assert "Used + Commitments with this document come to" in refused  # the figure that decides
    forced = clerk.post(f"/documents/{doc.id}/post", {"confirmed": "1", "override": "1"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Posting refused" in forced
    db_session.expire_all()
    assert db_session.get(Document, doc.id).status == "draft"
    assert _used(db_session, blocked["po"]) == Decimal("0.00")
    # the same document posts for a Billing Admin, who holds the override (recorded on the document)
    admin, _ = login_as("Billing Admin")
    forged = admin.post(f"/documents/{doc.id}/post", {"confirmed": "1", "override": "1"}, follow_redirects=True)
    assert "changed since you checked it" in forged.get_data(as_text=True)  # an override of no check read: asked
    assert _used(db_session, blocked["po"]) == Decimal("0.00")
    assert confirm(admin, f"/documents/{doc.id}/post", override=True).status_code == 302
    assert _used(db_session, blocked["po"]) == Decimal("1100.00")
    assert db_session.get(Document, doc.id).override_used


def test_no_default_role_that_posts_without_overrides_is_missing(db_session):
    """Under block someone must be stopped: a default role posts documents without po_override_budget."""
    roles = {r.name: r.grant_map() for r in db_session.scalars(select(Role))}
    clerk = roles["Billing Clerk"]
    assert clerk["documents"] == "add_edit" and "po_override_budget" not in clerk
    assert not {"po_assign_invoiced_item", "po_override_validations", "settings", "security"} & set(clerk)


def test_the_demo_has_a_clerk_and_prints_the_sign_in(app, db_session):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert any("clerk" in line and "Billing Clerk" in line for line in result.output.splitlines())
    db_session.expire_all()
    clerk = db_session.scalars(select(User).where(User.username == "clerk")).one()
    assert [r.name for r in clerk.roles] == ["Billing Clerk"]
