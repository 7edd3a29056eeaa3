"""The assignment grid: assign and clear in a job's row (htmx), job security, grants, bad input."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.models import JobPOAssignment
from tests import factories
from tests.web.forms_walk import post_forms


def _setup(db_session):
    debtor = factories.debtor(db_session, "CITY")
    nth, sth = factories.branch(db_session, "NTH"), factories.branch(db_session, "STH")
    po = factories.po(db_session, debtor, "P-1", effective=date(2026, 1, 1), expiration=date(2026, 6, 30))
    mine = factories.job(db_session, debtor, nth, title="Mine")
    theirs = factories.job(db_session, debtor, sth, title="Theirs")
    return debtor, nth, po, mine, theirs


def _fields(form) -> dict[str, str]:
    return {name: values[0] for name, values in form.data().items()}


def test_the_prompts_other_choice_starts_on_the_pos_effective_date(db_session, login_as):
    debtor, _, po, mine, _ = _setup(db_session)
    browser, _ = login_as("Billing Admin")
    html = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    [effective] = [f for f in post_forms(html) if f.data().get("start") == ["2026-01-01"]]
    done = browser.post(effective.action, _fields(effective), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Assigned from 2026-01-01" in done
    db_session.expire_all()
    assert db_session.scalar(select(JobPOAssignment.start_date)) == date(2026, 1, 1)
    # on the PO's effective date there is nothing to ask
    other = factories.job(db_session, debtor, factories.branch(db_session, "EST"), title="Other")
    done = browser.post(f"/assignments/grid/{other.id}/assign", {"as_of": "2026-01-01", "target": f"po:{po.id}"})
    assert "Assigned from 2026-01-01" in done.get_data(as_text=True) and _count(db_session) == 2


def _count(db_session):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(JobPOAssignment))


def test_assign_and_clear_in_the_row_answer_the_row(db_session, login_as):
    debtor, _, po, mine, _ = _setup(db_session)
    browser, _ = login_as("Billing Clerk")  # assignments add_edit: per job, no bulk
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01").get_data(as_text=True)
    assert 'id="bulk-assign"' not in grid and f'action="/assignments/grid/{mine.id}/assign"' in grid
    row = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"},
                       headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    # seed 004: P-1 is valid from 01-01, not the as-of date: the row asks when the assignment starts (it assigned
    # from the as-of date without a word, leaving January and February unfunded)
    assert row.status_code == 200 and html.strip().startswith("<tr") and "when does the assignment start" in html
    assert _count(db_session) == 0
    prompt = {f.data()["start"][0]: f for f in post_forms(html) if "start" in f.data()}
    assert sorted(prompt) == ["2026-01-01", "2026-03-01"]
    row = browser.post(prompt["2026-03-01"].action, _fields(prompt["2026-03-01"]), headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.lstrip().startswith("{#") is False and html.strip().startswith("<tr")
    assert "P-1" in html and "Assigned from 2026-03-01" in html and "Jump to 2026-07-01" in html and "Clear" in html
    assert _count(db_session) == 1
    # posting the same form back: refused in the row with the reason, nothing doubled
    again = browser.post(prompt["2026-03-01"].action, _fields(prompt["2026-03-01"]))
    assert "already assigned" in again.get_data(as_text=True) and _count(db_session) == 1
    cleared = browser.post(f"/assignments/grid/{mine.id}/clear", {"as_of": "2026-03-01"}).get_data(as_text=True)
    assert "Cleared as of 2026-03-01" in cleared and _count(db_session) == 0  # cleared on its start day: deleted


def test_bad_input_in_the_row_is_a_message_not_an_error(db_session, login_as):
    debtor, _, po, mine, _ = _setup(db_session)
    other = factories.po(db_session, factories.debtor(db_session, "ELSE"), "X-1")
    browser, _ = login_as("Billing Admin")
    for target in ("", "po:abc", "po:-3", f"po:{other.id}", "group:99999", "x" * 500):
        response = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target": target})
        assert response.status_code == 200 and "field-error" in response.get_data(as_text=True), target
    assert browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "not-a-date", "target": f"po:{po.id}"}).status_code == 200
    assert browser.post("/assignments/grid/999999/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"}).status_code == 404
    assert _count(db_session) <= 1


def test_other_branches_jobs_and_view_roles_are_refused(db_session, login_as):
    debtor, nth, po, mine, theirs = _setup(db_session)
    north, _ = login_as("Billing Admin", branches=[nth])
    assert north.post(f"/assignments/grid/{theirs.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"}).status_code == 404
    assert north.post(f"/assignments/grid/{theirs.id}/clear", {"as_of": "2026-03-01"}).status_code == 404
    grid = north.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01").get_data(as_text=True)
    assert "Theirs" not in grid and "Mine" in grid
    auditor, _ = login_as("Auditor")
    assert auditor.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"}).status_code == 403
    seen = auditor.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01").get_data(as_text=True)
    assert "/assignments/grid/" not in seen
    assert _count(db_session) == 0


def test_future_removal_names_the_po_as_users_know_it(db_session, login_as):
    debtor, _, po, mine, _ = _setup(db_session)
    later = factories.po(db_session, debtor, "P3", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    factories.assignment(db_session, mine, po=later, start=date(2026, 5, 1))
    browser, _ = login_as("Billing Admin")
    html = browser.post(f"/assignments/jobs/{mine.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"}).get_data(as_text=True)
    assert "PO P3" in html and f"po {later.id}" not in html
    assert html.count("<mark>") == 1  # the prompt once, not once per block


def test_every_unassigned_row_offers_the_debtors_groups_and_pos(db_session, login_as):
    """The grid renders the picker's options once for all its rows; a row answered alone renders its own."""
    debtor, _, po, mine, theirs = _setup(db_session)
    group = factories.po_group(db_session, debtor, "Cleaning")
    factories.po(db_session, debtor, "G-1", group=group, effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
    db_session.commit()
    browser, _ = login_as("Billing Admin")
    options = [f'<option value="group:{group.id}">Group Cleaning (PO G-1)</option>',
               f'<option value="po:{po.id}">PO P-1</option>']
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01").get_data(as_text=True)
    for job in (mine, theirs):
        picker = grid.split(f'aria-label="PO or group for {job.number}"', 1)[1].split("</select>", 1)[0]
        assert all(o in picker for o in options), picker
    browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target": f"po:{po.id}"})
    row = browser.post(f"/assignments/grid/{mine.id}/clear", {"as_of": "2026-03-01"}).get_data(as_text=True)
    picker = row.split(f'aria-label="PO or group for {mine.number}"', 1)[1].split("</select>", 1)[0]
    assert all(o in picker for o in options), picker


def test_a_debtor_with_more_pos_than_a_row_can_list_has_them_typed_from_one_list_on_the_page(db_session, login_as):
    """1,000 valid POs were drawn in every unassigned row (700 KB a page): past the limit the page holds
    them once and a row types a PO number or group, which is looked up among the debtor's offers."""
    from portal.blueprints.assignments.views import GRID_PICKER_OPTIONS

    debtor, nth, po, mine, theirs = _setup(db_session)
    north = factories.po_group(db_session, debtor, "North  sites")
    factories.po(db_session, debtor, "G-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31), group=north)
    first = [factories.po(db_session, debtor, f"Q-{n:03}", effective=date(2026, 1, 1), expiration=date(2026, 12, 31))
             for n in range(GRID_PICKER_OPTIONS)][0]
    # a number that reads like a listed option's value names that PO, never the PO with that id
    lookalike = factories.po(db_session, debtor, f"po:{first.id}", effective=date(2026, 1, 1),
                             expiration=date(2026, 12, 31))
    factories.po(db_session, debtor, "LATER", effective=date(2026, 5, 1), expiration=date(2026, 12, 31))
    factories.po(db_session, factories.debtor(db_session, "ELSE"), "X-1", effective=date(2026, 1, 1))
    browser, _ = login_as("Billing Admin")
    grid = browser.get(f"/assignments/?debtor_id={debtor.id}&as_of=2026-03-01").get_data(as_text=True)
    assert grid.count('<datalist id="grid-offers">') == 1 and grid.count('list="grid-offers"') == 2
    listed = grid.split('<datalist id="grid-offers">', 1)[1].split("</datalist>", 1)[0]
    assert listed.count('<option value="PO ') == GRID_PICKER_OPTIONS and 'value="Group North  sites"' in listed
    assert 'value="PO Q-039"' not in listed  # past the first GRID_PICKER_OPTIONS by number: found by typing
    assert 'value="PO LATER"' not in grid and "X-1" not in grid and 'name="target" aria' not in grid
    offers = f"/assignments/offers?debtor_id={debtor.id}&as_of=2026-03-01"
    assert grid.count(f'hx-get="{offers.replace("&", "&amp;")}"') == 2
    narrowed = browser.get("/assignments/offers", query_string={"debtor_id": debtor.id, "as_of": "2026-03-01",
                                                                "target_name": " PO  q-03"}).get_data(as_text=True)
    assert '<datalist id="grid-offers">' in narrowed and "<html" not in narrowed
    assert [f"Q-{n:03}" for n in range(30, 40)] == [o for o in (f"Q-{n:03}" for n in range(40))
                                                     if f'value="PO {o}"' in narrowed]
    assert 'value="Group North  sites"' in narrowed and "LATER" not in narrowed and "X-1" not in narrowed
    for typed in ("Q-0", "X-1", "LATER", "PO P-1 please", "North sites", "po:abc", "  ", "x" * 500):
        refused = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target_name": typed})
        assert refused.status_code == 200 and "field-error" in refused.get_data(as_text=True), typed
    assert _count(db_session) == 0
    row = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target_name": "  po q-007 ",
                                                               "start": "2026-03-01"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Q-007" in row and "Assigned" in row and _count(db_session) == 1
    row = browser.post(f"/assignments/grid/{theirs.id}/assign", {"as_of": "2026-03-01", "target_name": "group north sites",
                                                                 "start": "2026-03-01"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "G-1" in row and "North  sites" in row and _count(db_session) == 2
    row = browser.post(f"/assignments/grid/{mine.id}/clear", {"as_of": "2026-03-01"}).get_data(as_text=True)
    assert "Cleared" in row and _count(db_session) == 1
    row = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-03-01", "target_name": f"po:{first.id}",
                                                               "start": "2026-03-01"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"po:{first.id}" in row and "Assigned" in row and _count(db_session) == 2
    assert db_session.scalar(select(JobPOAssignment.po_id).where(JobPOAssignment.job_id == mine.id)) == lookalike.id
    other_branch, _ = login_as("Billing Admin", branches=[nth])
    assert other_branch.post(f"/assignments/grid/{theirs.id}/assign", {"as_of": "2026-03-01", "target_name": "Q-008"}
                             ).status_code == 404


def test_a_malformed_as_of_date_is_a_message_by_the_box_and_the_grid_says_it_shows_today(db_session, login_as):
    """Defect: the grid's 'Assigned as of' box fell back to today without a word, and a row posted with a
    malformed date assigned from today."""
    debtor, _, _, mine, _ = _setup(db_session)
    always = factories.po(db_session, debtor, "ALWAYS", effective=date(2020, 1, 1), expiration=date(2099, 12, 31))
    browser, _ = login_as("Billing Admin")
    today = date.today().isoformat()
    for typed in ("2026-02-30", "31/12/2026", "abc"):
        grid = browser.get("/assignments/", query_string={"debtor_id": debtor.id, "as_of": typed}).get_data(as_text=True)
        box = grid.split('id="as-of"', 1)[0].rsplit("<input", 1)[1] + grid.split('id="as-of"', 1)[1].split(">", 1)[0]
        assert f'value="{typed}"' in box and 'aria-invalid="true"' in box, typed
        assert f"Enter the as-of date as YYYY-MM-DD. Showing {today}, today." in grid, typed
        assert f"· as of {today}" in grid  # what is listed says its day
        row = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": typed, "target": f"po:{always.id}"},
                           headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Enter the as-of date as YYYY-MM-DD." in row and "Assigned" not in row, typed
        row = browser.post(f"/assignments/grid/{mine.id}/clear", {"as_of": typed}).get_data(as_text=True)
        assert "Enter the as-of date as YYYY-MM-DD." in row, typed
    assert _count(db_session) == 0
    fine = browser.get("/assignments/", query_string={"debtor_id": debtor.id, "as_of": "2026-03-01"}).get_data(as_text=True)
    assert "Enter the as-of date" not in fine and 'aria-invalid' not in fine.split('id="as-of"', 1)[1].split(">", 1)[0]


def test_a_date_typed_in_the_as_of_box_and_not_yet_applied_refuses_the_rows_change(db_session, login_as):
    """Typing a new as-of date and clicking a row's Assign straight away assigned from the day the row showed,
    while the grid redrew for the typed day and showed the job unassigned. The box comes along with the row's
    form: when it differs from the day shown nothing is changed."""
    debtor, _, po, mine, _ = _setup(db_session)
    browser, _ = login_as("Billing Admin")
    row = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-01-01", "as_of_typed": "2026-03-01",
                                                                "target": f"po:{po.id}"})
    assert "was changed to 2026-03-01 while this showed 2026-01-01: nothing was changed" in row.get_data(as_text=True)
    assert _count(db_session) == 0
    done = browser.post(f"/assignments/grid/{mine.id}/assign", {"as_of": "2026-01-01", "as_of_typed": "2026-01-01",
                                                                 "target": f"po:{po.id}"})
    assert "Assigned from 2026-01-01" in done.get_data(as_text=True) and _count(db_session) == 1
    panel = browser.post(f"/assignments/jobs/{mine.id}/clear", {"as_of": "2026-02-01", "as_of_typed": "2026-05-01"})
    assert "nothing was changed" in panel.get_data(as_text=True) and _count(db_session) == 1
