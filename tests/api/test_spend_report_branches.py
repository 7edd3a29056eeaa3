"""GET /api/v1/reports/spend-by-po-number covers every branch's jobs: a token of a user limited to
branches gets 403 (problem+json, saying why), an unlimited one the report (probe A, finding 1)."""
from __future__ import annotations

from tests.api.conftest import is_problem
from tests.web.test_branch_limited_report import SECRET_REF, post_south_invoice

URL = "/api/v1/reports/spend-by-po-number"


def test_a_branch_limited_token_gets_403_from_the_spend_report(api_as, db_session):
    north = post_south_invoice(db_session)
    client, _ = api_as("Consultant", branches=[north])
    for query in ("", "?page=2", "?debtor_id=1"):
        response = client.get(URL + query)
        body = is_problem(response, 403)
        assert SECRET_REF not in response.get_data(as_text=True)
        assert body["detail"] == ("The spend report covers every branch's jobs; it is not shown to users limited "
                                  "to branches.")


def test_an_unlimited_token_still_gets_the_spend_report(api_as, db_session):
    post_south_invoice(db_session)
    client, _ = api_as("Consultant")
    response = client.get(URL)
    assert response.status_code == 200
    [row] = response.get_json()["items"]
    assert (row["po_number"], row["used"], row["budgeted"]) == (SECRET_REF, "1234.50", False)
