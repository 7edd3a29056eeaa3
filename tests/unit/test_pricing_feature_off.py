"""Why a PO-priced charge edited while the feature is Off leaves PO pricing (pricing.reasons_to_leave)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.domain import pricing


@pytest.mark.parametrize("charge_type,override_allowed,override_amount,reasons", [
    ("non_recurring", True, None, []),
    ("non_recurring", True, D("0"), ["it has an override amount of its own"]),
    ("recurring", True, None, ["it is recurring"]),
    ("non_recurring", False, None, ["it does not allow an override amount"]),
    ("recurring", False, D("99.00"), ["it is recurring", "it does not allow an override amount",
                                      "it has an override amount of its own"]),
])
def test_reasons_to_leave(charge_type, override_allowed, override_amount, reasons):
    assert pricing.reasons_to_leave(charge_type=charge_type, override_allowed=override_allowed,
                                    override_amount=override_amount) == reasons


def test_the_message_names_every_reason():
    assert pricing.left_po_pricing(["it is recurring", "it has an override amount of its own"]) == (
        "it no longer uses PO pricing (turned off in Settings): "
        "it is recurring and it has an override amount of its own")
