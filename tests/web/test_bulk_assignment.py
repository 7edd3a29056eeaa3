"""Bulk assignment: filter plus exclusions, skip reasons, set-based statements, bad input."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from portal.models import AuditEntry, JobOrder, JobPOAssignment
from tests import factories

D = date


def _jobs(session, debtor, branch, n, **kw):
    rows = [{"title": f"Bulk {i}", "debtor_id": debtor.id, "branch_id": branch.id, "start_date": D(2026, 1, 1),
             "site": "Depot", **kw} for i in range(n)]
    return session.execute(insert(JobOrder).returning(JobOrder.id), rows).scalars().all()


def test_preview_then_apply_with_skip_reasons_and_exclusions(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "BULK-PO", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    ids = _jobs(db_session, debtor, branch, 6)
    late = factories.job(db_session, debtor, branch, start=D(2026, 5, 1), title="Starts later")
    gone = factories.job(db_session, debtor, branch, discontinued=D(2026, 2, 1), title="Discontinued")
    taken = factories.job(db_session, debtor, branch, title="Already")
    factories.assignment(db_session, taken, po=po, start=D(2026, 1, 1))
    future = factories.job(db_session, debtor, branch, title="Future")
    factories.assignment(db_session, future, po=po, start=D(2026, 9, 1))
    db_session.commit()
    form = {"debtor_id": str(debtor.id), "target": f"po:{po.id}", "start": "2026-03-01", "mode": "all",
            "exclude": [str(ids[0])], "action": "preview"}
    preview = browser.post("/assignments/bulk", form, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="bulk-will-assign">5<' in preview
    for reason in ("not active on the date", "discontinued before the date", "already assigned on the date",
                   "has future assignments"):
        assert reason in preview
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 2  # preview writes nothing
    done = browser.post("/assignments/bulk", {**form, "action": "apply"}, headers={"HX-Request": "true"})
    assert 'id="bulk-assigned">5<' in done.get_data(as_text=True)
    assigned = set(db_session.scalars(select(JobPOAssignment.job_id).where(JobPOAssignment.source == "bulk")))
    assert assigned == set(ids[1:])
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "job_po_assignments", AuditEntry.summary.like("bulk%"))) == 5
    assert late.id not in assigned and gone.id not in assigned


def test_bulk_runs_a_fixed_number_of_statements(db_session, login_as, count_queries):
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor)

    def run(n, headers):
        db_session.execute(JobPOAssignment.__table__.delete())
        db_session.execute(JobOrder.__table__.delete())
        db_session.commit()
        _jobs(db_session, debtor, branch, n)
        db_session.commit()
        browser.get("/")  # a new user or branch has the next request read the grants again (principals)
        with count_queries() as statements:
            response = browser.post("/assignments/bulk", {"debtor_id": str(debtor.id), "target": f"po:{po.id}",
                                                          "start": "2026-03-01", "action": "apply"},
                                    headers=headers)
        assert response.status_code == 200
        assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == n
        return len(statements)

    assert run(20, {"HX-Request": "true"}) == run(1500, {"HX-Request": "true"})
    # the whole page also lists the jobs for ticking (the first LISTED): applying must not re-read each of them
    assert run(20, {}) == run(1500, {})


def test_bulk_bad_input(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, other, branch = factories.debtor(db_session), factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, effective=D(2026, 1, 1), expiration=D(2026, 6, 30))
    foreign = factories.po(db_session, other)
    _jobs(db_session, debtor, branch, 3)
    db_session.commit()
    base = {"debtor_id": str(debtor.id), "start": "2026-03-01", "action": "apply"}
    cases = [
        ({**base, "target": f"po:{foreign.id}"}, "Choose a PO or PO group of this debtor"),
        ({**base, "target": ""}, "Choose a PO or PO group"),
        ({**base, "target": f"po:{po.id}", "start": "2026-08-01"}, "valid from 2026-01-01 to 2026-06-30"),
        ({**base, "target": f"po:{po.id}", "exclude": ["x"]}, "Job ids must be numbers"),
        ({**base, "target": f"po:{po.id}", "mode": "some"}, "No job in the selection"),
    ]
    for form, message in cases:
        html = browser.post("/assignments/bulk", form, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert message in html, form
    assert browser.post("/assignments/bulk", {**base, "debtor_id": "424242", "target": f"po:{po.id}"}).status_code == 404
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 0


def test_bulk_needs_full(db_session, login_as):
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    assert browser.get(f"/assignments/bulk?debtor_id={debtor.id}").status_code == 403


def test_oversized_request_is_refused_cleanly(db_session, login_as, app):
    browser, _ = login_as("Billing Admin")
    debtor = factories.debtor(db_session)
    huge = {"debtor_id": str(debtor.id), "target": "po:1", "action": "apply", "exclude": ["1" * 50] * 60_000}
    response = browser.post("/assignments/bulk", huge)
    assert response.status_code == 413
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 0


def test_active_on_the_start_date_only_leaves_inactive_jobs_out_of_the_selection(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "BULK-PO", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    _jobs(db_session, debtor, branch, 3)
    gone = factories.job(db_session, debtor, branch, discontinued=D(2026, 2, 1), title="Discontinued")
    db_session.commit()
    form = {"debtor_id": str(debtor.id), "target": f"po:{po.id}", "start": "2026-03-01", "mode": "all",
            "action": "preview"}
    everything = browser.post("/assignments/bulk", form, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "discontinued before the date" in everything
    active = browser.post("/assignments/bulk", {**form, "active": "1"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="bulk-will-assign">3<' in active and "discontinued before the date" not in active
    listing = browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01&active=1").get_data(as_text=True)
    assert gone.number not in listing
    # opened from a link, the active filter is on; cleared, the discontinued job is listed but not ticked
    assert gone.number not in browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01").get_data(as_text=True)
    cleared = browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01&filtered=1").get_data(as_text=True)
    assert gone.number in cleared and f'class="bulk-pick" value="{gone.id}"' not in cleared
    assert f"{gone.number} is not active on 2026-03-01: skipped" in cleared
    assert 'type="radio"' not in cleared and "Job number or title contains" in cleared


def test_apply_reports_what_the_preview_said_and_touches_only_the_jobs_it_assigns(db_session):
    """Applying decides each job once: its summary is the preview's (counts, the first 50 skipped by
    number), and a skipped job keeps its rows as they were, even an open-ended one on an expired PO."""
    from portal.services import bulk_assign, job_orders

    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    admin = factories.user(db_session, role_name="Billing Admin")
    old = factories.po(db_session, debtor, "OLD-PO", effective=D(2026, 1, 1), expiration=D(2026, 1, 31))
    po = factories.po(db_session, debtor, "NEW-PO", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    free = _jobs(db_session, debtor, branch, 7)
    late = _jobs(db_session, debtor, branch, 60, start_date=D(2026, 6, 1))
    expired_held = factories.job(db_session, debtor, branch, title="Expired, reassigned")
    factories.assignment(db_session, expired_held, po=old, start=D(2026, 1, 1))  # open-ended on an expired PO
    expired_gone = factories.job(db_session, debtor, branch, discontinued=D(2026, 2, 1), title="Expired, gone")
    factories.assignment(db_session, expired_gone, po=old, start=D(2026, 1, 1))
    future = factories.job(db_session, debtor, branch, title="Future row")
    factories.assignment(db_session, future, po=po, start=D(2026, 9, 1))
    db_session.commit()
    selection = bulk_assign.Selection(job_orders.JobFilter(debtor_id=debtor.id, active_only=False))
    target = bulk_assign.Target("po", po.id)
    preview = bulk_assign.preview(db_session, admin, selection, target, D(2026, 3, 1), today=D(2026, 3, 1))
    outcome = bulk_assign.apply(db_session, admin, selection, target, D(2026, 3, 1), today=D(2026, 3, 1))
    assert (preview.to_assign, preview.skipped) == (8, {
        "not active on the date": 60, "discontinued before the date": 1, "has future assignments": 1})
    assert outcome.preview == preview
    assert len(outcome.preview.examples) == 50
    assert outcome.count == 8
    assert {r[2] for r in outcome.assigned} == set(free) | {expired_held.id}
    ends = dict(db_session.execute(select(JobPOAssignment.job_id, JobPOAssignment.manual_end)
                                   .where(JobPOAssignment.po_id == old.id)).all())
    assert ends == {expired_held.id: D(2026, 1, 31), expired_gone.id: None}
    assert not set(late) & set(db_session.scalars(select(JobPOAssignment.job_id)))
    history = db_session.execute(select(AuditEntry.scope_id, AuditEntry.action, AuditEntry.changes, AuditEntry.actor_id)
                                 .where(AuditEntry.entity_type == "job_po_assignments",
                                        AuditEntry.summary == "bulk assignment from 2026-03-01")).all()
    assert sorted(h.scope_id for h in history) == sorted(set(free) | {expired_held.id})
    assert {(h.action, h.actor_id) for h in history} == {("create", admin.id)}
    assert all(h.changes == {"start_date": ["", "2026-03-01"], "po_id": [None, po.id], "group_id": [None, None],
                             "source": [None, "bulk"]} for h in history)


def test_a_debtor_with_many_pos_lists_a_page_of_them_and_the_search_finds_and_keeps_the_rest(db_session, login_as,
                                                                                             monkeypatch):
    from portal.services import assignments

    monkeypatch.setattr(assignments, "PICKER_OPTIONS", 2)
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    valid = {"effective": D(2026, 1, 1), "expiration": D(2026, 12, 31)}
    pos = {n: factories.po(db_session, debtor, n, **valid) for n in ("A-1", "A-2", "Z-8", "Z-9")}
    ids = _jobs(db_session, debtor, branch, 3)
    db_session.commit()
    offered = lambda html: [n for n, po in pos.items() if f'value="po:{po.id}"' in html]  # noqa: E731
    page = browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01").get_data(as_text=True)
    assert 'id="po-search"' in page and "4 POs are valid on 2026-03-01" in page and offered(page) == ["A-1", "A-2"]
    found = browser.get("/assignments/bulk", headers={"HX-Request": "true"}, query_string={
        "debtor_id": debtor.id, "start": "2026-03-01", "po_search": "z", "target": f"po:{pos['A-2'].id}",
        "filtered": "1", "active": "1"}).get_data(as_text=True)
    assert offered(found) == ["A-2", "Z-8", "Z-9"] and f'<option value="po:{pos["A-2"].id}" selected>' in found
    assert 'value="z"' in found
    done = browser.post("/assignments/bulk", {"debtor_id": str(debtor.id), "target": f"po:{pos['Z-9'].id}",
                                              "start": "2026-03-01", "mode": "all", "action": "apply",
                                              "po_search": "z"}, headers={"HX-Request": "true"})
    assert 'id="bulk-assigned">3<' in done.get_data(as_text=True)
    assert set(db_session.scalars(select(JobPOAssignment.job_id).where(
        JobPOAssignment.po_id == pos["Z-9"].id))) == set(ids)


def test_a_malformed_start_date_is_a_message_by_its_field_and_nothing_is_previewed_or_assigned(db_session, login_as):
    """Defect: 2026-02-30, 31/12/2026 or abc became today without a word, and Preview said '0 jobs will be
    assigned from <today>' (Assign would have assigned from it)."""
    from tests.web.forms_walk import post_forms

    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "BULK-PO", effective=D(2020, 1, 1), expiration=D(2099, 12, 31))
    _jobs(db_session, debtor, branch, 3)
    db_session.commit()
    hx = {"HX-Request": "true"}
    today = date.today().isoformat()
    base = {"debtor_id": str(debtor.id), "target": f"po:{po.id}", "mode": "all", "filtered": "1", "active": "1"}

    def start_box(html):
        tags = [t.split(">", 1)[0] for t in html.split("<input")[1:] if 'name="start"' in t.split(">", 1)[0]]
        assert len(tags) == 1, html[-2000:]
        return tags[0]

    for typed in ("2026-02-30", "31/12/2026", "abc", ""):
        for action in ("preview", "apply"):
            html = browser.post("/assignments/bulk", {**base, "start": typed, "action": action},
                                headers=hx).get_data(as_text=True)
            assert "will be assigned" not in html and "bulk-assigned" not in html, (typed, action)
            # by the field (swapped in out of band, the page's form is not redrawn), the text typed kept
            field = html.split('id="bulk-start-field"', 1)[1]
            assert '<div id="bulk-start-field" hx-swap-oob="true">' in html
            assert "Enter the start date as YYYY-MM-DD." in field, (typed, action)
            assert f'value="{typed}"' in start_box(field) and 'aria-invalid="true"' in start_box(field)
        page = browser.post("/assignments/bulk", {**base, "start": typed, "action": "apply"}).get_data(as_text=True)
        assert "bulk-assigned" not in page and "Enter the start date as YYYY-MM-DD." in page, typed
        assert f'value="{typed}"' in start_box(page)
        # a filter's change (htmx GET, the form redrawn): the message, the text kept, and the list says its day
        form = browser.get("/assignments/bulk", query_string={**base, "start": typed}, headers=hx).get_data(as_text=True)
        assert "Enter the start date as YYYY-MM-DD." in form and f'value="{typed}"' in start_box(form), typed
        assert f"The jobs and POs below are listed as of today, {today}." in form, typed
        # posted back as the page renders it: still nothing assigned
        again = [f for f in post_forms(page) if "debtor_id" in f.data()][0]  # the form posts to its page
        assert again.data()["start"] == [typed]
        resent = browser.post("/assignments/bulk", {**again.data(), "action": "apply"}).get_data(as_text=True)
        assert "bulk-assigned" not in resent and "Enter the start date as YYYY-MM-DD." in resent
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 0
    # a good date clears the message beside the field
    html = browser.post("/assignments/bulk", {**base, "start": "2026-03-01", "action": "preview"},
                        headers=hx).get_data(as_text=True)
    assert 'id="bulk-will-assign">3<' in html and "Enter the start date" not in html
    assert 'value="2026-03-01"' in start_box(html.split('id="bulk-start-field"', 1)[1])
    # opened from a link without a start: today, in the box
    opened = browser.get(f"/assignments/bulk?debtor_id={debtor.id}").get_data(as_text=True)
    assert f'value="{today}"' in start_box(opened) and "Enter the start date" not in opened


def _seal(html: str) -> str:
    """The seal the preview gave the Assign button (sent back with Assign, as the browser does)."""
    import re

    return re.search(r'name="seal" value="([0-9a-f]+)"', html).group(1)


def test_assign_after_a_preview_assigns_what_it_showed_or_nothing(db_session, login_as):
    """Defect: Assign was not bound to its preview: a job added (or the PO changed) between the two was assigned
    too, though the preview never showed it. The preview seals the jobs, target and day it showed; Assign with
    that seal assigns only when its own selection seals the same, and otherwise writes nothing and says why."""
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    po = factories.po(db_session, debtor, "SEALED", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    other = factories.po(db_session, debtor, "OTHER", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    _jobs(db_session, debtor, branch, 3)
    db_session.commit()
    form = {"debtor_id": str(debtor.id), "target": f"po:{po.id}", "start": "2026-03-01", "mode": "all",
            "action": "preview"}
    hx = {"HX-Request": "true"}
    seal = _seal(browser.post("/assignments/bulk", form, headers=hx).get_data(as_text=True))
    _jobs(db_session, debtor, branch, 1, title="Added after the preview")
    db_session.commit()
    assigned = select(func.count()).select_from(JobPOAssignment)
    for changed in ({}, {"target": f"po:{other.id}"}, {"start": "2026-03-02"}):
        refused = browser.post("/assignments/bulk", {**form, **changed, "action": "apply", "seal": seal}, headers=hx)
        text = refused.get_data(as_text=True)
        assert refused.status_code == 200 and "changed since the preview" in text and "bulk-assigned" not in text
        assert db_session.scalar(assigned) == 0
    assert "now 4 jobs from 2026-03-01" in browser.post(
        "/assignments/bulk", {**form, "action": "apply", "seal": seal}, headers=hx).get_data(as_text=True)
    again = _seal(browser.post("/assignments/bulk", form, headers=hx).get_data(as_text=True))
    assert again != seal
    done = browser.post("/assignments/bulk", {**form, "action": "apply", "seal": again}, headers=hx)
    assert 'id="bulk-assigned">4<' in done.get_data(as_text=True)
    assert db_session.scalar(assigned) == 4



def test_the_jobs_to_tick_are_listed_a_stretch_at_a_time_and_show_more_lists_every_job_once(db_session, login_as):
    """The page lists the first LISTED jobs by number; "Show more" lists the next after the last one shown,
    with the filter and the unticked jobs as sent, until every matching job was listed once."""
    import re

    from portal.services import bulk_assign

    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    ids = _jobs(db_session, debtor, branch, 2 * bulk_assign.LISTED + 7)
    db_session.commit()
    numbers = dict(db_session.execute(select(JobOrder.id, JobOrder.number).where(JobOrder.id.in_(ids))).all())
    unticked = sorted(ids, key=numbers.get)[bulk_assign.LISTED + 3]  # a job of the second stretch
    page = browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01").get_data(as_text=True)
    seen = re.findall(r'class="bulk-pick" value="(\d+)"', page)
    assert len(seen) == bulk_assign.LISTED
    stretches = 1
    while (more := re.search(r'hx-get="(/assignments/bulk/jobs\?after=[^"]+)"', page)) is not None:
        url = more.group(1).replace("&amp;", "&") + f"&debtor_id={debtor.id}&start=2026-03-01&filtered=1&active=1"
        response = browser.get(url + f"&exclude={unticked}", headers={"HX-Request": "true"})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        rows = re.findall(r'class="bulk-pick" value="(\d+)"\s*(checked)?', page)
        assert len(rows) <= bulk_assign.LISTED and "<html" not in page
        seen += [job for job, _ in rows]
        assert all(bool(ticked) == (int(job) != unticked) for job, ticked in rows)
        stretches += 1
    assert stretches == 3
    assert [int(j) for j in seen] == sorted(ids, key=numbers.get)  # every job once, in the page's order


def test_show_more_needs_full_and_the_debtor(db_session, login_as):
    debtor = factories.debtor(db_session)
    db_session.commit()
    consultant, _ = login_as("Consultant")
    assert consultant.get(f"/assignments/bulk/jobs?debtor_id={debtor.id}&after=J1").status_code == 403
    admin, _ = login_as("Billing Admin")
    assert admin.get("/assignments/bulk/jobs?debtor_id=424242&after=J1").status_code == 404
    assert admin.get(f"/assignments/bulk/jobs?debtor_id={debtor.id}&exclude=x").status_code == 400
    assert admin.get(f"/assignments/bulk/jobs?debtor_id={debtor.id}&start=2026-02-30").status_code == 200


def test_the_start_date_redraws_the_part_for_the_day_and_never_the_buttons(db_session, login_as):
    """A change of date swaps in #bulk-for-day (its field, the POs valid on the day, the jobs) and leaves Preview and
    Assign where they are: a redraw that replaced them between a button's press and release lost the click."""
    browser, _ = login_as("Billing Admin")
    debtor, branch = factories.debtor(db_session), factories.branch(db_session)
    factories.po(db_session, debtor, "BULK-PO", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    _jobs(db_session, debtor, branch, 2)
    db_session.commit()
    page = browser.get(f"/assignments/bulk?debtor_id={debtor.id}&start=2026-03-01").get_data(as_text=True)
    start_tag = page.split('name="start"', 1)[1].split(">", 1)[0]
    assert 'hx-target="#bulk-for-day"' in start_tag and 'hx-select="#bulk-for-day"' in start_tag
    part = page.split('<div id="bulk-for-day"', 1)[1].split('<div class="actions">', 1)[0]
    for inside in ('name="start"', 'id="bulk-target"', 'id="bulk-jobs"', "BULK-PO", 'class="bulk-pick"'):
        assert inside in part, inside
    assert 'name="action"' not in part
    actions = page.split('<div class="actions">', 1)[1].split("</form>", 1)[0]
    assert 'value="preview"' in actions and 'value="apply"' in actions
