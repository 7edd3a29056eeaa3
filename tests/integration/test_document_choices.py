"""What the document pages offer to choose from (services/document_choices), on PostgreSQL: job security
on the editor's jobs, active records only on the form, the debtor's own POs."""
from __future__ import annotations

from portal.models import BillCode, DocumentType
from portal.services import document_choices
from tests import factories


def test_the_editor_offers_only_the_jobs_of_the_users_branches(db_session):
    mine, other = factories.branch(db_session, "OWN"), factories.branch(db_session, "OTH")
    debtor, elsewhere = factories.debtor(db_session, "EDIT"), factories.debtor(db_session, "ELSE")
    seen = factories.job(db_session, debtor, mine, title="Seen")
    hidden = factories.job(db_session, debtor, other, title="Hidden")
    factories.job(db_session, elsewhere, mine, title="Another debtor's")
    limited = factories.user(db_session, "lim", role_name="Billing Admin", branches=[mine])
    unlimited = factories.user(db_session, "all", role_name="Billing Admin")

    assert [j.id for j in document_choices.editor_choices(db_session, limited, debtor.id)["jobs"]] == [seen.id]
    assert {j.id for j in document_choices.editor_choices(db_session, unlimited, debtor.id)["jobs"]} == {seen.id,
                                                                                                      hidden.id}


def test_the_editor_offers_the_debtors_pos_and_the_active_bill_codes(db_session):
    debtor, other = factories.debtor(db_session, "POS"), factories.debtor(db_session, "NOPE")
    own = factories.po(db_session, debtor, "B-2")
    first = factories.po(db_session, debtor, "A-1")
    factories.po(db_session, other, "C-3")
    db_session.add_all([BillCode(code="ZZON", description="on"), BillCode(code="ZZOFF", description="off", active=False)])
    db_session.commit()
    user = factories.user(db_session, "ed", role_name="Billing Admin")

    choices = document_choices.editor_choices(db_session, user, debtor.id)
    assert [p.id for p in choices["pos"]] == [first.id, own.id]
    codes = [c.code for c in choices["codes"]]
    assert "ZZON" in codes and "ZZOFF" not in codes
    invoice = factories.document_types(db_session)["Sales Invoice"]
    assert [p.id for p in document_choices.reassign_targets(db_session, debtor.id, invoice.id)] == [first.id, own.id]
    assert document_choices.count_reassign_targets(db_session, debtor.id, invoice.id) == 2
    # the invoice page asks only whether there are more than it draws at once: counted no further than that
    assert document_choices.count_reassign_targets(db_session, debtor.id, invoice.id, up_to=0) == 1
    assert document_choices.count_reassign_targets(db_session, debtor.id, invoice.id, up_to=1) == 2
    assert document_choices.count_reassign_targets(db_session, debtor.id, invoice.id, up_to=5) == 2
    nothing = document_choices.editor_choices(db_session, user, None)
    assert nothing["jobs"] == [] and nothing["pos"] == [] and "ZZON" in [c.code for c in nothing["codes"]]


def test_the_form_offers_active_debtors_and_types_and_the_list_filters_every_one(db_session):
    active, retired = factories.debtor(db_session, "LIVE"), factories.debtor(db_session, "GONE", active=False)
    retired_type = DocumentType(name="Old Quote", code="OQ", bucket="estimate", sign=1, active=False, sort_order=99)
    db_session.add(retired_type)
    db_session.commit()

    form = document_choices.form_choices(db_session)
    assert active.id in {d.id for d in form.debtors} and retired.id not in {d.id for d in form.debtors}
    assert [str(d) for d in form.debtors if d.id == active.id] == [str(active)]  # labelled as the debtor is
    assert retired_type not in form.document_types and form.document_types
    listed = document_choices.list_filters(db_session)
    assert {active.id, retired.id} <= {d.id for d in listed.debtors}
    assert retired_type in listed.document_types
    assert [d.code for d in listed.debtors] == sorted(d.code for d in listed.debtors)


def test_past_the_limit_the_editor_types_jobs_and_pos_names_only_what_the_user_may_see(db_session, monkeypatch):
    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 2)
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 2)
    mine, other = factories.branch(db_session, "OWN"), factories.branch(db_session, "OTH")
    debtor, elsewhere = factories.debtor(db_session, "EDIT"), factories.debtor(db_session, "ELSE")
    jobs = [factories.job(db_session, debtor, mine, title=f"Welder {n}") for n in range(4)]
    hidden = factories.job(db_session, debtor, other, title="Hidden welder")
    theirs = factories.job(db_session, elsewhere, mine, title="Another debtor's welder")
    pos = [factories.po(db_session, debtor, n, description=d) for n, d in
           (("A-1", ""), ("B-2", "North cleaning"), ("C-3", ""))]
    foreign = factories.po(db_session, elsewhere, "A-9")
    user = factories.user(db_session, "lim", role_name="Billing Admin", branches=[mine])

    choices = document_choices.editor_choices(db_session, user, debtor.id,
                                              job_ids=[jobs[3].id, hidden.id, theirs.id, None],
                                              po_ids=[pos[2].id, foreign.id, None])
    assert choices["jobs_typed"] and choices["pos_typed"] and choices["editor_debtor_id"] == debtor.id
    assert [j.id for j in choices["jobs"]] == [jobs[0].id, jobs[1].id]  # the first suggestions, by number
    assert choices["job_labels"] == {jobs[3].id: f"{jobs[3].number} Welder 3"}  # not another branch's or debtor's
    assert [p.id for p in choices["pos"]] == [pos[0].id, pos[1].id]
    assert choices["po_labels"] == {pos[2].id: "C-3"}
    assert document_choices.po_label(pos[1]) == "B-2 (North cleaning)"
    found = document_choices.job_options(db_session, user, debtor.id, "weld")
    assert [j.id for j in found] == [jobs[0].id, jobs[1].id]  # by number, as the first suggestions: a page of them
    assert [j.id for j in document_choices.job_options(db_session, user, debtor.id, f"{jobs[2].number} Welder 2")] == [
        jobs[2].id]
    assert document_choices.job_options(db_session, user, debtor.id, "hidden") == []
    assert [p.id for p in document_choices.po_options(db_session, debtor.id, "b-2 (North")] == [pos[1].id]
    assert [p.id for p in document_choices.po_options(db_session, debtor.id, "north")] == [pos[1].id]
    assert document_choices.po_options(db_session, debtor.id, "a-9") == []
    assert document_choices.editor_job_ids(db_session, user, debtor.id, [jobs[0].id, hidden.id, theirs.id, None]) == {
        jobs[0].id}
    assert document_choices.editor_po_ids(db_session, debtor.id, [pos[0].id, foreign.id]) == {pos[0].id}
    assert document_choices.editor_job_ids(db_session, user, None, [jobs[0].id]) == set()
    few = document_choices.editor_choices(db_session, user, elsewhere.id, job_ids=[theirs.id])
    assert not few["jobs_typed"] and not few["pos_typed"] and few["job_labels"] == {}


def test_a_job_picker_lists_up_to_the_limit_of_jobs_the_user_may_see_and_types_past_it(db_session, monkeypatch):
    """The boundary, counted in the user's jobs only (another branch's do not tip a list into a typed box)."""
    monkeypatch.setattr(document_choices, "EDITOR_SELECT_MAX", 2)
    monkeypatch.setattr(document_choices, "EDITOR_OPTIONS", 1)
    mine, other = factories.branch(db_session, "OWN"), factories.branch(db_session, "OTH")
    debtor = factories.debtor(db_session, "EDIT")
    jobs = [factories.job(db_session, debtor, mine, title=f"Runner {n}") for n in range(2)]
    factories.job(db_session, debtor, other, title="Hidden runner")
    user = factories.user(db_session, "lim", role_name="Consultant", branches=[mine])

    at_limit = document_choices.job_choices(db_session, user, debtor.id, [jobs[1].id])
    assert not at_limit.typed and [j.id for j in at_limit.jobs] == [jobs[0].id, jobs[1].id] and at_limit.labels == {}
    third = factories.job(db_session, debtor, mine, title="Runner 2")
    past = document_choices.job_choices(db_session, user, debtor.id, [third.id, None])
    assert past.typed and [j.id for j in past.jobs] == [jobs[0].id]
    assert past.labels == {third.id: f"{third.number} Runner 2"}
    assert document_choices.job_choices(db_session, user, None, [third.id]) == document_choices.JobChoices([])
