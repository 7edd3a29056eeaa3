"""Which typed PO numbers name one of the debtor's POs: matched as PO numbers are (upper case, the debtor's own)."""
from __future__ import annotations

from portal.services import typed_numbers
from tests import factories


def test_a_typed_number_names_the_debtors_po_whatever_its_case_and_only_the_debtors(db_session):
    globex, acme = factories.debtor(db_session, "GLOBEX"), factories.debtor(db_session, "ACME")
    types = factories.document_types(db_session)
    sales = factories.po(db_session, globex, "GLX-Split", types=[types["Sales Invoice"]])
    service = factories.po(db_session, globex, "GLX-Split", types=[types["Service Invoice"]])
    factories.po(db_session, acme, "ACM-1")
    found = typed_numbers.pos_named(db_session, globex.id, ["glx-split", " GLX-SPLIT ", "ACM-1", "GLX", ""])
    assert found == {"glx-split": ("GLX-Split", (sales.id, service.id)),
                     " GLX-SPLIT ": ("GLX-Split", (sales.id, service.id))}
    assert typed_numbers.po_named(db_session, globex.id, "  glx-split ") == "GLX-Split"
    assert typed_numbers.po_named(db_session, globex.id, "ACM-1") is None  # another debtor's number: on the fly
    assert typed_numbers.po_named(db_session, acme.id, "ACM-1") == "ACM-1"
    assert typed_numbers.po_named(db_session, None, "ACM-1") is None
    assert typed_numbers.pos_named(db_session, globex.id, []) == {}
