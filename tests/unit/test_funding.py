"""Resolution rules (DESIGN.md "Resolution"), without a database."""
from portal.domain.funding import Candidate, eligible_po, master_line

SALES, SERVICE = frozenset({1, 2}), frozenset({3, 4})
INVENTORY = Candidate(10, "ACM-SPLIT", SALES)      # 4,000 for inventory items
SERVICE_PO = Candidate(11, "ACM-SPLIT", SERVICE)   # 6,000 for service work
OTHER = Candidate(12, "OTHER", frozenset({1, 2, 3, 4}))


def test_split_po_resolved_by_document_type():
    assert eligible_po(INVENTORY, [INVENTORY, SERVICE_PO, OTHER], 3) == (SERVICE_PO, True)
    assert eligible_po(SERVICE_PO, [INVENTORY, SERVICE_PO, OTHER], 1) == (INVENTORY, True)
    assert eligible_po(INVENTORY, [INVENTORY, SERVICE_PO], 2) == (INVENTORY, True)


def test_no_eligible_po_of_that_number_keeps_the_assigned_one_marked_not_eligible():
    assert eligible_po(INVENTORY, [INVENTORY, OTHER], 3) == (INVENTORY, False)


def test_master_po_funded_line_by_line():
    lines = {100: frozenset({1, 2}), 101: frozenset({3})}  # Labour (ORD, OT), Expenses (EXP)
    assert master_line(2, lines) == 100
    assert master_line(3, lines) == 101
    assert master_line(9, lines) is None  # not covered
