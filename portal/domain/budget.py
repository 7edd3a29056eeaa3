"""PO budgets (seed 001's columns, DESIGN.md's measures and posting rules). Pure: no I/O."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from portal.domain import formatting, numbers

CENT = Decimal("0.01")
ZERO = Decimal("0")
MAX_AMOUNT = numbers.AMOUNT.largest


class BudgetError(Exception):
    """A rule refuses the posting; the message says why."""


def money(value) -> Decimal:
    """Round half-up to cents (0.005 -> 0.01, -0.005 -> -0.01)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, rate: Decimal) -> Decimal:
    """A line's amount = quantity × rate, rounded half-up to cents; must fit NUMERIC(14,2)."""
    try:
        return numbers.line_amount(quantity, rate)
    except numbers.OutOfRange as exc:
        raise BudgetError(str(exc)) from None


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    used: Decimal = ZERO
    commitments: Decimal = ZERO
    estimates: Decimal = ZERO
    # how a warning names it ("PO 4500 line 2 (EXP-1)"); keyword-only: subclasses' fields follow positionally
    name: str = field(default="", compare=False, kw_only=True)

    @classmethod
    def of(cls, amount: Decimal, row, name: str = "") -> "Balance":
        """From a stored balance row (anything with used, commitments, estimates); None: nothing drawn."""
        return cls(amount, name=name) if row is None else cls(amount, row.used, row.commitments, row.estimates,
                                                              name=name)

    @property
    def subtotal(self) -> Decimal:
        """Subtotal = Used + Commitments + Estimates."""
        return self.used + self.commitments + self.estimates

    @property
    def net_remaining(self) -> Decimal:
        """Net Remaining = PO Amount − Subtotal (negative when the PO is over budget)."""
        return self.amount - self.subtotal

    @property
    def net_unused(self) -> Decimal:
        """Net Unused = PO Amount − Used (commitments and estimates not yet taken off)."""
        return self.amount - self.used

    def plus(self, bucket: str, amount: Decimal) -> "Balance":
        """This balance with `amount` added to one bucket (used, commitment or estimate)."""
        if bucket == "used":
            return replace(self, used=self.used + amount)
        if bucket == "commitment":
            return replace(self, commitments=self.commitments + amount)
        if bucket == "estimate":
            return replace(self, estimates=self.estimates + amount)
        raise ValueError(f"unknown bucket {bucket!r}")


def not_on_any_line(po: Balance, lines: list[Balance]) -> Balance:
    """A master PO's consumption covered by none of its lines (bill codes no line holds): the PO's
    figures less the sum of its lines', so that PO = lines + not on any line, bucket by bucket."""
    return Balance(po.amount - sum((l.amount for l in lines), ZERO),
                   po.used - sum((l.used for l in lines), ZERO),
                   po.commitments - sum((l.commitments for l in lines), ZERO),
                   po.estimates - sum((l.estimates for l in lines), ZERO))


def tolerance_mark(amount: Decimal, tolerance_pct: Decimal | None) -> Decimal | None:
    """Seed 001: the Subtotal at which a PO turns yellow, tolerance % × Amount (None: no tolerance)."""
    return None if tolerance_pct is None else amount * tolerance_pct / 100


def colour(balance: Balance, tolerance_pct: Decimal | None) -> str | None:
    """Seed 001: red when Subtotal > Amount; yellow when Subtotal ≥ tolerance % × Amount."""
    if balance.subtotal > balance.amount:
        return "red"
    mark = tolerance_mark(balance.amount, tolerance_pct)
    if mark is not None and balance.subtotal >= mark:
        return "yellow"
    return None


@dataclass(frozen=True)
class Entry:
    """One ledger movement: `line` is the document line's key, `bucket` the balance column."""

    line: int
    po_id: int
    po_line_id: int | None
    bucket: str
    amount: Decimal


def posting_entries(lines: list[tuple[int, int, int | None, Decimal]], bucket: str, sign: int) -> list[Entry]:
    """Posting draws each funded line on its bucket (credit memos negative on `used`)."""
    return [Entry(line, po, po_line, bucket, money(amount) * sign) for line, po, po_line, amount in lines if po]


def reversal(entries: list[Entry]) -> list[Entry]:
    """Exactly what was drawn, taken back (voiding an open estimate or order)."""
    totals: dict[tuple, Decimal] = {}
    for e in entries:
        key = (e.line, e.po_id, e.po_line_id, e.bucket)
        totals[key] = totals.get(key, ZERO) + e.amount
    return [Entry(line, po, pl, bucket, -amount) for (line, po, pl, bucket), amount in totals.items() if amount]


def release(open_commitment: Decimal, invoiced: Decimal, *, completes: bool = False) -> Decimal:
    """Invoicing from an order releases its commitment by the amount invoiced, never below zero; the
    invoice that takes the last of the line's ordered quantity (`completes`) releases all that is left, the
    cents its partial invoices' rounding left behind included (the order is no longer open)."""
    if completes:
        return max(open_commitment, ZERO)
    return min(max(open_commitment, ZERO), max(invoiced, ZERO))


QUANTITY_STEP = Decimal("0.0001")


def quantity_within(amount_left: Decimal, rate: Decimal, most: Decimal) -> Decimal:
    """The largest quantity (to four places, at most `most`) whose line amount, quantity × rate rounded
    half-up to cents, is no more than `amount_left`: a credit memo's default for the rest of an invoice
    line (185.18 left at 123.4567 is 1.4999 = 185.17: 1.5 would be 185.19, more than is left)."""
    left = amount_left.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if rate <= 0 or left <= 0 or most <= 0:
        return ZERO
    # quantity × rate < left + ½ cent rounds to at most left; the quotient, cut to four places, is below
    # that or (the one step back) exactly on it
    quantity = min(most, ((left + Decimal("0.005")) / rate).quantize(QUANTITY_STEP, rounding=ROUND_DOWN))
    if line_amount(quantity, rate) > left:
        quantity -= QUANTITY_STEP
    return max(quantity, ZERO)


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    blocks: bool = False  # refused under the block policy (unless overridden)
    forbids: bool = False  # refused whatever the policy, no override (a credit past what was drawn)


@dataclass(frozen=True)
class LineCheck:
    """What the posting check needs to know of one line."""

    po_id: int | None
    po_number: str | None
    po_line_id: int | None
    amount: Decimal
    service_date: date
    effective: date | None = None
    expiration: date | None = None
    eligible: bool = True
    covered: bool = True  # a master PO line holds the bill code
    bill_code: str = ""
    named: bool = False  # the PO was named on the line (only an eligible one may be), not found for its job
    job_number: str = ""
    discontinued: date | None = None  # the line's job's discontinued date
    # a line on no PO whose typed number (`po_number`) is the number of one of the debtor's POs: that PO's number
    # (typed before the PO existed; typing one now is refused), and whether the job's on-the-fly reference carries it
    typed_po: str | None = None
    typed_on_job: bool = False


@dataclass
class PostingCheck:
    warnings: list[Warning] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Whether any warning blocks the posting (a block policy, short of an override)."""
        return any(w.blocks for w in self.warnings)

    @property
    def forbidden(self) -> bool:
        """Refused outright: no policy and no override lets it through."""
        return any(w.forbids for w in self.warnings)

    def seen(self, *context) -> str:
        """A short digest of these warnings and of `context` (a draft's version): a check page carries it, so
        a confirmation or an override counts only for the check the user read, not for what a change to the
        draft or to its POs made of it since."""
        text = "\n".join([repr(context)] + [f"{w.code}|{w.blocks}|{w.forbids}|{w.message}" for w in self.warnings])
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _fmt(value: Decimal) -> str:
    return formatting.money(value)


def _block_figure(after: Balance) -> str:
    """The figure the block policy decides on (estimates left out), quoted when it refuses."""
    drawn = after.used + after.commitments
    return (f" Blocked: Used + Commitments with this document come to {_fmt(drawn)} of {_fmt(after.amount)} "
            f"(over by {_fmt(drawn - after.amount)}); estimates do not count toward the block.")


def _typed_po_warning(n: int, line: LineCheck, block: bool) -> Warning:
    """A line billed under one of the debtor's PO numbers, typed free-text, that draws on no budget (DESIGN.md:
    a typed number draws on none): the PO's Used does not move while the spend report counts the line under its
    number. Under the block policy it is refused, as a charge no master line covers is: the block stands for "no
    money past the PO without an override", and a line carrying the PO's number would pass it unseen."""
    where, remedy = ((f"job {line.job_number}'s on-the-fly PO number", "assign the PO to the job")
                     if line.typed_on_job else ("the PO number typed on the document", "choose the PO on the line"))
    return Warning("typed_po", f"Line {n}: {line.po_number}, {where}, is the number of PO {line.typed_po}, but the "
                               f"line draws on no budget: PO {line.typed_po}'s Used does not move. To draw on it, "
                               f"{remedy}."
                   + (" Blocked: the block policy refuses a line billed under one of the debtor's PO numbers that "
                      "draws on no budget." if block else ""), block)


def evaluate(lines: list[LineCheck], balances: dict[int, Balance], line_balances: dict[int, Balance], *,
             bucket: str, sign: int, policy: str, enforce_pos: bool, tolerances: dict[int, Decimal | None],
             releases: dict[int, Decimal] | None = None, moved_out: dict[int, Decimal] | None = None,
             line_moved_out: dict[int, Decimal] | None = None,
             line_releases: dict[int, Decimal] | None = None, type_name: str = "this document type") -> PostingCheck:
    """Every warning of seed 001 and DESIGN.md's measures for posting these lines.

    Over the PO: Subtotal after posting > Amount (and per master line). Block policy: refused when
    Used + Commitments + this document > Amount (estimates warn, never block). Credit memos skip
    eligibility, date and block checks. `moved_out` / `line_moved_out`: what a reassignment takes off
    a PO / master line that is also its target (moving between lines of one PO adds nothing to it).
    `releases` / `line_releases`: the commitment an invoice releases from its orders, per PO / line.
    `type_name`: the document's type, as the eligibility warning names it (a contract's order: the user
    chose no type). A line on no PO whose typed number names one of the debtor's POs (`typed_po`) warns, and
    blocks under the block policy (_typed_po_warning).
    """
    check = PostingCheck()
    block = policy == "block" and bucket != "estimate" and sign > 0
    credit = sign < 0
    add = check.warnings.append
    by_po: dict[int, Decimal] = {p: -a for p, a in (moved_out or {}).items()}
    by_line: dict[int, Decimal] = {l: -a for l, a in (line_moved_out or {}).items()}
    for n, line in enumerate(lines, start=1):
        if line.po_id is None:
            if enforce_pos and not credit:
                add(Warning("no_po", f"Line {n}: no PO funds it, and the debtor enforces purchase orders.", block))
            if line.typed_po and not credit:
                add(_typed_po_warning(n, line, block))
            continue
        by_po[line.po_id] = by_po.get(line.po_id, ZERO) + line.amount * sign
        if line.po_line_id:
            by_line[line.po_line_id] = by_line.get(line.po_line_id, ZERO) + line.amount * sign
        if credit:
            continue
        if not line.eligible:
            # found for the job (its assignment's PO has no twin eligible for the type): a warning; named on
            # the line: refused, as the editor refuses it (a draft saved before the PO's types changed)
            add(Warning("not_eligible", f"Line {n}: PO {line.po_number} is not eligible for {type_name}"
                        + (": choose a PO eligible for this document type." if line.named else "."),
                        line.named, line.named))
        if line.effective and line.expiration and not (line.effective <= line.service_date <= line.expiration):
            add(Warning("outside_dates", f"Line {n}: service date {line.service_date.isoformat()} is outside PO "
                                         f"{line.po_number}'s dates ({line.effective.isoformat()} to "
                                         f"{line.expiration.isoformat()})."))
        if line.discontinued is not None and line.service_date > line.discontinued:
            # the job's assignment still funds the line (DESIGN's resolution); a job billed past its end is
            # usually a wrong date or a wrong job, so it is shown before posting, as a date outside the PO is
            add(Warning("job_discontinued", f"Line {n}: job {line.job_number} was discontinued on "
                                            f"{line.discontinued.isoformat()}, before the service date "
                                            f"{line.service_date.isoformat()}; the line still draws on PO "
                                            f"{line.po_number}."))
        if not line.covered:
            add(Warning("not_covered", f"Line {n}: bill code {line.bill_code} is on no line of master PO "
                                       f"{line.po_number}, so it draws on the PO's \"not on any line\".",
                        policy == "block"))
    numbers = {l.po_id: l.po_number for l in lines if l.po_id}
    for po_id, delta in by_po.items():
        before = balances[po_id]
        after = before.plus(bucket, delta).plus("commitment", -(releases or {}).get(po_id, ZERO))
        if after.subtotal > after.amount and delta > 0:
            blocks = block and after.used + after.commitments > after.amount
            add(Warning("over_po", f"PO {numbers[po_id]} would be over its amount by {_fmt(after.subtotal - after.amount)} "
                                   f"(Subtotal {_fmt(after.subtotal)} of {_fmt(after.amount)})."
                                   + (_block_figure(after) if blocks else ""), blocks))
        tol = tolerances.get(po_id)
        if tol is not None and delta > 0 and after.subtotal >= after.amount * tol / 100 > before.subtotal:
            add(Warning("tolerance", f"PO {numbers[po_id]} reaches its {tol.normalize():f}% tolerance "
                                     f"(Subtotal {_fmt(after.subtotal)} of {_fmt(after.amount)})."))
        if credit and after.used < ZERO:
            add(Warning("credit_floor", f"PO {numbers[po_id]}: the credit would take Used below zero.", True, True))
    for line_id, delta in by_line.items():
        before = line_balances.get(line_id)
        if before is None:
            continue
        after = before.plus(bucket, delta).plus("commitment", -(line_releases or {}).get(line_id, ZERO))
        if delta > 0 and after.subtotal > after.amount:
            blocks = block and after.used + after.commitments > after.amount
            add(Warning("over_line", f"{after.name or 'A master line'} would be over its budget by "
                                     f"{_fmt(after.subtotal - after.amount)} (Subtotal {_fmt(after.subtotal)} of "
                                     f"{_fmt(after.amount)})."
                                     + (_block_figure(after) if blocks else ""), blocks))
    return check


def crossed_thresholds(before_subtotal: Decimal, after_subtotal: Decimal, amount: Decimal,
                       thresholds: list[Decimal], fired: set[Decimal]) -> tuple[list[Decimal], list[Decimal]]:
    """Alert thresholds to fire now (Subtotal ≥ t% × Amount, once per PO and threshold) and to
    re-arm (Subtotal fell back below a fired one)."""
    fire, rearm = [], []
    for t in sorted(thresholds):
        level = amount * t / 100
        if after_subtotal >= level and t not in fired:
            fire.append(t)
        elif after_subtotal < level and t in fired:
            rearm.append(t)
    return fire, rearm


def expiring(expiration: date, today: date, days_before: int | None) -> bool:
    """'Expires in N days': due once today is within N days of the expiration (and not past it)."""
    return days_before is not None and today <= expiration and (expiration - today).days <= days_before
