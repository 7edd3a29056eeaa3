"""One record of each kind for URL-walking tests; each area adds what its URLs name."""
from __future__ import annotations

from tests import factories


def sample_ids(session) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["debtor_id"] = factories.debtor(session).id
    ids["user_id"] = factories.user(session, role_name="Auditor").id
    ids["role_id"] = factories.role(session, "Auditor").id
    ids["branch_id"] = factories.branch(session).id
    ids["notification_id"] = 1
    return ids
