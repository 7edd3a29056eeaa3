"""Alert template messages: {placeholders} filled from a fixed set of names, safely. Pure."""
from __future__ import annotations

from string import Formatter

PLACEHOLDERS = {
    "debtor": "Dell Technologies",
    "po_number": "4500123",
    "percentage": "90",
    "remaining": "15,000.00",
    "expiration": "2026-12-31",
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
