"""Garbage in any query string of any page gets a page or a 4xx, never a 500."""
from __future__ import annotations

import pytest

from tests.sample_records import sample_ids

GARBAGE = [
    {"q": "x" * 5000, "page": "-7", "debtor_id": "abc", "as_of": "2026-02-30", "all": "maybe", "tab": "nope"},
    {"q": "%_\\'\"<script>", "page": "99999999999999999999", "debtor_id": "-1", "as_of": "9999-12-31", "job_id": "x",
     "sort": "drop table", "status": "weird", "expired": "1", "target": "po:abc", "start": "0000-00-00", "type_id": "1e9"},
    {"debtor_id": "99999999999", "as_of": "0001-01-01", "target": "group:-1", "unassigned": "1", "po_id": "1.5"},
]


@pytest.mark.parametrize("params", GARBAGE)
def test_every_get_route_survives_garbage(app, db_session, login_as, params):
    browser, user = login_as("Administrator")
    ids = sample_ids(db_session, owner=user)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        url = rule.build({arg: ids[arg] for arg in rule.arguments})[1]
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(url, query_string=params, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{url} {headers}: {response.status_code}")
    assert failures == []


def test_ids_beyond_any_record_are_refused_cleanly(db_session, login_as):
    browser, _ = login_as("Administrator")
    huge = str(2**40)
    assert browser.get(f"/debtors/{huge}").status_code == 404
    response = browser.post("/admin/users/new", {"username": "big", "full_name": "Big", "password": "long-enough-pw",
                                                 "roles": [huge]})
    assert response.status_code == 200 and "not a valid choice" in response.get_data(as_text=True).lower()
    group = browser.post("/maintenance/bill-code-groups/new", {"name": "G", "bill_code_ids": [huge]})
    assert "Choose bill codes from the list" in group.get_data(as_text=True)
    bulk = browser.post("/assignments/bulk", {"debtor_id": huge, "target": "po:1"})
    assert bulk.status_code == 404


POST_GARBAGE = {
    "code": "x" * 300, "name": "", "number": "bad'\"<>", "title": "t" * 5000, "description": "d" * 5000,
    "debtor_id": "abc", "document_type_id": "1e99", "kind": "??", "effective": "2026-99-99", "expiration": "yesterday",
    "amount": "1e400", "tolerance_pct": "NaN", "group_id": "-5", "alert_template_id": "x", "document_type_ids": ["a"],
    "line_id": ["z"], "line_budget": ["-1e30"], "line_group": ["q"], "line_secondary": [""], "branch_id": "",
    "start_date": "31/12/2026", "discontinued_date": "x", "po_choice": "group:", "po_reference": "r" * 500,
    "target": "po:", "as_of": "2026-02-30", "start": "bad", "remove_future": "1", "exclude": ["x"], "mode": "some",
    "action": "apply", "doc_date": "", "line_job": ["1e9"], "line_code": ["-"], "line_quantity": ["inf"],
    "line_rate": ["1e500"], "line_po": ["x"], "line_date": ["2026-13-40"], "confirmed": "1", "override": "1",
    "type_id": "x", "reason": "", "thresholds": "1,,x,%", "days_before_expiry": "1e9", "subject": "{",
    "message": "}", "bucket": "nope", "sign": "2", "sort_order": "x", "text": "", "password": "p",
    "username": "", "full_name": "", "roles": ["x"], "row_version": "abc", "content": "a,b\n\"unterminated",
    "over_budget_policy": "both", "q": "x",
}


def test_every_post_route_survives_garbage(app, db_session, login_as):
    # no control characters here: they are refused before any view runs (test_input_hardening), and
    # this garbage must reach the views
    browser, user = login_as("Administrator")
    ids = sample_ids(db_session, owner=user)
    failures, reached = [], 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        url = rule.build({arg: ids[arg] for arg in rule.arguments})[1]
        response = browser.post(url, POST_GARBAGE)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
        reached += response.status_code != 400
    assert failures == []
    assert reached > 20  # the garbage reached the views, not only a hook in front of them
