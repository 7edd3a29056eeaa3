"""API lists run the same number of SQL statements for a few rows as for a full page (no query per row)."""
from __future__ import annotations

import pytest

from tests import factories
from tests.web.test_list_queries import (_grow_documents, _grow_documents_on_new_pos, _grow_groups, _grow_jobs,
                                        growth_world)


def _grow_master_pos(s, world, n):
    group = world.get("code_group") or factories.bill_code_group(s, "Ordinary", ["ORD2"])
    world["code_group"] = group
    from decimal import Decimal

    from portal.models import POLine, POLineBalance

    for _ in range(n):
        po = factories.po(s, world["debtor"], kind="multi_line_master", amount="100")
        line = POLine(po_id=po.id, line_no=1, budget=Decimal("100"), bill_code_group_id=group.id, secondary_po_number="S1")
        s.add(line)
        s.flush()
        s.add(POLineBalance(po_line_id=line.id, po_id=po.id))
        s.commit()


CASES = {
    "job orders": ("/api/v1/job-orders?debtor_id={debtor}&active_only=false&per_page=100", _grow_jobs),
    "PO groups": ("/api/v1/po-groups?debtor_id={debtor}&per_page=100", _grow_groups),
    "purchase orders": ("/api/v1/purchase-orders?per_page=100", _grow_groups),
    "master purchase orders": ("/api/v1/purchase-orders?per_page=100", _grow_master_pos),
    "documents": ("/api/v1/documents?per_page=100", _grow_documents),
    "spend by PO number": ("/api/v1/reports/spend-by-po-number?per_page=100", _grow_documents_on_new_pos),
}


@pytest.mark.parametrize("name", list(CASES))
def test_api_lists_run_a_constant_number_of_queries(name, db_session, api_as, count_queries):
    client, user = api_as("Administrator")
    world = growth_world(db_session, user)
    debtor = world["debtor"]
    url = CASES[name][0].format(debtor=debtor.id)

    def queries() -> tuple[int, int]:
        with count_queries() as statements:
            response = client.get(url)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return len(statements), len(response.get_json()["items"])

    CASES[name][1](db_session, world, 2)
    small, small_rows = queries()
    CASES[name][1](db_session, world, 20)
    large, large_rows = queries()
    assert large_rows > small_rows
    assert large == small
