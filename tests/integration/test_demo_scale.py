"""`flask demo scale` builds its data set through the real schema, consistent with the ledger."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.models import Document, DocumentLine, JobOrder, JobPOAssignment, LedgerEntry, PurchaseOrder
from portal.services.integrity import check


def test_scale_data_is_consistent_and_refuses_a_second_run(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "scale", "--factor", "0.002"])
    assert result.exit_code == 0, result.output
    count = lambda model: db_session.scalar(select(func.count()).select_from(model))  # noqa: E731
    scale_docs = db_session.scalar(select(func.count()).select_from(Document).where(Document.number.like("SD%")))
    assert scale_docs == 200 and count(PurchaseOrder) >= 20 and count(JobOrder) >= 100
    assert count(JobPOAssignment) >= 100
    lines = db_session.scalar(select(func.count()).select_from(DocumentLine).join(Document)
                              .where(Document.number.like("SD%")))
    # each scale line has its one ledger entry; the biggest PO holds 20-line documents
    assert lines >= 200 * 8 and count(LedgerEntry) >= lines
    assert check(db_session) == []
    again = runner.invoke(args=["demo", "scale", "--factor", "0.002"])
    assert again.exit_code != 0 and "already loaded" in again.output
