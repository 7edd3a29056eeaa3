"""Alert template messages: {placeholders} filled from a fixed set of names, safely. Pure."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from string import Formatter

PLACEHOLDERS = {
    "debtor": "Dell Technologies",
    "po_number": "4500123",
    "percentage": "90",
    "drawn": "93.4",
    "remaining": "15,000.00",
    "expiration": "2026-12-31",
    "runs_out_on": "2026-10-02",  # the forecast run-out date (forecast alerts; else blank)
}


def placeholder_errors(text: str) -> list[str]:
    """Problems with a template: unknown names, attribute/index access, format specs, bad braces."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError as exc:
        return [f"Braces do not match ({exc}); write {{{{ and }}}} for a literal brace."]
    problems = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(f"Unknown placeholder {{{name}}}; use one of "
                            + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
        elif spec or conversion:
            problems.append(f"Write {{{name}}} without a format or conversion.")
    return problems


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill `template`; only the known names, as plain text (no attribute or index access)."""
    out = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(str(values.get(name, "")) if name in PLACEHOLDERS else "{" + name + "}")
    return "".join(out)


def render_alert(subject_template: str, message_template: str, values: dict[str, str]) -> tuple[str, str]:
    """The subject and message of one alert; a template with problems renders its text unfilled."""
    def safe(template: str) -> str:
        return template if placeholder_errors(template) else render_text(template, values)

    return safe(subject_template), safe(message_template)


def drawn_percent(subtotal: Decimal, amount: Decimal) -> Decimal:
    """How much of the amount Subtotal has drawn, in %, cut (not rounded) to one decimal: 84.99 -> 84.9,
    so a PO short of a threshold never reads as at it."""
    if amount <= 0:
        return Decimal("0")
    return (subtotal * 100 / amount).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def percent_text(value: Decimal) -> str:
    """84.0 -> "84", 84.5 -> "84.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_threshold_and_draw(message_template: str, message: str, threshold: Decimal, drawn: Decimal) -> str:
    """A threshold alert says both the threshold and the actual draw ("passed 75%, now at 84%"): a
    template that does not name both gets a closing sentence that does."""
    names = {name for _, name, _, _ in Formatter().parse(message_template) if name} \
        if not placeholder_errors(message_template) else set()
    if {"percentage", "drawn"} <= names:
        return message
    closing = f"Alert threshold {percent_text(threshold)}%; drawn {percent_text(drawn)}% of the amount."
    return f"{message.rstrip()} {closing}" if message.strip() else closing


KIND_PREFIX = {"expiry": "Expiring soon: "}  # a forecast alert's closing sentence already names its kind


def kind_subject(kind: str, subject: str) -> str:
    """An alert's subject saying which kind it is: a template's one subject ("PO {po_number} at {percentage}%")
    serves thresholds, expiry and forecast alerts alike, and an expiry alert read as a budget one."""
    return KIND_PREFIX.get(kind, "") + subject


def expiry_closing(expiration, days_left: int, warn_days: int) -> str:
    """The sentence an "expires in N days" alert ends with, whatever its template says."""
    left = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
    return (f"Expiry alert: the PO expires on {expiration.isoformat()}, {left} (the template warns "
            f"{warn_days} days before).")
