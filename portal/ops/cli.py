"""`flask setup`: first run on a real server (see portal/services/first_run.py)."""
from __future__ import annotations

import os

import click
from flask import Flask

from portal.extensions import db


@click.command("setup")
@click.option("--branch-code", default=lambda: os.environ.get("PORTAL_FIRST_BRANCH_CODE", "HQ"), show_default="HQ",
              help="Code of the first branch (only when there is none).")
@click.option("--branch-name", default=lambda: os.environ.get("PORTAL_FIRST_BRANCH_NAME", "Head office"),
              show_default="Head office", help="Name of the first branch.")
@click.option("--admin-username", default=lambda: os.environ.get("PORTAL_ADMIN_USERNAME", "admin"), show_default="admin",
              help="Username of the first administrator (only when there is none).")
@click.option("--admin-name", default=lambda: os.environ.get("PORTAL_ADMIN_NAME", ""), help="Full name of the first administrator.")
@click.option("--admin-email", default=lambda: os.environ.get("PORTAL_ADMIN_EMAIL", ""), help="E-mail of the first administrator.")
def setup_command(branch_code: str, branch_name: str, admin_username: str, admin_name: str, admin_email: str):
    """Reference data, default alert template, a first branch and the first administrator (idempotent).

    The administrator's password comes from PORTAL_ADMIN_PASSWORD, else it is prompted for.
    """
    from portal.services.errors import ValidationFailed
    from portal.services.first_run import FirstAdmin, needs_administrator, set_up

    admin = None
    if needs_administrator(db.session):
        password = os.environ.get("PORTAL_ADMIN_PASSWORD") or click.prompt(
            f"Password for the first administrator {admin_username!r}", hide_input=True, confirmation_prompt=True)
        admin = FirstAdmin(admin_username, password, admin_name, admin_email)
    try:
        for line in set_up(db.session, branch_code=branch_code, branch_name=branch_name, admin=admin):
            click.echo(line)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))


def register(app: Flask) -> None:
    app.cli.add_command(setup_command)
