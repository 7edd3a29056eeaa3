"""PO alerts: thresholds crossed by postings, "expires in N days" (DESIGN.md "Alerts") and "forecast to
run out within N days" (portal/domain/forecast.py).

Each alert is recorded once per PO and threshold, notified in-app to the template's recipients and
queued for e-mail in the outbox, all in the transaction that raised it.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import budget
from portal.domain import forecast as forecast_rules
from portal.domain.alert_messages import (drawn_percent, expiry_closing, kind_subject, percent_text, render_alert,
                                          with_threshold_and_draw)
from portal.models import Alert, AlertTemplate, POBalance, PurchaseOrder, Role, User
from portal.services import forecasts, notifications, outbox


def _recipients(session: Session, template: AlertTemplate) -> list[User]:
    """Who an alert goes to: the template's active users and every active user holding one of its roles."""
    role_ids = [r.id for r in template.recipient_roles]
    users = {u.id: u for u in template.recipient_users if u.active}
    if role_ids:
        for u in session.scalars(select(User).where(User.active.is_(True), User.roles.any(Role.id.in_(role_ids)))):
            users[u.id] = u
    return list(users.values())


def _raise(session: Session, po: PurchaseOrder, kind: str, threshold: Decimal, values: dict[str, str],
           closing: str = "") -> str:
    """Fire a PO's alert (disarmed until re-armed): notify its recipients and mail those not on the daily digest."""
    template = po.alert_template
    subject, message = render_alert(template.subject, template.message, values)
    subject = kind_subject(kind, subject)
    if kind == "threshold":
        message = with_threshold_and_draw(template.message, message, threshold, Decimal(values["drawn"]))
    if closing:
        message = f"{message.rstrip()} {closing}" if message.strip() else closing
    row = session.scalar(select(Alert).where(Alert.po_id == po.id, Alert.kind == kind, Alert.threshold == threshold))
    if row is None:
        session.add(Alert(po_id=po.id, kind=kind, threshold=threshold, armed=False, message=message,
                          fired_at=datetime.now(timezone.utc)))
    else:
        row.armed, row.message, row.fired_at = False, message, datetime.now(timezone.utc)
    session.flush()
    alert_id = session.scalar(select(Alert.id).where(Alert.po_id == po.id, Alert.kind == kind, Alert.threshold == threshold))
    users = _recipients(session, template)
    notifications.notify(session, [u.id for u in users], subject, message, link=f"/purchase-orders/{po.id}",
                         alert_id=alert_id)
    for u in users:
        if u.alert_email != "digest":  # digest users get it in `flask alerts digest`'s daily mail
            outbox.queue(session, u.email, subject, message)
    return subject


def _values(po: PurchaseOrder, balance: budget.Balance, percentage: Decimal) -> dict[str, str]:
    """{percentage}: the threshold crossed (for an expiry alert: the draw); {drawn}: Subtotal's % now."""
    return {"debtor": po.debtor.name, "po_number": po.number, "percentage": f"{percentage.normalize():f}",
            "drawn": percent_text(drawn_percent(balance.subtotal, balance.amount)),
            "remaining": f"{balance.net_remaining:,.2f}", "expiration": po.expiration.isoformat(), "runs_out_on": ""}


def after_change(session: Session, pos: dict[int, PurchaseOrder], before: dict[int, budget.Balance], *,
                 today: date) -> list[str]:
    """Fire thresholds the change crossed and re-arm those it fell back below; returns subjects fired."""
    fired_subjects = []
    with_template = {i: p for i, p in pos.items() if p.alert_template_id and p.alert_template and p.alert_template.active}
    if not with_template:
        return []
    rows = {b.po_id: b for b in session.scalars(select(POBalance).where(POBalance.po_id.in_(list(with_template)))
                                                .execution_options(populate_existing=True))}
    fired = {}
    for a in session.scalars(select(Alert).where(Alert.po_id.in_(list(with_template)), Alert.kind == "threshold")):
        if not a.armed:
            fired.setdefault(a.po_id, set()).add(a.threshold)
    for po_id, po in with_template.items():
        b = rows.get(po_id)
        after = budget.Balance.of(po.amount, b)
        fire, rearm = budget.crossed_thresholds(before.get(po_id, after).subtotal, after.subtotal, po.amount,
                                                list(po.alert_template.thresholds), fired.get(po_id, set()))
        for t in fire:
            fired_subjects.append(_raise(session, po, "threshold", t, _values(po, after, t)))
        for t in rearm:
            row = session.scalar(select(Alert).where(Alert.po_id == po_id, Alert.kind == "threshold", Alert.threshold == t))
            row.armed = True
    return fired_subjects


def recheck_template(session: Session, template: AlertTemplate, *, today: date) -> list[str]:
    """A template's thresholds changed (or it was made active): fire those its POs' Subtotal has passed already
    and re-arm those it is now below, as the next posting would have, under the POs' locks (taken in id order,
    as posting takes them). Returns the subjects fired."""
    if not template.active:
        return []
    pos = {p.id: p for p in session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.alert_template_id == template.id).order_by(PurchaseOrder.id)
        .with_for_update(of=PurchaseOrder))}
    return after_change(session, pos, {}, today=today)


def scan_expiring(session: Session, today: date) -> list[str]:
    """Raise "expires in N days" alerts due today: once per PO and N, re-armed when the PO is extended past
    N days (it then warns again before its new expiration, as a threshold re-arms when Subtotal falls back).
    Its {percentage} is the draw cut to one decimal, as {drawn} is: rounded it read "has passed 14%" at 13.8%.
    Commit."""
    subjects = []
    stmt = (select(PurchaseOrder).join(AlertTemplate, AlertTemplate.id == PurchaseOrder.alert_template_id)
            .where(AlertTemplate.active.is_(True), AlertTemplate.days_before_expiry.is_not(None),
                   PurchaseOrder.expiration >= today).order_by(PurchaseOrder.id))
    pos = session.scalars(stmt).all()
    rows = {(a.po_id, a.threshold): a for a in session.scalars(
        select(Alert).where(Alert.po_id.in_([p.id for p in pos]), Alert.kind == "expiry"))} if pos else {}
    for po in pos:
        days = po.alert_template.days_before_expiry
        row = rows.get((po.id, Decimal(days)))
        if not budget.expiring(po.expiration, today, days):
            if row is not None and not row.armed:  # extended out of the window: warn again before the new date
                row.armed = True
            continue
        if row is not None and not row.armed:
            continue
        balance = budget.Balance.of(po.amount, po.balance)
        subjects.append(_raise(session, po, "expiry", Decimal(days),
                               _values(po, balance, drawn_percent(balance.subtotal, balance.amount)),
                               expiry_closing(po.expiration, (po.expiration - today).days, days)))
    session.commit()
    return subjects


def scan_forecasts(session: Session, today: date) -> list[str]:
    """Store every current PO's forecast, then raise "forecast to run out within N days" alerts: once
    per PO and N, re-armed when a later forecast moves the run-out past N days; the message names the
    dates. Commit."""
    forecasts.refresh_current(session, today)
    pos = session.scalars(select(PurchaseOrder).join(AlertTemplate, AlertTemplate.id == PurchaseOrder.alert_template_id)
                          .where(AlertTemplate.active.is_(True), AlertTemplate.forecast_days.is_not(None),
                                 PurchaseOrder.expiration >= today).order_by(PurchaseOrder.id)).all()
    if not pos:
        return []
    computed = forecasts.forecasts(session, pos, today)
    rows = {(a.po_id, a.threshold): a for a in session.scalars(
        select(Alert).where(Alert.po_id.in_([p.id for p in pos]), Alert.kind == "forecast"))}
    subjects = []
    for po in pos:
        days, f = po.alert_template.forecast_days, computed[po.id]
        row = rows.get((po.id, Decimal(days)))
        if f.runs_out_within(days):
            if row is None or row.armed:
                balance = budget.Balance.of(po.amount, po.balance)
                values = _values(po, balance, drawn_percent(balance.subtotal, balance.amount))
                values["runs_out_on"] = (f.runs_out_on or today).isoformat()
                closing = f"Forecast (runs out within {days} days): {forecast_rules.describe(f, po.expiration)}"
                subjects.append(_raise(session, po, "forecast", Decimal(days), values, closing))
        elif row is not None and not row.armed:
            row.armed = True
    session.commit()
    return subjects
