"""Users, roles and branches (item `security`)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain import formatting
from portal.authz import CATALOGUE, LEVELS, requires
from portal.blueprints.admin.forms import BranchForm, RoleForm, UserForm
from portal.blueprints.maintenance.forms import SettingsForm
from portal.blueprints.forms import apply_errors, saved_or_shown
from portal.extensions import db
from portal.services import api_tokens, audit, security, sessions as user_sessions, settings as settings_service
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _choices(form: UserForm) -> None:
    form.roles.choices = [(r.id, r.name) for r in security.all_roles(db.session)]
    form.branches.choices = [(b.id, str(b)) for b in security.all_branches(db.session)]


@bp.get("/users")
@requires("security")
def users():
    return render_template("admin/users.html", users=security.all_users(db.session), is_locked=security.is_locked)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("security")
def new_user():
    form = UserForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            user = security.create_user(
                db.session, actor=current_user, username=form.username.data, full_name=form.full_name.data,
                password=form.password.data or "", email=form.email.data or "",
                role_ids=form.roles.data, branch_ids=form.branches.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(f"User {user.username} created.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("security")
def edit_user(user_id: int):
    user = security.get_user(db.session, user_id)
    form = UserForm(obj=user)
    _choices(form)
    if request.method == "GET":
        form.roles.data = [r.id for r in user.roles]
        form.branches.data = [b.id for b in user.branches]
    form.username.data = user.username  # the username is fixed once made
    if form.validate_on_submit() and saved_or_shown(form, lambda: security.update_user(
            db.session, user_id, actor=current_user, full_name=form.full_name.data, email=form.email.data or "",
            active=bool(form.active.data), role_ids=form.roles.data, branch_ids=form.branches.data,
            password=form.password.data or None, expected_version=form.edited_version())):
        flash("User saved.", "success")
        return redirect(url_for("admin.users"))
    return _user_page(form, user)


def _user_page(form: UserForm, user):
    """A user's page: the form, where they are signed in and their API tokens."""
    return render_template("admin/user_form.html", form=form, user=user,
                           open_sessions=user_sessions.open_sessions(db.session, user.id),
                           tokens=api_tokens.list_tokens(db.session, user), now=api_tokens._now(),
                           locked=security.is_locked(user), history=audit.history_of(db.session, "users", user.id))


@bp.post("/users/<int:user_id>/unlock")
@requires("security")
def unlock_user(user_id: int):
    """Clear the lock failed sign-ins put on the account: the user may sign in at once (recorded in their history)."""
    user = security.unlock_user(db.session, user_id, actor=current_user)
    flash(f"{user.username} is unlocked and may sign in again.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@requires("security")
def revoke_user_token(user_id: int, token_id: int):
    """Revoke one of the user's API tokens: it stops working at once (recorded in their history)."""
    token = api_tokens.revoke(db.session, security.get_user(db.session, user_id), token_id, actor=current_user)
    flash(f"Token {token.name} of {token.user.username} revoked: it no longer works.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id, _anchor="api-tokens"))


@bp.post("/users/<int:user_id>/sign-out")
@requires("security")
def sign_out_user(user_id: int):
    """End every session of the user, on every worker: they must sign in again."""
    ended = user_sessions.sign_out_everywhere(db.session, user_id, actor=current_user)
    flash(f"Signed out everywhere: {formatting.plural(ended, 'session')} ended.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.get("/roles")
@requires("security")
def roles():
    return render_template("admin/roles.html", roles=security.all_roles(db.session), catalogue=CATALOGUE)


def _grants_from_request() -> dict[str, str]:
    return {item: request.form.get(f"grant-{item}", "") for item in CATALOGUE}


@bp.route("/roles/new", methods=["GET", "POST"], defaults={"role_id": None})
@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@requires("security")
def edit_role(role_id: int | None):
    role = None
    if role_id is not None:
        role = security.get_role(db.session, role_id)
    form = RoleForm(obj=role)
    grants = role.grant_map() if role else {}
    if form.validate_on_submit():
        grants = _grants_from_request()
        saved = saved_or_shown(form, lambda: security.save_role(
            db.session, role_id, actor=current_user, name=form.name.data, description=form.description.data or "",
            grants=grants, expected_version=form.edited_version()))
        if saved is not None:
            flash(f"Role {saved.name} saved.", "success")
            return redirect(url_for("admin.roles"))
    return render_template("admin/role_form.html", form=form, role=role, grants=grants, catalogue=CATALOGUE,
                           levels=LEVELS, history=audit.history_of(db.session, "roles", role.id) if role else [])


@bp.post("/roles/<int:role_id>/delete")
@requires("security")
def delete_role(role_id: int):
    try:
        security.delete_role(db.session, role_id, actor=current_user)
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Role deleted.", "success")
    return redirect(url_for("admin.roles"))


@bp.get("/branches")
@requires("security")
def branches():
    return render_template("admin/branches.html", branches=security.all_branches(db.session), form=BranchForm())


@bp.route("/branches/new", methods=["GET", "POST"], defaults={"branch_id": None})
@bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
@requires("security")
def edit_branch(branch_id: int | None):
    branch = None
    if branch_id is not None:
        branch = security.get_branch(db.session, branch_id)
    form = BranchForm(obj=branch)
    if form.validate_on_submit() and saved_or_shown(form, lambda: security.save_branch(
            db.session, branch_id, actor=current_user, code=form.code.data, name=form.name.data,
            expected_version=form.edited_version())):
        flash("Branch saved.", "success")
        return redirect(url_for("admin.branches"))
    return render_template("admin/branch_form.html", form=form, branch=branch,
                           history=audit.history_of(db.session, "branches", branch.id) if branch else [])


@bp.route("/settings", methods=["GET", "POST"])
@requires("settings")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.text.data = settings_service.assignment_prompt(db.session)
        form.row_version.data = str(settings_service.setting_version(db.session, settings_service.ASSIGNMENT_PROMPT))
    if form.validate_on_submit() and saved_or_shown(form, lambda: settings_service.set_assignment_prompt(
            db.session, form.text.data, actor=current_user, expected_version=form.edited_version())):
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)


@bp.route("/settings/po-pricing", methods=["GET", "POST"])
@requires("settings")
def po_pricing():
    """Settings tab "Purchase order pricing" (seed 002): Off by default."""
    from portal.blueprints.equipment.forms import PricingSettingsForm
    from portal.services import equipment

    form = PricingSettingsForm()
    if request.method == "GET":
        current = equipment.pricing_settings(db.session)
        form.selection.data, form.pricing.data = current.selection, current.pricing
        form.markup_percent.data = format(current.markup_percent, "f") if current.markup_percent is not None else ""
        form.markup_flat.data = format(current.markup_flat, "f") if current.markup_flat is not None else ""
        form.row_version.data = str(settings_service.setting_version(db.session, equipment.PO_PRICING))
    if form.validate_on_submit() and saved_or_shown(form, lambda: equipment.save_pricing_settings(
            db.session, actor=current_user, selection=form.selection.data or "", method=form.pricing.data or "",
            markup_percent=form.markup_percent.data or "", markup_flat=form.markup_flat.data or "",
            expected_version=form.edited_version())):
        flash("Purchase order pricing saved.", "success")
        return redirect(url_for("admin.po_pricing"))
    return render_template("admin/po_pricing.html", form=form)
