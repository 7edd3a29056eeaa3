"""Saving a draft: what the database refuses is said for what it is."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.models import BillCode
from tests import factories


def test_a_draft_naming_a_po_deleted_meanwhile_is_refused_for_what_it_is(db_session, monkeypatch):
    """Defect: a draft saved as its PO was deleted (at once, by someone else) was refused with "A document of this
    type with that number exists.", though no number was typed: the refusal names the record gone."""
    from sqlalchemy import text

    from portal.services import documents
    from portal.services.errors import ValidationFailed

    user = factories.user(db_session, role_name="Billing Admin")
    debtor, branch = factories.debtor(db_session, "ACME"), factories.branch(db_session)
    job = factories.job(db_session, debtor, branch)
    po = factories.po(db_session, debtor, "GONE-1")
    code = BillCode(code="ORD")
    db_session.add(code)
    db_session.commit()
    data = documents.DocumentInput(
        debtor_id=debtor.id, document_type_id=factories.document_types(db_session)["Sales Invoice"].id, number="",
        doc_date=date(2026, 3, 1),
        lines=(documents.LineInput(job.id, code.id, Decimal(1), Decimal(10), explicit_po_id=po.id),))
    original = documents._validate

    def validated_then_deleted(*args, **kw):  # the PO goes between the checks and the write, as in the race
        out = original(*args, **kw)
        db_session.execute(text("DELETE FROM purchase_orders WHERE id = :id"), {"id": po.id})
        return out

    monkeypatch.setattr(documents, "_validate", validated_then_deleted)
    with pytest.raises(ValidationFailed) as refused:
        documents.save_draft(db_session, user, None, data)
    assert refused.value.errors == {
        "lines": ["A PO, job order or bill code a line names was deleted meanwhile: choose again."]}
