"""A table's row links are built once per page and filled in per row: each equals url_for's."""
from __future__ import annotations

import pytest
from flask import url_for

from portal.web import url_per_row


@pytest.mark.parametrize("endpoint, key, values", [
    ("job_orders.detail", "job_id", {"as_of": "2026-03-01"}),
    ("assignments.grid_assign", "job_id", {}),
    ("purchase_orders.detail", "po_id", {"tab": "documents", "q": "2147483647 & ?"}),  # the marker twice
    ("assignments.grid", "job_id", {"debtor_id": 2147483647, "as_of": "2026-03-01"}),
    ("assignments.grid", "job_id", {"debtor_id": 5, "as_of": "2026-03-01"}),  # the id as a query argument
])
def test_each_row_gets_the_url_url_for_builds(app, endpoint, key, values):
    with app.test_request_context("/"):
        build = url_per_row(endpoint, key, **values)
        for ident in (1, 7, 42, 123456, 2147483646):
            assert build(ident) == url_for(endpoint, **{key: ident}, **values)
        with pytest.raises(ValueError):
            build("7; drop")
