"""Templates stay readable: no line over 160 characters (the restructuring issue's limit; aim for 120)."""
from __future__ import annotations

from pathlib import Path

import pytest

import portal

if getattr(portal, "__file__", None) is None:  # a mutation run's mutants/ tree holds only the mutated part of portal/
    pytest.skip("the template check needs the whole portal package, not a partial copy", allow_module_level=True)

LIMIT = 160
TEMPLATES = Path(portal.__file__).parent / "templates"


def long_lines(root: Path = TEMPLATES, limit: int = LIMIT) -> list[str]:
    """`file:line:length` of each template line longer than `limit` characters."""
    found = []
    for path in sorted(root.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if len(line) > limit:
                found.append(f"{path.relative_to(root)}:{number}:{len(line)}")
    return found


def test_no_template_line_is_over_160_characters():
    offenders = long_lines()
    assert not offenders, f"{len(offenders)} template lines over {LIMIT} characters:\n" + "\n".join(offenders)


def test_the_check_names_file_line_and_length(tmp_path):
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "page.html").write_text("short\n" + "x" * 161 + "\n" + "y" * 160 + "\n")
    assert long_lines(tmp_path) == ["area/page.html:2:161"]
