"""`flask setup` on an empty database: reference data, alert template, branch, first administrator."""
from __future__ import annotations

from sqlalchemy import func, select, text

from portal.models import AlertTemplate, AuditEntry, Branch, DocumentType, Role, User


def _empty(db_session):
    db_session.execute(text("TRUNCATE roles, role_grants, document_types, users, branches, alert_templates, "
                            "audit_entries RESTART IDENTITY CASCADE"))
    db_session.commit()


def _counts(db_session):
    return {model.__name__: db_session.scalar(select(func.count()).select_from(model))
            for model in (Role, DocumentType, AlertTemplate, Branch, User, AuditEntry)}


def test_setup_creates_what_a_new_install_needs_and_a_second_run_changes_nothing(app, db_session, browser):
    _empty(db_session)
    runner = app.test_cli_runner()
    env = {"PORTAL_ADMIN_PASSWORD": "first-admin-pass-1", "PORTAL_ADMIN_USERNAME": "root.admin"}
    result = runner.invoke(args=["setup", "--branch-code", "hq", "--branch-name", "Head office"], env=env)
    assert result.exit_code == 0, result.output
    assert "Administrator root.admin: created." in result.output
    db_session.expire_all()
    assert {r.name for r in db_session.scalars(select(Role))} >= {"Administrator", "Billing Admin", "Auditor"}
    assert len(db_session.scalars(select(DocumentType)).all()) == 6
    template = db_session.scalars(select(AlertTemplate)).one()
    assert template.days_before_expiry == 30 and [r.name for r in template.recipient_roles] == ["Billing Admin"]
    assert [b.code for b in db_session.scalars(select(Branch))] == ["HQ"]
    admin = db_session.scalars(select(User)).one()
    assert [r.name for r in admin.roles] == ["Administrator"]

    before = _counts(db_session)
    again = runner.invoke(args=["setup"], env={"PORTAL_ADMIN_PASSWORD": "another-password-2"})
    assert again.exit_code == 0, again.output
    assert "Administrator: already present." in again.output
    db_session.expire_all()
    assert _counts(db_session) == before

    assert browser.login("root.admin", "first-admin-pass-1").status_code == 302
    assert browser.get("/admin/users").status_code == 200


def test_setup_prompts_for_the_password_when_the_environment_has_none(app, db_session):
    _empty(db_session)
    result = app.test_cli_runner().invoke(args=["setup", "--admin-username", "prompted"],
                                          input="prompted-pass-123\nprompted-pass-123\n")
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert db_session.scalar(select(User.username)) == "prompted"


def test_setup_refuses_a_short_password_and_writes_nothing(app, db_session):
    _empty(db_session)
    result = app.test_cli_runner().invoke(args=["setup"], env={"PORTAL_ADMIN_PASSWORD": "short"})
    assert result.exit_code != 0 and "at least" in result.output
    db_session.expire_all()
    assert all(n == 0 for n in _counts(db_session).values())
