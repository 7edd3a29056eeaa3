from datetime import date
from decimal import Decimal

from sqlalchemy import update

from portal.models import BillCode, Document, DocumentLine, DocumentType, LedgerEntry, POBalance, PurchaseOrder
from portal.services.integrity import check
from tests import factories


def _po_with_one_entry(session):
    debtor = factories.debtor(session)
    po = PurchaseOrder(debtor_id=debtor.id, number="I-1", effective=date(2026, 1, 1), expiration=date(2026, 12, 31),
                       amount=Decimal("1000"))
    po.balance = POBalance(used=Decimal("250.00"))
    code = BillCode(code="ORD")
    invoice_type = session.query(DocumentType).filter_by(name="Sales Invoice").one()
    doc = Document(debtor_id=debtor.id, document_type_id=invoice_type.id, number="SI-1", doc_date=date(2026, 2, 1),
                   status="posted", total=Decimal("250.00"))
    session.add_all([po, code, doc])
    session.flush()
    line = DocumentLine(document_id=doc.id, line_no=1, bill_code_id=code.id, quantity=Decimal("1"),
                        rate=Decimal("250"), amount=Decimal("250.00"), po_id=po.id)
    session.add(line)
    session.flush()
    session.add(LedgerEntry(document_id=doc.id, document_line_id=line.id, po_id=po.id, bill_code_id=code.id,
                            bucket="used", amount=Decimal("250.00"), event="post"))
    session.commit()
    return po


def test_balances_equal_to_the_ledger_pass(db_session, app):
    _po_with_one_entry(db_session)
    assert check(db_session) == []
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 0 and "0 mismatch" in result.output


def test_a_drifted_balance_is_reported_and_fails_the_command(db_session, app):
    po = _po_with_one_entry(db_session)
    db_session.execute(update(POBalance).where(POBalance.po_id == po.id).values(used=Decimal("240.00")))
    db_session.commit()
    [mismatch] = check(db_session)
    assert "used 240.00 ≠ ledger 250.00" in str(mismatch)
    result = app.test_cli_runner().invoke(args=["integrity", "check"])
    assert result.exit_code == 1


def test_summaries_follow_the_ledger_and_a_drifted_summary_is_reported(db_session, app):
    """The per-document and per-bill-code totals and the spend per PO number are kept by the
    database in the transaction that writes the ledger; a summary changed behind its back is a mismatch."""
    from sqlalchemy import select

    from portal.models import PODocumentTotal, PONumberSpend

    po = _po_with_one_entry(db_session)
    total = db_session.scalars(select(PODocumentTotal).where(PODocumentTotal.po_id == po.id)).one()
    assert total.applied == Decimal("250.00")
    spend = db_session.scalars(select(PONumberSpend)).one()
    assert (spend.po_number, spend.used, spend.documents) == ("(none)", Decimal("250.00"), 1)
    assert check(db_session) == []
    db_session.execute(update(PODocumentTotal).values(applied=Decimal("1.00")))
    db_session.execute(update(PONumberSpend).values(documents=2))
    db_session.commit()
    found = [str(m) for m in check(db_session)]
    assert len(found) == 2
    assert any("PO document total" in m and "kept 1.00" in m for m in found)
    assert any("spend by PO number" in m for m in found)


def test_the_spend_reports_totals_follow_each_number_at_commit_and_a_drifted_total_is_reported(db_session):
    """The report's footer reads a row per debtor, moved by the numbers' rows when the transaction commits
    (its lock is taken last, after the POs a posting locks); a number with no document left leaves it."""
    from sqlalchemy import select

    from portal.models import PONumberSpend, PONumberSpendTotal
    from portal.services import reports

    po = _po_with_one_entry(db_session)
    [kept] = db_session.scalars(select(PONumberSpendTotal)).all()
    assert (kept.debtor_id, kept.numbers, kept.used, kept.commitments, kept.estimates, kept.documents) == (
        po.debtor_id, 1, Decimal("250.00"), Decimal("0.00"), Decimal("0.00"), 1)
    for debtor_id in (None, po.debtor_id):
        page = reports.spend_by_po_number(db_session, debtor_id)
        assert (page.total_numbers, page.totals) == (1, (Decimal("250.00"), Decimal("0.00"), Decimal("0.00"), 1))
    assert reports.spend_by_po_number(db_session, po.debtor_id + 1000).totals == (0, 0, 0, 0)

    db_session.execute(update(PONumberSpend).values(used=Decimal("300.00"), documents=2))
    assert db_session.scalar(select(PONumberSpendTotal.used)) == Decimal("250.00")  # not before the commit
    db_session.commit()
    assert db_session.scalar(select(PONumberSpendTotal.documents)) == 2
    assert db_session.scalar(select(PONumberSpendTotal.used)) == Decimal("300.00")
    db_session.execute(update(PONumberSpend).values(used=Decimal("0"), documents=0))
    db_session.commit()
    assert db_session.scalar(select(PONumberSpendTotal.numbers)) == 0
    assert db_session.scalar(select(PONumberSpendTotal.used)) == Decimal("0.00")
    assert reports.spend_by_po_number(db_session).totals == (0, 0, 0, 0)

    db_session.execute(update(PONumberSpend).values(used=Decimal("250.00"), documents=1))
    db_session.commit()
    assert [str(m) for m in check(db_session)] == []
    db_session.execute(update(PONumberSpendTotal).values(used=Decimal("1.00")))
    db_session.commit()
    [mismatch] = [str(m) for m in check(db_session)]
    assert "spend by PO number totals" in mismatch and "kept 1 / 1.00" in mismatch
