"""Property-based run of the whole API from its OpenAPI document (schemathesis over the WSGI app):
generated requests, valid and not, never get a 5xx, and every response matches the document
(status code documented, content type, body schema). Bounded: a few examples per operation."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests import factories
from tests.api.conftest import make_token

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app, db_session):
    """A few records of each kind (ids 1 and 2 exist, as generated ids often are), an administrator's
    token, and the OpenAPI document read from the API itself with that token."""
    from portal.models import BillCode
    from portal.services import documents

    admin = factories.user(db_session, role_name="Administrator")
    for code in ("ACME", "DELL"):
        debtor = factories.debtor(db_session, code)
        group = factories.po_group(db_session, debtor)
        po = factories.po(db_session, debtor, group=group)
        factories.po(db_session, debtor, kind="multi_line")
        job = factories.job(db_session, debtor, start=date(2026, 1, 1))
        factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    bill_code = BillCode(code="ORD")
    db_session.add(bill_code)
    db_session.commit()
    invoice = factories.document_types(db_session)["Sales Invoice"]
    for _ in range(2):
        documents.save_draft(db_session, admin, None, documents.DocumentInput(
            debtor_id=1, document_type_id=invoice.id, number="", doc_date=date(2026, 3, 1),
            lines=(documents.LineInput(1, bill_code.id, Decimal("2"), Decimal("50")),)))
    _, secret = make_token(db_session, admin)
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    schema.headers = headers
    return schema


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_document(api_schema, mode):
    """Every operation, valid requests and invalid ones: no 5xx, every response as documented.
    (Each operation is driven through its own Hypothesis run; a failure names the operation.)"""
    failures, statuses = [], []
    operations = list(_operations(api_schema))
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            statuses.append(case.call_and_validate(headers=api_schema.headers, checks=CHECKS).status_code)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - collected so one run names every operation that fails
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert failures == [], "\n\n".join(failures)
    assert len(operations) >= 19 and len(statuses) >= EXAMPLES * len(operations) // 2, (len(operations), len(statuses))
    if mode is GenerationMode.POSITIVE:  # valid requests mostly succeed (some hit missing ids or rules)
        assert sum(200 <= s < 300 for s in statuses) > len(statuses) // 4, sorted(set(statuses))
    else:
        assert all(400 <= s < 500 or s < 300 for s in statuses), sorted(set(statuses))
