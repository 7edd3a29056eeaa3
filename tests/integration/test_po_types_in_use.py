"""A PO's eligible document types are not narrowed away from the types of documents on it (posted or
drafted): such a document would stay on a PO not eligible for its type. Credit memos skip eligibility and
void documents draw nothing, so neither holds a type."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from portal.services import documents, posting
from portal.services import purchase_orders as po_service
from portal.services.errors import ValidationFailed
from tests import factories
from tests.integration.test_posting import draft, line, post, world  # noqa: F401  (fixture)


def _narrow(w, po, *names):
    s = w["session"]
    s.expire_all()
    po = s.get(type(po), po.id)
    data = replace(po_service.snapshot(po), document_type_ids=tuple(sorted(w["types"][n].id for n in names)))
    return po_service.update_po(s, po.id, data, actor=w["user"])


def test_narrowing_away_from_posted_and_drafted_types_is_refused_naming_them(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "4500", amount="10000")
    job = factories.job(s, world["debtor"])
    factories.assignment(s, job, po=po, start=date(2026, 1, 1))
    first = draft(world, "Sales Invoice", [line(world, "100", job), line(world, "50", job)])
    assert post(world, first).posted
    assert post(world, draft(world, "Sales Invoice", [line(world, "20", job)])).posted
    draft(world, "Estimate", [line(world, "70", po=po)])  # a draft naming the PO
    credit = documents.derive(s, world["user"], first.id, world["types"]["Credit Memo"].id)
    assert post(world, credit).posted
    voided = draft(world, "Sales Order", [line(world, "10", po=po)])
    assert post(world, voided).posted
    posting.void(s, world["user"], voided.id)
    before = {e.document_type_id for e in s.get(type(po), po.id).eligible}

    with pytest.raises(ValidationFailed) as refused:
        _narrow(world, po, "Service Invoice")
    assert refused.value.errors == {"document_type_ids": [
        "Documents on this PO use Estimate (1 document), Sales Invoice (2 documents): keep these types eligible "
        "while they are on it."]}
    with pytest.raises(ValidationFailed) as one:
        _narrow(world, po, "Estimate", "Service Invoice")
    assert one.value.errors["document_type_ids"] == [
        "Documents on this PO use Sales Invoice (2 documents): keep that type eligible while they are on it."]
    s.expire_all()
    assert {e.document_type_id for e in s.get(type(po), po.id).eligible} == before

    # the credit memo (eligibility skipped) and the void sales order hold no type
    _narrow(world, po, "Estimate", "Sales Invoice")
    s.expire_all()
    assert {e.document_type_id for e in s.get(type(po), po.id).eligible} == {
        world["types"]["Estimate"].id, world["types"]["Sales Invoice"].id}


def test_a_po_without_documents_narrows_freely(world):
    s = world["session"]
    po = factories.po(s, world["debtor"], "4501")
    _narrow(world, po, "Service Invoice")
    s.expire_all()
    assert {e.document_type_id for e in s.get(type(po), po.id).eligible} == {world["types"]["Service Invoice"].id}
