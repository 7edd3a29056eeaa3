"""`flask` commands: users, default roles, demo data."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal.domain import formatting
from portal.extensions import db

users_cli = AppGroup("users", help="Manage users.")
roles_cli = AppGroup("roles", help="Manage roles.")
demo_cli = AppGroup("demo", help="Demo data.")
alerts_cli = AppGroup("alerts", help="PO alerts and their e-mail outbox.")
integrity_cli = AppGroup("integrity", help="Consistency checks.")


@integrity_cli.command("check")
def integrity_check():
    """Recompute every PO and master-line balance from the ledger; exit 1 on any mismatch."""
    from portal.services.contracts import integrity_problems
    from portal.services.integrity import check

    mismatches = check(db.session) + integrity_problems(db.session)
    for m in mismatches:
        click.echo(str(m), err=True)
    click.echo(f"{len(mismatches)} mismatch(es)")
    if mismatches:
        raise SystemExit(1)


@alerts_cli.command("deliver")
@click.option("--limit", default=200, show_default=True, help="Most mails to send in this run.")
def deliver_alerts(limit: int):
    """Send the queued alert e-mails through the configured SMTP server (failures retried later)."""
    from flask import current_app

    from portal.services import outbox

    from portal.ops.locks import exclusive_run

    with exclusive_run(db.engine, "alerts deliver") as held:
        if not held:  # another host's run is sending: it will send these mails, exactly once
            click.echo("another delivery run holds the lock; nothing done")
            return
        report = outbox.deliver(db.session, outbox.SmtpSettings.from_config(current_app.config), limit=limit)
    click.echo(f"sent {report.sent}, failed {report.failed} (will retry), gave up {report.gave_up}")
    if report.failed and not report.sent:
        raise SystemExit(1)


@alerts_cli.command("digest")
@click.option("--day", default=None, help="The day whose alerts to send (YYYY-MM-DD, UTC); default today.")
def digest_alerts(day: str | None):
    """E-mail each digest user one message listing the day's alerts (once a day), then deliver the outbox."""
    from datetime import date

    from flask import current_app

    from portal.ops.locks import exclusive_run
    from portal.services import digest, outbox

    try:
        when = date.fromisoformat(day) if day else date.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--day") from None
    with exclusive_run(db.engine, "alerts digest") as held:
        if not held:
            click.echo("another digest run holds the lock; nothing done")
            return
        report = digest.queue_digests(db.session, when)
    click.echo(f"{formatting.plural(report.queued, 'digest')} queued listing {formatting.plural(report.alerts, 'alert')}")
    with exclusive_run(db.engine, "alerts deliver") as held:
        if not held:
            click.echo("another delivery run holds the lock: it will send them")
            return
        sent = outbox.deliver(db.session, outbox.SmtpSettings.from_config(current_app.config))
    click.echo(f"sent {sent.sent}, failed {sent.failed} (will retry), gave up {sent.gave_up}")
    if sent.failed and not sent.sent:
        raise SystemExit(1)


@alerts_cli.command("scan")
@click.option("--today", default=None, help="Date to scan as (YYYY-MM-DD); default today.")
def scan_alerts(today: str | None):
    """Raise the "expires in N days" alerts that are due; store every current PO's forecast and raise the
    "forecast to run out within N days" alerts; expire, win or reopen opportunities (seed 000)."""
    from datetime import date

    from portal.services.alerts import scan_expiring, scan_forecasts

    from portal.ops.locks import exclusive_run

    day = date.fromisoformat(today) if today else date.today()
    with exclusive_run(db.engine, "alerts scan") as held:
        if not held:
            click.echo("another scan holds the lock; nothing done")
            return
        subjects = scan_expiring(db.session, day)
        forecast_subjects = scan_forecasts(db.session, day)
    for s in subjects:
        click.echo(s)
    click.echo(f"{formatting.plural(len(subjects), 'expiry alert')} raised")
    for s in forecast_subjects:
        click.echo(s)
    click.echo(f"{formatting.plural(len(forecast_subjects), 'forecast alert')} raised")
    from portal.services.opportunities import scan

    changes = scan(db.session, day)
    for line in changes:
        click.echo(line)
    click.echo(f"{len(changes)} opportunit{'y' if len(changes) == 1 else 'ies'} changed status")


@roles_cli.command("seed")
def seed_roles():
    """Create the default roles and document types of DESIGN.md (adds only what is missing)."""
    from portal.models import Role
    from portal.services.reference_data import seed_reference_data

    seed_reference_data(db.session)
    click.echo(f"Roles: {', '.join(sorted(r.name for r in db.session.scalars(select(Role))))}")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", default=None, help="Full name (default: the username).")
@click.option("--role", "role_names", multiple=True, default=["Administrator"], show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(username: str, full_name: str | None, role_names: tuple[str, ...], password: str):
    """Create a user, e.g. the first administrator on a real server."""
    from portal.models import Role
    from portal.services.errors import ValidationFailed
    from portal.services.security import create_user as create, seed_default_roles

    seed_default_roles(db.session)
    roles = db.session.scalars(select(Role).where(Role.name.in_(role_names))).all()
    missing = set(role_names) - {r.name for r in roles}
    if missing:
        raise click.ClickException(f"No such role: {', '.join(sorted(missing))}")
    try:
        user = create(db.session, actor=None, username=username, full_name=full_name or username,
                      password=password, role_ids=[r.id for r in roles])
    except ValidationFailed as exc:
        raise click.ClickException(str(exc))
    click.echo(f"Created {user.username} with roles {', '.join(r.name for r in roles)}.")


@demo_cli.command("load")
def load_demo():
    """Load demo data (idempotent) and print the demo sign-ins."""
    from portal.demo import load

    for line in load(db.session):
        click.echo(line)


@demo_cli.command("scale")
@click.option("--factor", default=1.0, show_default=True, type=click.FloatRange(0.001, 10),
              help="1 = 200 debtors, 10,000 POs, 50,000 jobs, 1,000,000 posted lines; 0.1 for quick runs.")
def scale_demo(factor: float):
    """Add a data set the size of a large agency (after the demo data) for measuring."""
    import time

    from portal.demo_scale import load

    started = time.perf_counter()
    try:
        sizes = load(db.session, factor, progress=lambda step: click.echo(
            f"{time.perf_counter() - started:7.1f}s {step}"))
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{time.perf_counter() - started:7.1f}s done: {sizes}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(roles_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(integrity_cli)

    from portal.ops.cli import register as register_ops_commands

    register_ops_commands(app)
