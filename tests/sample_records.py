"""One record of each kind for URL-walking tests; each area adds what its URLs name."""
from __future__ import annotations

from tests import factories


def sample_ids(session, owner=None) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["debtor_id"] = factories.debtor(session).id
    ids["user_id"] = factories.user(session, role_name="Auditor").id
    ids["role_id"] = factories.role(session, "Auditor").id
    ids["branch_id"] = factories.branch(session).id
    ids["notification_id"] = 1
    debtor = session.get(__import__("portal.models", fromlist=["Debtor"]).Debtor, ids["debtor_id"])
    group = factories.po_group(session, debtor)
    ids["group_id"] = group.id
    ids["po_id"] = factories.po(session, debtor, created_by=owner).id
    from datetime import date

    from portal.models import JobOrder

    job = JobOrder(title="Sample job", debtor_id=debtor.id, branch_id=ids["branch_id"], start_date=date(2026, 1, 1))
    session.add(job)
    session.commit()
    ids["job_id"] = job.id
    ids["slug"] = "bill-codes"
    ids["item_id"] = factories.bill_code_group(session, "Sample group", ["SMP"]).bill_codes[0].id
    return ids
