"""Defects 15 and 16 held by a property: whatever a user types as quantity and rate, saving a draft either
refuses it with a message or stores exactly what was typed (no rounding, no overflow, no 500), and the
stored amount is quantity × rate half-up to cents."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from portal.domain.numbers import money
from portal.models import BillCode, Document, DocumentLine
from portal.services import documents
from portal.services.documents import DocumentInput, LineInput, parse_decimal
from portal.services.errors import ValidationFailed
from tests import factories

digits = st.integers(min_value=0, max_value=10**14).map(str)
typed = st.one_of(
    st.builds(lambda i, f: f"{i}.{f}", digits, st.integers(min_value=0, max_value=10**6).map(str)),
    st.decimals(min_value=Decimal("-1e13"), max_value=Decimal("1e13"), places=5, allow_nan=False).map(lambda d: f"{d:,f}"),
    digits, st.sampled_from(["1,2,3", "10,00", "0.00001", "999999999999", "9999999999.9999", "1e3", "-0", ""]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quantity=typed, rate=typed)
def test_a_line_is_stored_as_typed_or_refused_with_a_message(db_session, quantity, rate):
    user = db_session.info.get("prop_user")
    if user is None:
        user = db_session.info["prop_user"] = factories.user(db_session, role_name="Billing Admin")
        debtor = db_session.info["prop_debtor"] = factories.debtor(db_session)
        db_session.add(BillCode(code="ORD"))
        db_session.commit()
    debtor = db_session.info["prop_debtor"]
    code = db_session.scalars(select(BillCode)).one()
    invoice = factories.document_types(db_session)["Sales Invoice"]
    q, r = parse_decimal(quantity), parse_decimal(rate)
    data = DocumentInput(debtor_id=debtor.id, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
                         lines=(LineInput(job_id=None, bill_code_id=code.id, quantity=q, rate=r),))
    before = db_session.scalar(select(func.count()).select_from(Document))
    try:
        doc = documents.save_draft(db_session, user, None, data)
    except ValidationFailed as exc:
        assert str(exc)  # a message the form shows
        db_session.rollback()
        assert db_session.scalar(select(func.count()).select_from(Document)) == before
        return
    db_session.expire_all()
    line = db_session.scalars(select(DocumentLine).where(DocumentLine.document_id == doc.id)).one()
    assert (line.quantity, line.rate) == (q, r)  # equal as numbers: nothing rounded away
    assert line.amount == money(q * r)
