"""Bulk assignment of 10,000 jobs in one request's service call (target: under 2 seconds).

    .venv/bin/python -m bench.bulk_assign [jobs]
"""
from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select

from bench.common import bench_app


def main(n: int = 10_000) -> None:
    with bench_app() as (app, db):
        from portal.domain.assignment import Target
        from portal.models import Branch, Debtor, JobOrder, JobPOAssignment, POBalance, PurchaseOrder, Role, User
        from portal.services import bulk_assign
        from portal.services.job_orders import JobFilter

        session = db.session
        role = session.scalar(select(Role).where(Role.name == "Billing Admin"))
        user = User(username="bench", full_name="Bench", password_hash="x", roles=[role])
        debtor, branch = Debtor(code="BENCH", name="Bench debtor"), Branch(code="B", name="Bench")
        session.add_all([user, debtor, branch])
        session.flush()
        po = PurchaseOrder(debtor_id=debtor.id, number="BENCH-PO", effective=date(2026, 1, 1),
                           expiration=date(2026, 12, 31), amount=Decimal("1000000"), balance=POBalance())
        session.add(po)
        session.flush()
        session.execute(insert(JobOrder), [{"title": f"Job {i}", "debtor_id": debtor.id, "branch_id": branch.id,
                                            "start_date": date(2026, 1, 1), "site": "Depot"} for i in range(n)])
        session.commit()
        selection = bulk_assign.Selection(JobFilter(debtor_id=debtor.id))
        started = time.perf_counter()
        preview = bulk_assign.preview(session, user, selection, Target("po", po.id), date(2026, 3, 1), today=date(2026, 3, 1))
        preview_s = time.perf_counter() - started
        started = time.perf_counter()
        outcome = bulk_assign.apply(session, user, selection, Target("po", po.id), date(2026, 3, 1), today=date(2026, 3, 1))
        apply_s = time.perf_counter() - started
        count = session.scalar(select(func.count()).select_from(JobPOAssignment))
        print(f"jobs: {n}; preview {preview_s:.3f}s ({preview.to_assign} to assign); "
              f"apply {apply_s:.3f}s; assigned rows: {count}; reported: {len(outcome.assigned)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
