"""Scheduled work and the unscheduled balance (seed 000). Pure: no Flask, no SQLAlchemy.

A contract records only what the client has scheduled against a PO (its deliveries, posted as a
Sales Order: a commitment on the PO). What the PO leaves over is not unscheduled work but an
opportunity owned by the relationship lead: PO Amount − Used − Commitments, computed from the
PO's balance row, never typed. The contract's notes tell the story, one dated line per change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain import formatting
from portal.domain.budget import MAX_AMOUNT, BudgetError, line_amount

ZERO = Decimal("0")
OPEN, WON, LOST, EXPIRED = "open", "won", "lost", "expired"
STATUSES = (OPEN, WON, LOST, EXPIRED)
NOTE_KINDS = ("opening", "scheduled", "cancelled", "po_amount", "manual", "status")
MAX_DELIVERIES = 200
MAX_NOTE = 2000
MAX_REASON = 500


class ContractRuleError(Exception):
    """A rule refuses the change; the message says why (shown to the user as it is)."""


def amount_text(value: Decimal) -> str:
    """150000 -> '150,000.00' (the notes' figures; negative with a minus sign)."""
    return f"{Decimal(value).quantize(Decimal('0.01')):,.2f}"


@dataclass(frozen=True)
class POFigures:
    """What the unscheduled balance is made of: the PO's amount and its Used and Commitments."""

    amount: Decimal
    used: Decimal = ZERO
    commitments: Decimal = ZERO

    @property
    def unscheduled(self) -> Decimal:
        """Seed 000's balance: PO Amount − Used − Commitments (estimates are not scheduled work)."""
        return self.amount - self.used - self.commitments

    def scheduling(self, amount: Decimal) -> "POFigures":
        """After posting `amount` more as a commitment (negative: cancelled)."""
        return POFigures(self.amount, self.used, self.commitments + amount)

    def invoicing(self, amount: Decimal) -> "POFigures":
        """Invoicing from the order moves commitment into Used: the balance does not change."""
        return POFigures(self.amount, self.used + amount, self.commitments - amount)

    def with_amount(self, amount: Decimal) -> "POFigures":
        """The same PO figures after a PO amount change (Used and Commitments kept)."""
        return POFigures(amount, self.used, self.commitments)


@dataclass(frozen=True)
class Delivery:
    """A scheduled class or session: its product (bill code), date, description, quantity and rate."""

    bill_code_id: int | None
    delivery_date: date | None
    description: str
    quantity: Decimal | None
    rate: Decimal | None


def delivery_amounts(deliveries: list[Delivery] | tuple[Delivery, ...]) -> tuple[list[Decimal], list[str]]:
    """Each delivery's amount (quantity × rate, half-up to cents) and the messages that refuse
    the lot: nothing to schedule, a zero or negative quantity, rate or amount, a missing date."""
    errors: list[str] = []
    amounts: list[Decimal] = []
    if not deliveries:
        return [], ["Add at least one delivery (date, description, quantity and rate)."]
    if len(deliveries) > MAX_DELIVERIES:
        return [], [f"Schedule at most {MAX_DELIVERIES} deliveries at once."]
    for n, d in enumerate(deliveries, start=1):
        if d.bill_code_id is None:
            errors.append(f"Delivery {n}: choose the product (bill code).")
        if d.delivery_date is None:
            errors.append(f"Delivery {n}: enter the date (YYYY-MM-DD).")
        if not d.description.strip():
            errors.append(f"Delivery {n}: describe the class or session.")
        elif len(d.description) > 300:
            errors.append(f"Delivery {n}: the description may have at most 300 characters.")
        if d.quantity is None or d.rate is None:
            errors.append(f"Delivery {n}: enter the quantity and rate as numbers.")
            continue
        if d.quantity <= 0 or d.rate <= 0:
            errors.append(f"Delivery {n}: the quantity and rate must be more than zero.")
            continue
        try:
            amount = line_amount(d.quantity, d.rate)
        except BudgetError as exc:
            errors.append(f"Delivery {n}: {exc}")
            continue
        if amount <= 0:
            errors.append(f"Delivery {n}: the amount rounds to zero; schedule at least 0.01.")
            continue
        amounts.append(amount)
    if not errors and sum(amounts, ZERO) > MAX_AMOUNT:
        errors.append("The deliveries add up to more than 999,999,999,999.99.")
    return amounts, errors


def opening_note(po_number: str, figures: POFigures, scheduled: Decimal) -> str:
    """The contract's first note (seed 000 step 2): the PO amount, the amount scheduled and the balance."""
    return (f"PO {po_number}: PO amount {amount_text(figures.amount)}; scheduled {amount_text(scheduled)}; "
            f"balance {amount_text(figures.unscheduled)}")


def scheduled_note(day: date, added: Decimal, figures: POFigures) -> str:
    """Seed 000 step 4: the date classes were added and the PO dollars remaining."""
    return (f"{day.isoformat()}: classes added {amount_text(added)}; "
            f"PO balance remaining {amount_text(figures.unscheduled)}")


def cancelled_note(day: date, cancelled: Decimal, figures: POFigures, credited: Decimal = ZERO) -> str:
    """Cancelled deliveries give their value back to the opportunity; `credited`: what the credit memos of
    deliveries invoiced and credited in full had given back before (not given back again)."""
    before = f" (invoiced and credited before: {amount_text(credited)})" if credited > 0 else ""
    return (f"{day.isoformat()}: classes cancelled {amount_text(cancelled)}{before}; "
            f"PO balance remaining {amount_text(figures.unscheduled)}")


def credited_note(day: date, credited: Decimal, figures: POFigures) -> str:
    """A credit memo against invoices of the contract's deliveries gives that value back to the opportunity."""
    return (f"{day.isoformat()}: invoiced classes credited {amount_text(credited)}; "
            f"PO balance remaining {amount_text(figures.unscheduled)}")


@dataclass(frozen=True)
class InvoicedLine:
    """An invoice line made from an order line, as its posting moved the POs: it draws `amount` on `po_id`
    and releases `released` of the order line's commitment on `order_po_id`. `taken`: the quantity invoiced from
    the order line with this one."""

    invoice: str
    order: str
    order_line_no: int
    po_id: int | None
    po_number: str | None
    order_po_id: int
    ordered: Decimal
    taken: Decimal
    ordered_rate: Decimal
    rate: Decimal
    amount: Decimal
    released: Decimal

    def moves(self, po_id: int) -> Decimal:
        """What this line took off `po_id`'s unscheduled balance: its Used there less the commitment it released
        there (zero for a line billed as ordered, on the order's PO)."""
        return (self.amount if self.po_id == po_id else ZERO) - (self.released if self.order_po_id == po_id else ZERO)

    def why(self) -> str:
        """Why the line moved the balance: it billed another rate than its order line, more than was ordered, or
        on another PO than the order's; otherwise what it billed and released (the cents of partial invoices)."""
        line = f"{self.order} line {self.order_line_no}"
        reasons = []
        if self.rate != self.ordered_rate:
            reasons.append(f"{self.invoice} billed {formatting.rate(self.rate)} where {line} ordered "
                           f"{formatting.rate(self.ordered_rate)}")
        if self.taken > self.ordered:
            reasons.append(f"{self.invoice} invoiced {formatting.quantity(self.taken)} of {line}, which ordered "
                           f"{formatting.quantity(self.ordered)}")
        if self.po_id != self.order_po_id:
            where = f"PO {self.po_number}" if self.po_id else "no PO"
            reasons.append(f"{self.invoice} drew on {where} where {line} was ordered")
        return "; ".join(reasons) or (f"{self.invoice} billed {amount_text(self.amount)} and released "
                                      f"{amount_text(self.released)} of {line}")


def invoiced_note(day: date, po_id: int, lines: list[InvoicedLine], figures: POFigures) -> str | None:
    """Invoices of the contract's classes move the opportunity only when they bill other than was scheduled (another
    rate, more than was ordered, another PO): the dated note says by how much, why, and the balance now; None
    when they moved nothing (invoicing as ordered moves commitment into Used)."""
    moving = [line for line in lines if line.moves(po_id)]
    moved = sum((line.moves(po_id) for line in moving), ZERO)
    if not moved:
        return None
    how = "more" if moved > 0 else "less"
    return (f"{day.isoformat()}: invoiced classes drew {amount_text(abs(moved))} {how} than was scheduled "
            f"({'; '.join(line.why() for line in moving)}); PO balance remaining {amount_text(figures.unscheduled)}")


def reassigned_note(day: date, invoice: str, line_nos: list[int], target: str, moved: Decimal,
                    figures: POFigures) -> str:
    """Invoice lines reassigned off the contract's PO (`moved` negative: Used taken off it, given back to the
    opportunity) or onto it (positive), with the balance now."""
    lines = f"{invoice} line{'s' if len(line_nos) > 1 else ''} {', '.join(str(n) for n in sorted(line_nos))}"
    where = f"off this PO to PO {target}" if moved < 0 else "onto this PO"
    return (f"{day.isoformat()}: {lines} reassigned: {amount_text(abs(moved))} invoiced moved {where}; "
            f"PO balance remaining {amount_text(figures.unscheduled)}")


def amount_changed_note(old: Decimal, new: Decimal, figures: POFigures) -> str:
    """A PO amount change, with the balance the opportunity now follows."""
    return f"PO amount changed {amount_text(old)} → {amount_text(new)}; balance {amount_text(figures.unscheduled)}"


def status_note(day: date, status: str, reason: str = "") -> str:
    """The opportunity's history note for a status change on `day`, with the reason when one was given."""
    words = {OPEN: "opportunity reopened", WON: "opportunity won: the PO balance is fully scheduled",
             LOST: "opportunity lost", EXPIRED: "opportunity expired with the PO"}
    text = f"{day.isoformat()}: {words[status]}"
    return f"{text} ({reason})" if reason else text


def po_current(effective: date, expiration: date, today: date) -> bool:
    """Whether the PO can still be scheduled against (not expired; a future PO counts as current)."""
    return today <= expiration


def automatic_status(status: str, balance: Decimal, current: bool) -> str:
    """The status the opportunity moves to by itself after its balance or its PO changed.

    open → won when the balance reaches zero; open → expired when the PO expires; won or expired
    → open again when value comes back while the PO is current. Lost is a person's decision and
    stays until someone reopens it.
    """
    if status == OPEN:
        if not current:
            return EXPIRED
        return WON if balance <= 0 else OPEN
    if status in (WON, EXPIRED):
        return OPEN if current and balance > 0 else status
    return status


def check_lose(status: str, reason: str) -> str:
    """Only an open opportunity is lost, and always with a reason (kept in its history)."""
    reason = (reason or "").strip()
    if status != OPEN:
        raise ContractRuleError(f"Only an open opportunity can be marked lost; this one is {status}.")
    if not reason:
        raise ContractRuleError("Say why the opportunity is lost.")
    if len(reason) > MAX_REASON:
        raise ContractRuleError(f"Keep the reason to {MAX_REASON} characters.")
    return reason


def check_reopen(status: str, balance: Decimal, current: bool) -> None:
    """A lost (or won, or expired) opportunity reopens only while its PO is current and has a balance."""
    if status == OPEN:
        raise ContractRuleError("The opportunity is already open.")
    if not current:
        raise ContractRuleError("The PO has expired: extend it before reopening the opportunity.")
    if balance <= 0:
        raise ContractRuleError("Nothing is left unscheduled on the PO, so there is nothing to reopen.")


def check_note(text: str) -> str:
    """A contract note as kept: trimmed, refused when blank or over MAX_NOTE characters."""
    text = (text or "").strip()
    if not text:
        raise ContractRuleError("Write the note.")
    if len(text) > MAX_NOTE:
        raise ContractRuleError(f"Keep a note to {MAX_NOTE} characters.")
    return text

