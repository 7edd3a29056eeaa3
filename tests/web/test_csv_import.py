"""CSV import: preview with per-row errors, then the whole file posts or nothing does."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from portal.models import BillCode, Document, POBalance
from tests import factories

GOOD = """document_type,number,date,debtor,job,bill_code,quantity,rate,po_number
Sales Invoice,EXT-1,2026-03-01,ACME,{job},ORD,10,50,
Sales Invoice,EXT-1,2026-03-01,ACME,{job},ORD,2,25,
Sales Invoice,EXT-2,2026-03-02,ACME,,ORD,1,100,4500
"""


def _setup(db_session):
    debtor = factories.debtor(db_session, "ACME")
    po = factories.po(db_session, debtor, "4500", amount="1000")
    job = factories.job(db_session, debtor)
    factories.assignment(db_session, job, po=po, start=date(2026, 1, 1))
    db_session.add(BillCode(code="ORD"))
    db_session.commit()
    return debtor, po, job


def _upload(browser, text, action="preview"):
    return browser.post("/documents/import", {"action": action, "file": (io.BytesIO(text.encode()), "export.csv")},
                        content_type="multipart/form-data")


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Document))


def test_preview_then_post_all(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    debtor, po, job = _setup(db_session)
    text = GOOD.format(job=job.number)
    preview = _upload(browser, text).get_data(as_text=True)
    assert "3 rows, 2 documents" in preview and _count(db_session) == 0
    done = browser.post("/documents/import", {"action": "post", "content": text}).get_data(as_text=True)
    assert "2 documents posted" in done
    db_session.expire_all()
    assert db_session.get(POBalance, po.id).used == 650


def test_row_errors_are_listed_and_nothing_is_written(db_session, login_as):
    browser, _ = login_as("Billing Admin")
    _setup(db_session)
    bad = "document_type,number,date,debtor,bill_code,quantity,rate\nSales Invoice,X-1,2026-13-01,ACME,ORD,1,1\nNope,X-2,2026-03-01,ZZZ,ORD,abc,1\n"
    html = _upload(browser, bad).get_data(as_text=True)
    assert "dates must be YYYY-MM-DD" in html and "unknown document type" in html and "unknown debtor" in html
    forced = browser.post("/documents/import", {"action": "post", "content": bad}).get_data(as_text=True)
    assert "Row 2" in forced and _count(db_session) == 0
    assert "Missing column" in _upload(browser, "a,b\n1,2\n").get_data(as_text=True)
    assert "UTF-8" in browser.post("/documents/import", {"action": "preview", "file": (io.BytesIO(b"\xff\xfe\x00"), "x.csv")},
                                   content_type="multipart/form-data").get_data(as_text=True)


def test_a_blocked_document_rolls_back_the_whole_file(db_session, login_as):
    browser, _ = login_as("Consultant")  # cannot override
    debtor, po, job = _setup(db_session)
    debtor.over_budget_policy = "block"
    db_session.commit()
    admin, _ = login_as("Billing Admin")
    text = GOOD.format(job=job.number) + f"Sales Invoice,EXT-3,2026-03-03,ACME,{job.number},ORD,100,100,\n"
    html = admin.post("/documents/import", {"action": "post", "content": text}).get_data(as_text=True)
    assert "nothing was imported" in html and _count(db_session) == 0
    db_session.expire_all()
    assert db_session.get(POBalance, po.id).used == 0
