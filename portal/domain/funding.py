"""Which PO funds a document line, once the job's PO for the day is known (DESIGN.md "Resolution").
Pure: the service loads the candidates, these functions choose."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One of the debtor's POs, as the choice needs it."""

    po_id: int
    number_key: str
    eligible_type_ids: frozenset[int]


def eligible_po(assigned: Candidate, same_debtor: list[Candidate], type_id: int) -> tuple[Candidate, bool]:
    """The PO of the assigned PO's number that is eligible for the document type (seed 001's split
    PO: one number, disjoint types); the assigned PO itself, marked not eligible, when none is."""
    if type_id in assigned.eligible_type_ids:
        return assigned, True
    for other in sorted(same_debtor, key=lambda c: c.po_id):
        if other.number_key == assigned.number_key and type_id in other.eligible_type_ids:
            return other, True
    return assigned, False


def master_line(bill_code_id: int, lines: dict[int, frozenset[int]]) -> int | None:
    """The master PO line whose bill code group holds the bill code (None: not covered). No code is
    ever in two lines of one PO, so at most one matches."""
    return next((line_id for line_id, codes in sorted(lines.items()) if bill_code_id in codes), None)


def typed_po_refusal(typed: str, debtor_code: str, remedy: str) -> str:
    """Why a PO number typed free-text (a job's on-the-fly reference, a document's header number) is refused
    when it is the number of one of the debtor's own POs: a typed number draws on no budget (DESIGN.md), so the
    money would be reported under that PO's number while its budget never saw it. `remedy`: what to do instead."""
    return f"{typed} is one of {debtor_code}'s POs: {remedy} (a typed number draws on no budget)."
