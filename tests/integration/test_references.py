"""Nothing is deleted while something refers to it, and the refusal names what: the registry of references is
held to the schema's own foreign keys, and each kind of record that blocks a delete is named."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from portal.models import BillCode, Debtor, DocumentType, PurchaseOrder
from portal.services import debtors, maintenance
from portal.services.errors import Conflict
from portal.services.references import REFERENCES
from tests import factories

def _restricting_keys(session) -> set[tuple[str, str]]:
    """(referenced table, referencing table) of every foreign key that stops a delete (no action, restrict)."""
    return set(session.execute(text(
        "SELECT confrelid::regclass::text, conrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND confdeltype IN ('a', 'r')")).all())


def _counted_tables(model) -> set[str]:
    """The tables the registry's counts for `model` read (each count compiled for a stand-in record)."""
    stand_in = SimpleNamespace(id=0, group_id=None, effective=None, expiration=None)
    return {t.name for statement, _ in REFERENCES[model] for t in statement(stand_in).get_final_froms()}


@pytest.mark.parametrize("model", list(REFERENCES), ids=lambda m: m.__name__)
def test_every_key_that_stops_a_delete_is_counted_first(db_session, model):
    """Defect: deleting a debtor with job orders, documents or service desk items (or a bill code on a catalog
    charge) answered 500: the database's key refused it and the registry had not counted them. Every foreign key
    that stops a delete of a registered model is counted first."""
    table = model.__tablename__
    referencing = {src for target, src in _restricting_keys(db_session) if target == table and src != table}
    missing = referencing - _counted_tables(model)
    assert not missing, f"{model.__name__}: nothing counts the rows of {sorted(missing)} before deleting"


def test_a_debtor_with_jobs_documents_or_service_desk_items_is_refused_by_name(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    debtor, branch = factories.debtor(db_session, "NOPO"), factories.branch(db_session)
    factories.job(db_session, debtor, branch)
    with pytest.raises(Conflict, match="NOPO cannot be deleted: 1 job order refers to it."):
        debtors.delete_debtor(db_session, debtor.id, actor=admin)
    assert db_session.get(Debtor, debtor.id) is not None


def test_a_bill_code_on_a_catalog_charge_is_refused_by_name(db_session):
    admin = factories.user(db_session, role_name="Administrator")
    eq = factories.equipment_setup(db_session)
    with pytest.raises(Conflict, match="2 catalog charges refer to it"):
        maintenance.delete_item(db_session, "bill_codes", eq["bill_code"].id, actor=admin)
    assert db_session.get(BillCode, eq["bill_code"].id) is not None


def test_a_reference_the_registry_misses_is_a_refusal_not_an_error(db_session, monkeypatch):
    """The database's key is the last word: a delete it refuses is a Conflict with nothing written."""
    admin = factories.user(db_session, role_name="Administrator")
    types = factories.document_types(db_session)
    factories.po(db_session, factories.debtor(db_session), "ONLY-RO", types=[types["Repair Order"]])
    monkeypatch.setitem(REFERENCES, DocumentType, [])
    with pytest.raises(Conflict, match="other records refer to it"):
        maintenance.delete_item(db_session, "document_types", types["Repair Order"].id, actor=admin)
    assert db_session.scalar(select(DocumentType).where(DocumentType.name == "Repair Order")) is not None
    assert db_session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == "ONLY-RO")) is not None
