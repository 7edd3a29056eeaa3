"""Form pieces shared by every blueprint."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, TypeVar

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField as _DateField, HiddenField, IntegerField, SelectField as _SelectField, widgets

from portal.domain import formatting
from portal.services.errors import Conflict, ValidationFailed
from portal.routing import MAX_ID

T = TypeVar("T")


class QuickSelect(widgets.Select):
    """WTForms' select, each plain option written directly, exactly as WTForms writes it: its generic
    attribute writer took about 20 µs an option (a debtor with 1,000 POs: 20 ms of the job form)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')


class SelectField(_SelectField):
    """The portal's select field: WTForms' own, drawn by QuickSelect."""

    widget = QuickSelect()


_DEBTOR_OPTIONS: dict[tuple[bool, int], tuple[object, Markup]] = {}  # the <option>s built, by label and list


def debtor_options(debtors, selected=None, *, names: bool = False) -> Markup:
    """A debtor picker's or filter's <option>s (label: code, or "code — name"), `selected` marked. The HTML
    is built once per list: all_debtors hands every request the worker's same lists (every debtor, the
    active ones) while no debtor changes (200 options were 0.4 ms of a list page, 1-2 ms of a form)."""
    key = (names, id(debtors))
    built = _DEBTOR_OPTIONS.get(key)
    if built is None or built[0] is not debtors:
        html = Markup("").join(Markup('<option value="{}">{}</option>').format(d.id, str(d) if names else d.code)
                               for d in debtors)
        if len(_DEBTOR_OPTIONS) >= 8:  # the lists of a stamp gone by
            _DEBTOR_OPTIONS.clear()
        _DEBTOR_OPTIONS[key] = built = (debtors, html)
    html = built[1]
    if isinstance(selected, int) and not isinstance(selected, bool):
        opening = f'<option value="{selected}"'
        html = html.replace(Markup(opening + ">"), Markup(opening + " selected>"), 1)
    return html


class DebtorSelect(widgets.Select):
    """A debtor picker drawn from the options debtor_options keeps per list, after the field's blank
    option (if any); the attributes as WTForms' select writes them."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        blank = Markup('<option value="">{}</option>').format(field.blank) if field.blank else ""
        return Markup("<select {}>{}{}</select>").format(
            Markup(widgets.html_params(name=field.name, **kwargs)), blank,
            debtor_options(field.debtors, field.data, names=True))


class DebtorField(_SelectField):
    """A form's debtor picker ("code — name"): offer_debtors gives it its list. Any id is taken as typed
    (the services refuse a debtor that is not there or not active)."""

    widget = DebtorSelect()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int_or_none, validate_choice=False, choices=[], **kwargs)
        self.debtors, self.blank = (), "— choose —"


def offer_debtors(field: DebtorField, debtors, blank: str | None = "— choose —") -> None:
    """The debtors a form's picker offers (the worker's list from all_debtors, so its options are built
    once), after a blank option named `blank` (None: no blank option)."""
    field.debtors, field.blank = debtors, blank


class DateField(_DateField):
    """The portal's date field: typed exactly YYYY-MM-DD (formatting.typed_day), as every date is shown;
    anything else is refused with that format named (WTForms said "Not a valid date value." and took
    2026-3-1). Its class name stays DateField: the `field` macro draws it as a typed ISO box by it."""

    def process_formdata(self, valuelist):
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        self.data = formatting.typed_day(" ".join(valuelist))
        if self.data is None:
            raise ValueError("Enter the date as YYYY-MM-DD (a day of the calendar).")


@dataclass(frozen=True)
class DayArg:
    """A list's date filter as typed in its box (a GET argument): the day, the text to show back, and
    the message when the text is not a day (the list is then not filtered by it, and says so)."""

    day: date | None
    text: str
    error: str | None = None


def day_arg(raw: str | None, label: str, instead: str = "the list is not filtered by it") -> DayArg:
    """The `label` filter's day from `raw`, typed exactly YYYY-MM-DD (formatting.typed_day); anything
    else is kept as typed with a message saying what the list does `instead`, never read as another day
    without a word, nor silently dropped."""
    text = (raw or "").strip()[:40]
    if not text:
        return DayArg(None, "")
    day = formatting.typed_day(text)
    if day is None:
        return DayArg(None, text, f"{label}: enter the date as YYYY-MM-DD; {instead}.")
    return DayArg(day, formatting.day(day))


class VersionedForm(FlaskForm):
    """An edit form that carries the record's row version, so a stale form is refused."""

    row_version = HiddenField()

    def edited_version(self) -> int:
        """The row version the edit form was opened on, as posted; a post without one (or a blank or tampered one)
        is refused as a stale form is (-1 never matches). Never `row_version.data`: for a missing field WTForms
        fills it from the object the form was made with (the record's own version, so the check always passed),
        and a blank one skipped the check. A new record has no version: its service ignores this one."""
        posted = (self.row_version.raw_data or [""])[0]
        try:
            return int(posted)
        except ValueError:
            return -1


def apply_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Show a service's validation errors beside the fields they belong to."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors = list(getattr(form, "form_errors", []) or []) + list(messages)


def saved_or_shown(form: FlaskForm, save: Callable[[], T]) -> T | None:
    """What `save` returns; None when the service refused, its messages then on the form (beside their
    fields, or above the form for a stale edit)."""
    try:
        return save()
    except ValidationFailed as exc:
        apply_errors(form, exc)
    except Conflict as exc:
        form.form_errors = [str(exc)]
    return None




def int_or_none(value) -> int | None:
    """An id from a form or query string: None when blank; -1 (matches nothing, so it is refused
    with a message or a 404) when not a whole number or beyond any id."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1


def page_arg(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 1_000_000))
    except ValueError:
        return 1


__all__ = ["VersionedForm", "apply_errors", "saved_or_shown", "page_arg", "IntegerField"]
