"""A job's assignment panel: the start date chosen is the one assigned, through the confirmation to remove
future assignments; a malformed date is a message by its field with what was typed kept (seed 004)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.models import JobPOAssignment
from tests import factories
from tests.web.forms_walk import post_forms

D = date
HX = {"HX-Request": "true"}


def _assign_form(html: str, job_id: int):
    """The panel's assign form as the page renders it (what a browser would send unchanged)."""
    forms = [f for f in post_forms(html) if f.action == f"/assignments/jobs/{job_id}/assign"]
    assert len(forms) == 1, html[-3000:]
    return forms[0]


def _field(html: str, name: str) -> str:
    """The tag of the one box (not hidden) called `name` in the html."""
    tags = [t.split(">", 1)[0] for t in html.split("<input")[1:]]
    tags = [t for t in tags if f'name="{name}"' in t and 'type="hidden"' not in t]
    assert len(tags) == 1, (name, len(tags))
    return tags[0]


def _rows(session):
    session.expire_all()
    return session.scalars(select(JobPOAssignment).order_by(JobPOAssignment.start_date)).all()


@pytest.mark.parametrize("chosen, typed", [("2026-01-01", False), ("2026-03-10", False), ("2026-02-01", True)],
                         ids=["effective-date", "as-of-date", "typed-date"])
def test_the_confirmation_to_remove_future_assignments_assigns_from_the_start_chosen(db_session, login_as, chosen,
                                                                                     typed):
    """Defect: a typed start travelled as a second field named `start` after the as-of radio, which was ticked
    again in the confirmation, and the view read the first: the job was assigned from the as-of date."""
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    factories.assignment(db_session, job, po=po, start=D(2026, 9, 1))
    panel = browser.get(f"/assignments/jobs/{job.id}?as_of=2026-03-10&target=po:{po.id}", headers=HX).get_data(as_text=True)
    form = _assign_form(panel, job.id)
    data = form.data()
    assert data["target"] == [f"po:{po.id}"] and data["start"] == ["2026-03-10"]  # the as-of date ticked at first
    if typed:
        data["start_other"] = [chosen]
    else:
        data["start"] = [chosen]
    asked = browser.post(form.action, data, headers=HX).get_data(as_text=True)
    assert "1 future assignment will be removed" in asked and 'name="remove_future"' in asked
    assert [r.start_date for r in _rows(db_session)] == [D(2026, 9, 1)]  # nothing changed yet
    confirmation = _assign_form(asked, job.id)
    done = browser.post(confirmation.action, confirmation.data(), headers=HX).get_data(as_text=True)
    assert "Assigned." in done
    assert [(r.po_id, r.start_date) for r in _rows(db_session)] == [(po.id, D.fromisoformat(chosen))]
    assert confirmation.data()["start"] == [chosen]  # one start, the one chosen, and the page says which
    assert f"The assignment will start on <strong>{chosen}</strong>." in asked


def test_a_malformed_start_is_a_message_by_its_field_with_the_po_and_the_text_kept(db_session, login_as):
    """Defect: the panel came back with the PO select on '— choose —' and no start fields."""
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    for typed in ("2026-02-30", "31/12/2026", "abc"):
        html = browser.post(f"/assignments/jobs/{job.id}/assign", {"as_of": "2026-03-10", "target": f"po:{po.id}",
                                                                   "start": "2026-03-10", "start_other": typed},
                            headers=HX).get_data(as_text=True)
        assert f'<option value="po:{po.id}" selected>' in html, typed
        box = _field(html, "start_other")
        assert f'value="{typed}"' in box and 'aria-invalid="true"' in box, typed
        fieldset = html.split('<fieldset class="prompt">', 1)[1].split("</fieldset>", 1)[0]
        assert "Enter the start date as YYYY-MM-DD." in fieldset, typed  # by the field
        assert "checked" not in fieldset, typed  # the typed text is the start shown, no radio beside it
        assert _assign_form(html, job.id).data()["start_other"] == [typed]
    assert _rows(db_session) == []
    # a start the rules refuse keeps the PO and the typed date too
    html = browser.post(f"/assignments/jobs/{job.id}/assign", {"as_of": "2026-03-10", "target": f"po:{po.id}",
                                                               "start_other": "2025-12-01"}).get_data(as_text=True)
    assert "not on 2025-12-01" in html and f'<option value="po:{po.id}" selected>' in html
    assert 'value="2025-12-01"' in _field(html, "start_other")
    # the effective date ticked, refused for another reason, stays ticked (not the as-of date again)
    other = factories.job(db_session, debtor, start=D(2026, 1, 1))
    factories.assignment(db_session, other, po=po, start=D(2026, 1, 1), end=D(2026, 1, 31))
    html = browser.post(f"/assignments/jobs/{other.id}/assign", {"as_of": "2026-03-10", "target": f"po:{po.id}",
                                                                 "start": "2026-01-01"}).get_data(as_text=True)
    assert "already assigned on 2026-01-01" in html
    assert _assign_form(html, other.id).data()["start"] == ["2026-01-01"]


def test_a_malformed_as_of_date_is_a_message_and_the_panel_says_it_shows_today(db_session, login_as):
    """Defect: the panel's 'Assigned as of' box fell back to today without a word."""
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P-1", effective=D(2020, 1, 1), expiration=D(2099, 12, 31))
    job = factories.job(db_session, debtor, start=D(2020, 1, 1))
    today = date.today().isoformat()
    for url, headers in [(f"/assignments/jobs/{job.id}", HX), (f"/job-orders/{job.id}", {})]:
        for typed in ("2026-02-30", "31/12/2026", "abc"):
            html = browser.get(url, query_string={"as_of": typed}, headers=headers).get_data(as_text=True)
            box = _field(html, "as_of")  # the filter's box (the forms below carry the day shown, as hidden fields)
            assert f'value="{typed}"' in box and 'aria-invalid="true"' in box, (url, typed)
            assert f"Enter the as-of date as YYYY-MM-DD. Showing {today}, today." in html, (url, typed)
        fine = browser.get(url, query_string={"as_of": "2026-03-10"}, headers=headers).get_data(as_text=True)
        assert "Enter the as-of date" not in fine and 'value="2026-03-10"' in _field(fine, "as_of")
    # a malformed as-of date posted (the hidden field tampered with) assigns nothing
    html = browser.post(f"/assignments/jobs/{job.id}/assign", {"as_of": "2026-02-30", "target": f"po:{po.id}"})
    assert "Enter the as-of date as YYYY-MM-DD." in html.get_data(as_text=True)
    html = browser.post(f"/assignments/jobs/{job.id}/clear", {"as_of": "abc"})
    assert "Enter the as-of date as YYYY-MM-DD." in html.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(JobPOAssignment)) == 0


def test_the_start_date_prompt_shows_the_message_an_administrator_set(db_session, login_as):
    """The prompt's message is read where a prompt is drawn (the panel asking for a start date), and it is
    the one saved on the settings page, not the default."""
    from portal.services.settings import DEFAULT_ASSIGNMENT_PROMPT, set_assignment_prompt

    admin = factories.user(db_session, "prompt-admin")
    browser, _ = login_as("Consultant")
    debtor = factories.debtor(db_session)
    po = factories.po(db_session, debtor, "P-1", effective=D(2026, 1, 1), expiration=D(2026, 12, 31))
    job = factories.job(db_session, debtor, start=D(2026, 1, 1))
    url = f"/assignments/jobs/{job.id}?as_of=2026-03-10&target=po:{po.id}"
    assert f"<mark>{DEFAULT_ASSIGNMENT_PROMPT}</mark>" in browser.get(url, headers=HX).get_data(as_text=True)
    set_assignment_prompt(db_session, "Check the Bill To dates first.", actor=admin)
    html = browser.get(url, headers=HX).get_data(as_text=True)
    assert "<mark>Check the Bill To dates first.</mark>" in html and DEFAULT_ASSIGNMENT_PROMPT not in html
