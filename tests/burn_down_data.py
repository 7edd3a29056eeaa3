"""A PO with a history of Used and Commitments, posted through the real services (burn-down tests)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.models import BillCode
from portal.services import documents, posting
from tests import factories


def setup(session, *, amount="10000.00", tolerance=90, expiration=date(2099, 12, 31), number=None, debtor=None,
          user=None, **kw):
    """A debtor, a PO (effective 2020) and a bill code; returns a dict the helpers below take."""
    user = user or factories.user(session, role_name="Administrator")
    debtor = debtor or factories.debtor(session)
    po = factories.po(session, debtor, number, amount=amount, tolerance=tolerance, effective=date(2020, 1, 1),
                      expiration=expiration, **kw)
    code = session.query(BillCode).filter_by(code="ORD").one_or_none()
    if code is None:
        code = BillCode(code="ORD")
        session.add(code)
        session.commit()
    return {"user": user, "debtor": debtor, "po": po, "code": code, "types": factories.document_types(session)}


def post(session, world, day: date, amount: str, type_name: str = "Sales Invoice", po=None):
    """Post one document of one line, `amount` on the PO, dated `day`."""
    po = po or world["po"]
    doc = documents.save_draft(session, world["user"], None, documents.DocumentInput(
        debtor_id=world["debtor"].id, document_type_id=world["types"][type_name].id, number="", doc_date=day,
        lines=(documents.LineInput(None, world["code"].id, Decimal("1"), Decimal(amount), explicit_po_id=po.id),)))
    result = posting.post(session, world["user"], doc.id, confirmed=True, today=day)
    assert result.posted, result
    return doc
