"""Customer purchase order rules (seeds 001, 003, 004 as DESIGN.md reconciles them). Pure: no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from portal.domain import formatting
from portal.domain.numbers import AMOUNT, PERCENT, column_problem, parse_number
from portal.domain.text import INVISIBLE_MESSAGE, has_invisible_characters

MAX_MONEY = AMOUNT.largest
KINDS = {"single_line": "Single line", "multi_line": "Multi-line", "multi_line_master": "Multi-line master"}
MASTER = "multi_line_master"  # the kind whose lines hold budgets of their own


@dataclass(frozen=True)
class LineInput:
    budget: Decimal | None
    bill_code_group_id: int | None
    secondary_po_number: str
    description: str = ""


@dataclass(frozen=True)
class POInput:
    number: str
    kind: str
    effective: date | None
    expiration: date | None
    amount: Decimal | None
    description: str = ""
    notes: str = ""
    tolerance_pct: Decimal | None = None
    group_id: int | None = None
    alert_template_id: int | None = None
    document_type_ids: tuple[int, ...] = ()
    lines: tuple[LineInput, ...] = ()


@dataclass(frozen=True)
class Period:
    """Another PO of the same group, or of the same number, as the rules need it."""

    po_id: int
    number: str
    effective: date
    expiration: date
    document_type_ids: frozenset[int] = field(default_factory=frozenset)


def parse_money(text: str | None) -> Decimal | None:
    """'1,234.50' -> Decimal('1234.50'); None when blank or not a number (see numbers.parse_number)."""
    return parse_number(text)


def money_errors(value: Decimal | None, label: str = "amount", *, required: bool = True) -> list[str]:
    """An amount must be a number > 0 with at most two decimals and fit NUMERIC(14,2)."""
    if value is None:
        return [f"Enter the {label} as a number, e.g. 10000.00."] if required else []
    if value <= 0:
        return [f"The {label} must be more than zero."]
    problem = column_problem(value, replace(AMOUNT, label=label))
    return [problem] if problem else []


def days_in_common(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    """Days two inclusive date ranges share (0: no overlap). A PO ending on the 10th and one
    starting on the 10th share one day."""
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (end - start).days + 1 if end >= start else 0


def group_overlaps(effective: date, expiration: date, others: list[Period]) -> list[str]:
    """Seed 004: the POs of a group may not overlap in dates; name each clash and its days."""
    messages = []
    for other in sorted(others, key=lambda p: p.effective):
        shared = days_in_common(effective, expiration, other.effective, other.expiration)
        if shared:
            first, last = max(effective, other.effective), min(expiration, other.expiration)
            span = f"{first.isoformat()}" if first == last else f"{first.isoformat()} to {last.isoformat()}"
            messages.append(f"Overlaps PO {other.number} ({other.effective.isoformat()} to "
                            f"{other.expiration.isoformat()}) on {shared} day{'s' if shared != 1 else ''}: {span}.")
    return messages


def number_clashes(document_type_ids: frozenset[int], same_number: list[Period], type_names: dict[int, str]) -> list[str]:
    """A PO number repeats for one debtor only across disjoint eligible document types (seed 001)."""
    messages = []
    for other in same_number:
        shared = document_type_ids & other.document_type_ids
        if shared:
            names = ", ".join(sorted(type_names.get(t, str(t)) for t in shared))
            messages.append(f"PO number {other.number} is already used for {names}: the same number may repeat "
                            f"only for other document types.")
    return messages


def types_still_used(document_type_ids: frozenset[int], used: dict[int, int],
                     type_names: dict[int, str]) -> list[str]:
    """Eligible document types may not be narrowed away from the types of documents on the PO (`used`: document
    type -> how many draft or posted documents have a line on it; credit memos skip eligibility and are left
    out): such a document would stay on a PO not eligible for its type. None ticked means every type."""
    gone = sorted((type_names.get(t, str(t)), n) for t, n in used.items() if n and t not in document_type_ids)
    if not gone:
        return []
    listed = ", ".join(f"{name} ({formatting.plural(n, 'document')})" for name, n in gone)
    return [f"Documents on this PO use {listed}: keep {'that type' if len(gone) == 1 else 'these types'} eligible "
            "while they are on it."]


def master_amount(lines: tuple[LineInput, ...] | list[LineInput]) -> Decimal:
    """A master PO's amount is the sum of its line budgets (shown, never typed)."""
    return sum((line.budget or Decimal("0") for line in lines), Decimal("0"))


@dataclass(frozen=True)
class LinesTotal:
    """The master PO's amount as the line editor shows it while lines are typed."""

    amount: Decimal | None  # None: a budget would be refused, so there is no amount to show yet
    problems: tuple[str, ...]  # why, per line ("Line 2: The budget may have at most two decimals.")
    count: int


def lines_total(lines: tuple[LineInput, ...] | list[LineInput]) -> LinesTotal:
    """The sum of the line budgets, or no figure while any budget would be refused on saving: a
    rounded sum (1000.005 shown as 1,000.00) would show an amount the PO can never have."""
    problems = tuple(f"Line {n}: {m}" for n, line in enumerate(lines, start=1)
                     for m in money_errors(line.budget, "budget"))
    return LinesTotal(None if problems else master_amount(lines), problems, len(lines))


def validate(data: POInput, *, known_type_ids: set[int], known_group_ids: set[int]) -> dict[str, list[str]]:
    """Field errors for a PO (date order, amount, tolerance, kind, lines); empty when valid."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.number.strip():
        add("number", "Enter the PO number.")
    elif len(data.number.strip()) > 50:
        add("number", "Use at most 50 characters.")
    elif has_invisible_characters(data.number):
        add("number", INVISIBLE_MESSAGE)
    if data.kind not in KINDS:
        add("kind", "Choose single line, multi-line or multi-line master.")
    if data.effective is None:
        add("effective", "Enter the effective date (YYYY-MM-DD).")
    if data.expiration is None:
        add("expiration", "Enter the expiration date (YYYY-MM-DD).")
    if data.effective and data.expiration and data.expiration < data.effective:
        add("expiration", "The expiration date must be on or after the effective date.")
    if data.tolerance_pct is not None and not (Decimal("0") <= data.tolerance_pct <= Decimal("100")):
        add("tolerance_pct", "The tolerance must be between 0 and 100 percent (or blank for no warning).")
    elif data.tolerance_pct is not None and (problem := column_problem(data.tolerance_pct, replace(PERCENT, label="tolerance"))):
        add("tolerance_pct", problem)
    if len(data.description) > 200:
        add("description", "Use at most 200 characters.")
    if len(data.notes) > 10_000:
        add("notes", "Use at most 10,000 characters.")
    unknown = set(data.document_type_ids) - known_type_ids
    if unknown:
        add("document_type_ids", "Choose document types from the list.")
    if data.kind == "multi_line_master":
        for message in line_errors(data.lines, known_group_ids):
            add("lines", message)
        if not errors.get("lines"):
            for message in money_errors(master_amount(data.lines), "total of the line budgets"):
                add("lines", message)
    else:
        for message in money_errors(data.amount):
            add("amount", message)
    return errors


def line_errors(lines: tuple[LineInput, ...] | list[LineInput], known_group_ids: set[int]) -> list[str]:
    """Each master line: a budget > 0, a known bill code group used once, a secondary PO number of its own
    (seed 003: each line is tracked against a separate, secondary purchase order; compared without case or
    surrounding spaces), a description of at most 200 characters."""
    if not lines:
        return ["Add at least one line: a master PO's amount is the sum of its lines."]
    messages = []
    seen: set[int] = set()
    numbers: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        for m in money_errors(line.budget, "budget"):
            messages.append(f"Line {n}: {m}")
        if line.bill_code_group_id is None or line.bill_code_group_id not in known_group_ids:
            messages.append(f"Line {n}: choose a bill code group from the list.")
        elif line.bill_code_group_id in seen:
            messages.append(f"Line {n}: that bill code group is already on another line.")
        else:
            seen.add(line.bill_code_group_id)
        if not line.secondary_po_number.strip():
            messages.append(f"Line {n}: enter the secondary PO number.")
        elif len(line.secondary_po_number.strip()) > 50:
            messages.append(f"Line {n}: the secondary PO number may have at most 50 characters.")
        elif (first := numbers.setdefault(line.secondary_po_number.strip().upper(), n)) != n:
            messages.append(f"Line {n}: secondary PO number {line.secondary_po_number.strip()} is already line "
                            f"{first}'s: each line is its own secondary PO.")
        if len(line.description.strip()) > 200:
            messages.append(f"Line {n}: the description may have at most 200 characters.")
    return messages


def bill_code_clashes(lines: list[tuple[int, set[str]]]) -> list[str]:
    """No bill code may sit in two lines of one PO; `lines` is (line number, its group's codes)."""
    messages = []
    for i, (n1, codes1) in enumerate(lines):
        for n2, codes2 in lines[i + 1:]:
            for code in sorted(codes1 & codes2):
                messages.append(f"Bill code {code} would be in lines {n1} and {n2}.")
    return messages


def is_current_or_future(expiration: date, today: date) -> bool:
    """Seed 004's default filter: POs not yet expired."""
    return expiration >= today


def assignment_start(effective: date, today: date) -> date:
    """Jobs assigned to a PO from its page start on its effective date, or today if that has passed."""
    return max(effective, today)


def has_tab(kind: str, tab: str) -> bool:
    """A PO's page shows Lines only on a multi-line master and Spend by bill code only on a multi-line PO."""
    if tab == "lines":
        return kind == "multi_line_master"
    if tab == "spend":
        return kind == "multi_line"
    return True


def cut_below_drawn(old_amount: Decimal, new_amount: Decimal, used: Decimal, commitments: Decimal,
                    policy: str) -> str | None:
    """Under the block policy an amount may not be cut below Used + Commitments (what posting itself
    would refuse to reach); raising it, or any change under warn, is fine. None: allowed."""
    drawn = used + commitments
    if policy != "block" or new_amount >= old_amount or new_amount >= drawn:
        return None
    return (f"The debtor blocks over-budget postings: the amount cannot be cut below Used + Commitments "
            f"({formatting.money(drawn)}).")
