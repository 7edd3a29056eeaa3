"""A problem with one line of a document: the summary above the editor names the line ("Line 2: …"), and the
line's row shows the same problem beside the boxes it is about."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# the fields of a line (services.documents.LineInput) a problem can be about
JOB, BILL_CODE, SERVICE_DATE, DESCRIPTION = "job_id", "bill_code_id", "service_date", "description"
QUANTITY, RATE, PO = "quantity", "rate", "explicit_po_id"


@dataclass(frozen=True)
class LineProblem:
    """`line`: the line's number as the editor counts its lines (from 1, blank rows skipped); `fields`: the
    line's fields it is about, the first being where the row shows it; `text`: what to do, without the number."""

    line: int
    fields: tuple[str, ...]
    text: str

    @property
    def message(self) -> str:
        """The summary's words, naming the line: "Line 2: choose an active bill code."."""
        return f"Line {self.line}: {self.text}"

    @property
    def beside(self) -> str:
        """The words beside the line's boxes, where the line goes without saying: "Choose an active bill code."."""
        return self.text[:1].upper() + self.text[1:]


def amount_fields(quantity, rate) -> tuple[str, ...]:
    """The boxes an amount problem is about: those holding no number, or both when each holds one."""
    missing = tuple(f for f, value in ((QUANTITY, quantity), (RATE, rate)) if value is None)
    return missing or (QUANTITY, RATE)


def by_line(problems: Iterable[LineProblem]) -> dict[int, tuple[LineProblem, ...]]:
    """Each line's problems, in the order they were found."""
    lines: dict[int, list[LineProblem]] = {}
    for problem in problems:
        lines.setdefault(problem.line, []).append(problem)
    return {line: tuple(found) for line, found in lines.items()}
