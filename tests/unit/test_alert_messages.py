from decimal import Decimal

from portal.domain.alert_messages import PLACEHOLDERS, placeholder_errors, render_alert


def test_known_placeholders_are_filled():
    subject, message = render_alert("PO {po_number} at {percentage}%", "{debtor}: {remaining} left until {expiration}.",
                                    PLACEHOLDERS)
    assert subject == "PO 4500123 at 90%"
    assert message == "Dell Technologies: 15,000.00 left until 2026-12-31."


def test_unknown_placeholder_is_named():
    [problem] = placeholder_errors("Hello {customer}")
    assert "{customer}" in problem and "{po_number}" in problem


def test_attribute_and_index_access_are_refused():
    assert placeholder_errors("{debtor.__class__}")
    assert placeholder_errors("{debtor[0]}")
    assert placeholder_errors("{debtor!r}") and placeholder_errors("{percentage:>100}")


def test_literal_braces_and_unbalanced_braces():
    assert placeholder_errors("{{literal}} {po_number}") == []
    assert render_alert("{{x}} {po_number}", "", PLACEHOLDERS)[0] == "{x} 4500123"
    assert placeholder_errors("oops {po_number")


def test_a_broken_template_renders_unfilled_instead_of_failing():
    assert render_alert("{debtor.__class__}", "ok", PLACEHOLDERS) == ("{debtor.__class__}", "ok")


def test_threshold_alerts_say_the_threshold_and_the_draw():
    from decimal import Decimal

    from portal.domain.alert_messages import drawn_percent, percent_text, with_threshold_and_draw

    assert drawn_percent(Decimal("840"), Decimal("1000")) == Decimal("84.0")
    assert drawn_percent(Decimal("749.99"), Decimal("1000")) == Decimal("74.9")  # cut, never rounded up to 75
    assert drawn_percent(Decimal("5"), Decimal("0")) == Decimal("0")
    assert percent_text(Decimal("84.0")) == "84" and percent_text(Decimal("84.5")) == "84.5"
    assert percent_text(Decimal("100")) == "100"
    only_threshold = "PO {po_number} has drawn {percentage}%"
    said = with_threshold_and_draw(only_threshold, "PO 1 has drawn 75%", Decimal("75"), Decimal("84"))
    assert said == "PO 1 has drawn 75% Alert threshold 75%; drawn 84% of the amount."
    both = "passed {percentage}%, now {drawn}%"
    assert with_threshold_and_draw(both, "passed 75%, now 84%", Decimal("75"), Decimal("84")) == "passed 75%, now 84%"
    assert with_threshold_and_draw("", "", Decimal("75"), Decimal("84")) == "Alert threshold 75%; drawn 84% of the amount."


# ---- survivors of `make mutation` (portal/domain/alert_messages.py)

def test_problems_after_a_literal_brace_are_still_found():
    assert placeholder_errors("Price {{fixed}} for {bogus}") == [
        "Unknown placeholder {bogus}; use one of {debtor}, {po_number}, {percentage}, {drawn}, {remaining}, "
        "{expiration}, {runs_out_on}."]


def test_a_format_or_conversion_is_refused_by_name():
    assert placeholder_errors("{po_number:>10} {debtor!r}") == [
        "Write {po_number} without a format or conversion.", "Write {debtor} without a format or conversion."]


def test_a_template_with_a_format_spec_renders_unfilled():
    assert render_alert("PO {po_number:>10} at {percentage}%", "ok", PLACEHOLDERS) == (
        "PO {po_number:>10} at {percentage}%", "ok")


def test_render_text_fills_known_names_only_and_a_missing_value_as_nothing():
    from portal.domain.alert_messages import render_text

    assert render_text("PO {po_number}: {other}", {}) == "PO : {other}"


def test_a_one_dollar_po_reads_its_draw():
    from portal.domain.alert_messages import drawn_percent

    assert drawn_percent(Decimal("0.5"), Decimal("1")) == Decimal("50.0")


def test_the_closing_sentence_follows_a_broken_template_and_trims_only_the_end():
    from portal.domain.alert_messages import with_threshold_and_draw

    closing = "Alert threshold 75%; drawn 84% of the amount."
    assert with_threshold_and_draw("{", "{", Decimal("75"), Decimal("84")) == "{ " + closing
    assert with_threshold_and_draw("{percentage} {drawn} {bogus}", "{percentage} {drawn} {bogus}", Decimal("75"),
                                   Decimal("84")) == "{percentage} {drawn} {bogus} " + closing
    assert with_threshold_and_draw("  Hi  ", "  Hi  ", Decimal("75"), Decimal("84")) == "  Hi " + closing
