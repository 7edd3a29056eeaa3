"""Shortening an extended group PO back: the group's jobs had no PO after its old expiration before the extension,
so those days do not refuse the shortening for a debtor that enforces POs (seed 003), unless a document drew on
the PO for the job on them, or the job's assignment only began on them."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from portal.domain.assignment import Target
from portal.models import Document, DocumentLine, PurchaseOrder
from portal.services import assignments, purchase_orders
from portal.services.errors import ValidationFailed
from tests import factories

D = date


def _set_expiration(session, admin, po, expiration):
    session.expire_all()
    data = purchase_orders.snapshot(session.get(PurchaseOrder, po.id))
    purchase_orders.update_po(session, po.id, replace(data, expiration=expiration), actor=admin, notices=[])
    session.expire_all()
    return session.get(PurchaseOrder, po.id).expiration


@pytest.fixture
def extended(db_session):
    """STRICT enforces POs; its group Rolling holds G-1 (to 2026-03-31), extended to 2026-06-30; a job is assigned
    to the group from 2026-01-01."""
    admin = factories.user(db_session, role_name="Billing Admin")
    debtor = factories.debtor(db_session, "STRICT", enforce_purchase_orders=True)
    group = factories.po_group(db_session, debtor, "Rolling")
    po = factories.po(db_session, debtor, "G-1", group=group, effective=D(2026, 1, 1), expiration=D(2026, 3, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    assignments.assign(db_session, admin, job.id, Target("group", group.id), D(2026, 1, 1))
    assert _set_expiration(db_session, admin, po, D(2026, 6, 30)) == D(2026, 6, 30)
    return admin, debtor, group, po, job


def test_an_extended_group_po_can_be_shortened_back(db_session, extended):
    admin, _, _, po, _ = extended
    assert _set_expiration(db_session, admin, po, D(2026, 5, 31)) == D(2026, 5, 31)
    assert _set_expiration(db_session, admin, po, D(2026, 3, 31)) == D(2026, 3, 31)


def test_shortening_past_the_old_expiration_is_still_refused(db_session, extended):
    admin, _, _, po, _ = extended
    with pytest.raises(ValidationFailed, match="would have no PO on days this PO no longer covers"):
        _set_expiration(db_session, admin, po, D(2026, 2, 28))


def test_a_document_on_the_extensions_days_for_the_job_still_refuses(db_session, extended):
    admin, debtor, _, po, job = extended
    invoice_type = factories.document_types(db_session)["Sales Order"]
    doc = Document(debtor_id=debtor.id, document_type_id=invoice_type.id, number="SO-1", doc_date=D(2026, 5, 15),
                   status="draft", total=Decimal("10"))
    db_session.add(doc)
    db_session.flush()
    code = factories.bill_code_group(db_session, "Doc group", ["DOC"]).bill_codes[0]
    db_session.add(DocumentLine(document_id=doc.id, line_no=1, bill_code_id=code.id, quantity=Decimal("1"),
                                rate=Decimal("10"), amount=Decimal("10"), po_id=po.id, job_id=job.id))
    db_session.commit()
    with pytest.raises(ValidationFailed, match="would have no PO on days this PO no longer covers"):
        _set_expiration(db_session, admin, po, D(2026, 3, 31))
    assert _set_expiration(db_session, admin, po, D(2026, 5, 31)) == D(2026, 5, 31)  # after the document's day


def test_a_job_first_assigned_on_the_extensions_days_still_refuses(db_session, extended):
    admin, debtor, group, po, _ = extended
    late = factories.job(db_session, debtor, start=D(2026, 4, 15))
    assignments.assign(db_session, admin, late.id, Target("group", group.id), D(2026, 4, 15))
    with pytest.raises(ValidationFailed, match="1 job assignment through group Rolling"):
        _set_expiration(db_session, admin, po, D(2026, 3, 31))
