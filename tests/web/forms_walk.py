"""Read the POST forms of a page as a browser would submit them, unchanged."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def data(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        return out


class _FormParser(HTMLParser):
    """Successful controls of every <form method=post> (HTML's form submission rules, the common part)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._options: list[tuple[str, bool]] = []
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(a.get("action") or "") if (a.get("method") or "get").lower() == "post" else None
            return
        if self._form is None or "disabled" in a:
            if tag == "select" and self._form is not None:
                self._select = None
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": []}
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"].append(data)
        if self._textarea is not None:
            self._text.append(data)

    def _close_option(self):
        if self._option is not None:
            value = self._option["value"]
            self._options.append((value if value is not None else "".join(self._option["text"]).strip(),
                                  self._option["selected"]))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None and self._form is not None:
            self._close_option()
            name, multiple = self._select
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a single select submits its first option by default
            self._form.fields.extend((name, v) for v in (chosen if multiple else chosen[:1]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            text = "".join(self._text)
            self._form.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def post_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def confirm(browser, check_url: str, *, override: bool = False, **kw):
    """Post a check page's confirming form ("Post anyway", "Override and post", "Move anyway") as the page
    renders it, unchanged: with the digest of the check it shows, without which a confirmation counts for
    nothing."""
    page = browser.get(check_url).get_data(as_text=True)
    forms = [f for f in post_forms(page) if "confirmed" in f.data() and ("override" in f.data()) == override]
    assert forms, f"no {'override' if override else 'confirming'} form on {check_url}"
    return browser.post(forms[0].action, forms[0].data(), **kw)


def opened_version(browser, url: str) -> str:
    """The row version the edit form on `url` carries, as a browser opening it now would post it back (blank
    when the user may not open it: the post is then refused before any version is read)."""
    page = browser.get(url)
    if page.status_code != 200:
        return ""
    versions = {v for f in post_forms(page.get_data(as_text=True)) for v in f.data().get("row_version", [])}
    assert len(versions) == 1, f"{url}: row versions on the page {versions}"
    return versions.pop()
