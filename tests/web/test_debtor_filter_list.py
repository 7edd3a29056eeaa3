"""The debtors' filter list (six list pages) is kept by each worker while the debtors' list stamp read
with the session row is unchanged: any write to debtors, by any worker or by hand, replaces the stamp,
so the next page lists what the table holds."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from sqlalchemy import select, text

from portal.models.debtors import list_stamps
from portal.services import debtors
from portal.services.debtors import DebtorOption, DebtorInput
from portal.blueprints.forms import debtor_options
from tests import factories

PAGES = ("/purchase-orders/", "/job-orders/", "/documents/", "/documents/report", "/assignments/")


def _stamp(session):
    session.rollback()
    return session.scalar(select(list_stamps.c.stamp).where(list_stamps.c.name == "debtors"))


def test_every_statement_that_writes_debtors_replaces_the_stamp_and_a_rolled_back_one_does_not(db_session):
    first = _stamp(db_session)
    assert first is not None
    debtor = factories.debtor(db_session, "ONE")
    second = _stamp(db_session)
    assert second != first
    db_session.execute(text("UPDATE debtors SET name = 'Renamed' WHERE id = :id"), {"id": debtor.id})
    db_session.commit()
    third = _stamp(db_session)
    assert third != second
    db_session.execute(text("DELETE FROM debtors WHERE id = :id"), {"id": debtor.id})
    db_session.rollback()
    assert _stamp(db_session) == third
    db_session.execute(text("DELETE FROM debtors WHERE id = :id"), {"id": debtor.id})
    db_session.commit()
    assert _stamp(db_session) != third
    factories.branch(db_session)  # other tables leave it alone
    before = _stamp(db_session)
    factories.user(db_session, role_name="Auditor")
    assert _stamp(db_session) == before


@pytest.mark.parametrize("path", PAGES)
def test_a_list_page_reads_the_debtors_once_and_again_after_any_write(db_session, login_as, count_queries, path):
    factories.debtor(db_session, "AAA", name="First debtor")
    browser, _ = login_as("Administrator")
    browser.get(path)
    with count_queries() as statements:
        page = browser.get(path)
    assert page.status_code == 200 and ">AAA" in page.text
    assert not [s for s in statements if s.startswith("SELECT debtors.id, debtors.code, debtors.name")]
    # written by hand, as another worker or a script would: no cache of this worker is told
    db_session.execute(text("UPDATE debtors SET code = 'ZZZ' WHERE code = 'AAA'"))
    db_session.execute(text("INSERT INTO debtors (code, name, enforce_purchase_orders, over_budget_policy, active, "
                            "notes, created_at, changed_at, row_version) VALUES "
                            "('NEW1', 'Added elsewhere', false, 'warn', true, '', now(), now(), 1)"))
    db_session.commit()
    with count_queries() as statements:
        page = browser.get(path)
    assert ">ZZZ" in page.text and ">NEW1" in page.text and ">AAA" not in page.text
    assert [s for s in statements if s.startswith("SELECT debtors.id, debtors.code, debtors.name")]


def test_the_list_is_read_afresh_in_the_request_that_saves_a_debtor(db_session):
    db_session.info[debtors.LIST_STAMP] = _stamp(db_session)
    kept = debtors.all_debtors(db_session)
    assert debtors.all_debtors(db_session) is kept
    actor = factories.user(db_session, role_name="Administrator")
    db_session.info[debtors.LIST_STAMP] = _stamp(db_session)
    debtors.create_debtor(db_session, DebtorInput(code="SAVED", name="Saved now"), actor=actor)
    assert debtors.LIST_STAMP not in db_session.info
    assert "SAVED" in [d.code for d in debtors.all_debtors(db_session)]


def test_without_a_stamp_the_list_is_read_every_time_and_not_kept(db_session, count_queries):
    db_session.info.pop(debtors.LIST_STAMP, None)
    factories.debtor(db_session, "ONLY")
    debtors._kept = (None, (), ())
    with count_queries() as statements:
        first = debtors.all_debtors(db_session)
        second = debtors.all_debtors(db_session)
        active = debtors.all_debtors(db_session, active_only=True)
    assert len(statements) == 3 and first == second == active and first is not second
    assert debtors._kept == (None, (), ())


def test_the_active_only_list_leaves_out_inactive_debtors_kept_or_not(db_session, count_queries):
    factories.debtor(db_session, "LIVE")
    gone = factories.debtor(db_session, "GONE", active=False)
    db_session.info[debtors.LIST_STAMP] = _stamp(db_session)
    assert [d.code for d in debtors.all_debtors(db_session)] == ["GONE", "LIVE"]
    with count_queries() as statements:
        assert [d.code for d in debtors.all_debtors(db_session, active_only=True)] == ["LIVE"]
    assert statements == []  # from the worker's copy
    gone.active = True  # made active again: the trigger replaces the stamp
    db_session.commit()
    db_session.info[debtors.LIST_STAMP] = _stamp(db_session)
    assert [d.code for d in debtors.all_debtors(db_session, active_only=True)] == ["GONE", "LIVE"]


def test_options_mark_the_selected_debtor_only_and_escape_what_debtors_are_called():
    listed = (DebtorOption(1, "A&B", "<script>x</script>"), DebtorOption(12, "C", "Cee"), DebtorOption(2, "D", "Dee"))
    html = debtor_options(listed, 2, names=True)
    assert isinstance(html, Markup)
    assert html == Markup('<option value="1">A&amp;B — &lt;script&gt;x&lt;/script&gt;</option>'
                          '<option value="12">C — Cee</option><option value="2" selected>D — Dee</option>')
    assert debtor_options(listed, 1) == Markup('<option value="1" selected>A&amp;B</option>'
                                               '<option value="12">C</option><option value="2">D</option>')
    for nothing in (None, 3, True, "2"):
        assert "selected" not in debtor_options(listed, nothing)
    assert debtor_options(listed, 12).count("selected") == 1
    again = (DebtorOption(1, "NEW", "New"),)  # another list (a new stamp): built again
    assert debtor_options(again, None) == Markup('<option value="1">NEW</option>')


def test_a_forms_debtor_picker_draws_the_kept_options_after_its_blank_one(monkeypatch):
    """The job, document, PO and service desk forms draw their debtor picker from the options kept per list
    (WTForms wrote 205 options one at a time on every form); the full list and the active one are both
    kept, neither replacing the other. (From an empty store: lists other tests of this process kept would
    fill it, and a full store starts again, which is not what this test is about.)"""
    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    from portal.blueprints import forms
    from portal.blueprints.forms import DebtorField, offer_debtors

    monkeypatch.setattr(forms, "_DEBTOR_OPTIONS", {})

    class Picking(Form):
        debtor_id = DebtorField("Debtor")

    full = (DebtorOption(1, "A", "Ay", False), DebtorOption(2, "B&B", "Bee"))
    active = full[1:]
    kept = debtor_options(full, None, names=True)
    assert debtor_options(active, None, names=True) == Markup('<option value="2">B&amp;B — Bee</option>')
    assert debtor_options(full, None, names=True) is kept  # the active list did not replace it

    form = Picking(data={"debtor_id": 2})
    offer_debtors(form.debtor_id, active)
    assert form.debtor_id(**{"hx-get": "/x"}) == Markup(
        '<select hx-get="/x" id="debtor_id" name="debtor_id"><option value="">— choose —</option>'
        '<option value="2" selected>B&amp;B — Bee</option></select>')
    offer_debtors(form.debtor_id, full, blank=None)
    assert form.debtor_id() == Markup('<select id="debtor_id" name="debtor_id"><option value="1">A — Ay</option>'
                                      '<option value="2" selected>B&amp;B — Bee</option></select>')
    for typed, read in (("2", 2), ("", None), ("x", -1)):
        assert Picking(formdata=MultiDict({"debtor_id": typed})).debtor_id.data == read
