"""OpenID Connect sign-in end to end against a real provider process on loopback."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import csrf_from
from portal.models import SsoGroupMapping, SsoIdentity, User
from tests import factories
from tests.ops.oidc_provider import local_path, start_provider, stop_provider


@pytest.fixture(scope="module")
def provider():
    p = start_provider()
    yield p
    stop_provider(p)


@pytest.fixture
def mapped(db_session):
    """portal-billing → Billing Admin; branch-north → a branch (NTH)."""
    north = factories.branch(db_session, "NTH")
    db_session.add_all([
        SsoGroupMapping(group_name="portal-billing", role_id=factories.role(db_session, "Billing Admin").id),
        SsoGroupMapping(group_name="Portal-Auditors", role_id=factories.role(db_session, "Auditor").id),
        SsoGroupMapping(group_name="branch-north", branch_id=north.id),
    ])
    db_session.commit()
    return north


@pytest.fixture
def sso_app(make_app, provider):
    def make(**overrides):
        return make_app(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID="po-portal", OIDC_CLIENT_SECRET="s3cret",
                        **overrides)
    return make


def sign_in(client, provider, sub: str, next_url: str | None = None):
    start = client.get("/login/sso" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302 and start.headers["Location"].startswith(provider.issuer)
    back = provider.approve(start.headers["Location"], sub)
    return client.get(local_path(back))


def test_first_sign_in_creates_the_user_with_mapped_roles_and_branches(sso_app, provider, mapped, db_session):
    provider.set_user("sub-alice", preferred_username="alice", email="alice@corp.example", name="Alice Sso",
                      groups=["portal-billing", "branch-north", "unmapped"])
    client = sso_app().test_client()
    response = sign_in(client, provider, "sub-alice", next_url="/debtors/")
    assert response.status_code == 302 and response.headers["Location"] == "/debtors/"
    assert client.get("/debtors/").status_code == 200
    db_session.expire_all()
    user = db_session.scalars(select(User).where(User.username == "alice")).one()
    assert user.full_name == "Alice Sso" and user.email == "alice@corp.example"
    assert [r.name for r in user.roles] == ["Billing Admin"] and [b.code for b in user.branches] == ["NTH"]
    identity = db_session.scalars(select(SsoIdentity)).one()
    assert (identity.issuer, identity.subject, identity.user_id) == (provider.issuer, "sub-alice", user.id)

    # the provider's groups change: the next sign-in follows them; still one user
    provider.set_user("sub-alice", preferred_username="alice", email="alice@corp.example",
                      groups=["PORTAL-AUDITORS"])
    other = sso_app().test_client()
    assert sign_in(other, provider, "sub-alice").status_code == 302
    db_session.expire_all()
    user = db_session.scalars(select(User).where(User.username == "alice")).one()
    assert [r.name for r in user.roles] == ["Auditor"] and user.branches == []
    assert db_session.scalar(select(SsoIdentity.id).where(SsoIdentity.subject == "sub-alice")) == identity.id
    assert other.get("/debtors/new").status_code == 403  # an auditor now


def test_a_person_in_no_mapped_group_is_refused_and_no_user_is_made(sso_app, provider, mapped, db_session):
    provider.set_user("sub-bob", preferred_username="bob", groups=["branch-north", "someone-else"])
    client = sso_app().test_client()
    response = sign_in(client, provider, "sub-bob")
    assert response.status_code == 403
    assert "no group that gives access" in response.get_data(as_text=True)
    assert client.get("/debtors/").status_code == 302  # not signed in
    db_session.expire_all()
    assert db_session.scalar(select(User.id).where(User.username == "bob")) is None


def test_a_local_account_keeps_its_name_and_the_sso_user_cannot_use_a_password(sso_app, provider, mapped, db_session):
    factories.user(db_session, "carol")  # a different person with a local account
    provider.set_user("sub-carol", preferred_username="carol", groups=["portal-billing"])
    client = sso_app().test_client()
    assert sign_in(client, provider, "sub-carol").status_code == 302
    db_session.expire_all()
    sso_user = db_session.scalars(select(User).join(SsoIdentity, SsoIdentity.user_id == User.id)).one()
    assert sso_user.username == "carol-2"
    local = sso_app().test_client()
    page = local.get("/login")
    for password in ("!sso", "", factories.PASSWORD):
        response = local.post("/login", data={"username": "carol-2", "password": password,
                                              "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code == 200
        assert local.get("/debtors/").status_code == 302  # still not signed in


def test_a_deactivated_user_is_refused(sso_app, provider, mapped, db_session):
    provider.set_user("sub-dan", preferred_username="dan", groups=["portal-billing"])
    assert sign_in(sso_app().test_client(), provider, "sub-dan").status_code == 302
    db_session.expire_all()
    dan = db_session.scalars(select(User).where(User.username == "dan")).one()
    dan.active = False
    db_session.commit()
    assert sign_in(sso_app().test_client(), provider, "sub-dan").status_code == 403


def test_a_forged_or_replayed_callback_signs_no_one_in(sso_app, provider, mapped, db_session):
    provider.set_user("sub-eve", preferred_username="eve", groups=["portal-billing"])
    app = sso_app()
    victim = app.test_client()
    start = victim.get("/login/sso")
    back = provider.approve(start.headers["Location"], "sub-eve")
    attacker = app.test_client()  # another browser, without the victim's state
    response = attacker.get(local_path(back))
    assert response.status_code == 400 and "did not complete" in response.get_data(as_text=True)
    assert attacker.get("/debtors/").status_code == 302
    assert victim.get(local_path(back)).status_code == 302  # the real browser completes
    assert victim.get(local_path(back)).status_code in (302, 400)  # a replay signs no one new in
    db_session.expire_all()
    assert len(db_session.scalars(select(User).where(User.username.like("eve%"))).all()) == 1
    assert attacker.get("/login/sso/callback?code=x&state=y").status_code == 400


def test_local_sign_in_can_be_turned_off_while_sso_goes_on(sso_app, provider, mapped, db_session):
    factories.user(db_session, "breakglass")
    app = sso_app(LOCAL_LOGIN_ENABLED=False)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with your company account" in page and 'name="password"' not in page
    refused = client.post("/login", data={"username": "breakglass", "password": factories.PASSWORD,
                                          "csrf_token": csrf_from(page)})
    assert refused.status_code == 403
    assert client.get("/debtors/").status_code == 302
    provider.set_user("sub-fay", preferred_username="fay", groups=["portal-billing"])
    assert sign_in(client, provider, "sub-fay").status_code == 302
    assert client.get("/debtors/").status_code == 200


def test_without_oidc_settings_there_is_no_sso_button_and_no_sso_route(client):
    assert "company account" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_administrators_edit_the_group_mapping(login_as, db_session):
    browser, admin = login_as("Administrator")
    role = factories.role(db_session, "Consultant")
    branch = factories.branch(db_session, "STH")
    assert browser.get("/admin/sso-groups").status_code == 200
    response = browser.post("/admin/sso-groups", {"group_name": "consultants-south", "role_id": role.id,
                                                   "branch_id": branch.id})
    assert response.status_code == 303
    mapping = db_session.scalars(select(SsoGroupMapping)).one()
    assert (mapping.group_name, mapping.role_id, mapping.branch_id) == ("consultants-south", role.id, branch.id)
    assert "consultants-south" in browser.get("/admin/sso-groups").get_data(as_text=True)
    duplicate = browser.post("/admin/sso-groups", {"group_name": "CONSULTANTS-SOUTH", "role_id": role.id,
                                                    "branch_id": branch.id})
    assert duplicate.status_code == 200 and "already has this mapping" in duplicate.get_data(as_text=True)
    for bad in ({"group_name": "", "role_id": role.id}, {"group_name": "x"}, {"group_name": "x", "role_id": "abc"},
                {"group_name": "x", "role_id": "99999999999999"},                 {"group_name": "x" * 500, "role_id": role.id}, {"group_name": "x", "branch_id": "-3"}):
        assert browser.post("/admin/sso-groups", bad).status_code == 200, bad
    # a NUL byte is refused before any view runs
    assert browser.post("/admin/sso-groups", {"group_name": "x\x00y", "role_id": role.id}).status_code == 400
    assert len(db_session.scalars(select(SsoGroupMapping)).all()) == 1
    assert browser.post("/admin/sso-groups", {"group_name": "y", "role_id": role.id}, csrf=False).status_code == 400
    mapping_id = mapping.id
    assert browser.post(f"/admin/sso-groups/{mapping_id}/delete").status_code == 303
    assert browser.post(f"/admin/sso-groups/{mapping_id}/delete").status_code == 404
    db_session.expire_all()
    assert db_session.scalars(select(SsoGroupMapping)).all() == []
    history = browser.get("/audit-log/?type=sso_group_mappings").get_data(as_text=True)
    assert "consultants-south" in history and "delete" in history
    billing, _ = login_as("Billing Admin")
    assert billing.get("/admin/sso-groups").status_code == 403
