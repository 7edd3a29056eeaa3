"""Users, roles and branches are edited as every other record is: a form opened before someone else's change
is refused with a message and changes nothing, so two administrators' saves never undo each other."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Branch, Role, RoleGrant, User
from tests import factories
from tests.web.forms_walk import post_forms

STALE = "was changed by someone else since you opened it"


def _form(browser, url: str) -> dict:
    [form] = [f for f in post_forms(browser.get(url).get_data(as_text=True)) if "csrf_token" in f.data()
              and "row_version" in f.data()]
    return form.data()


def _older_form_refused(browser, url: str, now_change, older_change) -> None:
    """Two forms opened at once: the first saved with `now_change`, the older one (with `older_change`) refused."""
    older, now = _form(browser, url), _form(browser, url)
    now_change(now)
    assert browser.post(url, now).status_code == 302
    older_change(older)
    stale = browser.post(url, older)
    assert stale.status_code == 200 and STALE in stale.get_data(as_text=True)


def test_a_stale_user_form_does_not_undo_a_deactivation(db_session, login_as):
    """Defect: admin A deactivated a user; admin B's older form, changing only the name, saved and made the user
    active again (and gave back a role A had taken away), without a word."""
    a, _ = login_as("Administrator")
    target = factories.user(db_session, "connie", "Consultant")
    _older_form_refused(a, f"/admin/users/{target.id}/edit", lambda now: now.pop("active", None),
                        lambda older: older.update(full_name=["Connie Sultan (B)"]))
    db_session.expire_all()
    user = db_session.get(User, target.id)
    assert not user.active and user.full_name != "Connie Sultan (B)"


def test_a_stale_role_form_does_not_bring_back_a_revoked_grant(db_session, login_as):
    """Defect: A lowered a role's job_orders grant to view; B's older form, changing only the description,
    put add_edit back."""
    a, _ = login_as("Administrator")
    role = db_session.scalars(select(Role).where(Role.name == "Consultant")).one()
    _older_form_refused(a, f"/admin/roles/{role.id}/edit", lambda now: now.update({"grant-job_orders": ["view"]}),
                        lambda older: older.update(description=["edited by B"]))
    db_session.expire_all()
    level = db_session.scalar(select(RoleGrant.level).where(RoleGrant.role_id == role.id,
                                                            RoleGrant.item == "job_orders"))
    assert level == "view" and db_session.get(Role, role.id).description != "edited by B"


def test_a_stale_branch_form_is_refused(db_session, login_as):
    a, _ = login_as("Administrator")
    branch = factories.branch(db_session, "NTH")
    _older_form_refused(a, f"/admin/branches/{branch.id}/edit", lambda now: now.update(name=["North P1"]),
                        lambda older: older.update(name=["North P2"]))
    db_session.expire_all()
    assert db_session.get(Branch, branch.id).name == "North P1"


@pytest.mark.parametrize("sent", ["left out", "blank"])
@pytest.mark.parametrize("kind", ["users", "roles", "branches"])
def test_an_edit_posted_without_its_row_version_is_refused_as_stale(db_session, login_as, kind, sent):
    """Defect (O2): a user form posted without `row_version` saved, the stale-form check skipped (WTForms filled the
    missing field from the record itself, so it always matched; a blank one skipped the check). The role and branch
    forms had the same gap. Such a post is now refused as a stale form is, and changes nothing."""
    a, _ = login_as("Administrator")
    record, field = {
        "users": lambda: (factories.user(db_session, "connie", "Consultant"), "full_name"),
        "roles": lambda: (db_session.scalars(select(Role).where(Role.name == "Consultant")).one(), "description"),
        "branches": lambda: (factories.branch(db_session, "NTH"), "name"),
    }[kind]()
    url = f"/admin/{kind}/{record.id}/edit"
    form = _form(a, url) | {field: ["Changed"]}
    if sent == "left out":
        del form["row_version"]
    else:
        form["row_version"] = [""]
    refused = a.post(url, form)
    assert refused.status_code == 200 and STALE in refused.get_data(as_text=True)
    db_session.expire_all()
    assert getattr(db_session.get(type(record), record.id), field) != "Changed"
