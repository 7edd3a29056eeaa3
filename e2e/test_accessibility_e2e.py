"""Every main page, for every default role, through axe-core: no serious or critical violation; and a
1366x900 screenshot of each main page in e2e/artifacts/ (Billing Admin's view, Administrator's for admin)."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import shot
from tests import factories
from portal import demo
from portal.models import (Contract, Debtor, Document, JobOrder, Opportunity, PurchaseOrder, ServiceDeskItem,
                           SupplierPO)

ROLES = ["Administrator", "Billing Admin", "Billing Clerk", "Consultant", "Relationship Lead", "Auditor"]
AXE = Axe()


def _first(session, model, *where):
    return session.scalar(select(model).where(*where).order_by(model.id).limit(1))


@pytest.fixture
def demo_pages(db_session):
    """The demo data, and (name, url) for every main page."""
    demo.load(db_session)
    debtor = _first(db_session, Debtor)
    po = _first(db_session, PurchaseOrder, PurchaseOrder.kind == "multi_line_master") or _first(db_session, PurchaseOrder)
    job = _first(db_session, JobOrder)
    posted = _first(db_session, Document, Document.status == "posted")
    draft = _first(db_session, Document, Document.status == "draft")
    pages = [
        ("start", "/"),
        ("debtors", "/debtors/"), ("debtor", f"/debtors/{debtor.id}"),
        ("debtor-pos", f"/debtors/{debtor.id}?tab=purchase_orders"), ("debtor-history", f"/debtors/{debtor.id}?tab=history"),
        ("debtor-form", "/debtors/new"),
        ("purchase-orders", "/purchase-orders/"), ("po-groups", "/purchase-orders/groups"), ("po-form", "/purchase-orders/new"),
        ("job-orders", "/job-orders/"), ("job", f"/job-orders/{job.id}"), ("job-form", "/job-orders/new"),
        ("assignment-grid", f"/assignments/?debtor_id={job.debtor_id}"),
        ("bulk-assign", f"/assignments/bulk?debtor_id={job.debtor_id}"),
        ("documents", "/documents/"), ("document-editor", f"/documents/new?debtor_id={debtor.id}"),
        ("documents-report", "/documents/report"),
        ("maintenance", "/maintenance/"), ("bill-codes", "/maintenance/bill-codes/"),
        ("alert-templates", "/maintenance/alert-templates/"),
        ("opportunities", "/opportunities/"), ("notifications", "/notifications/"),
        ("admin-users", "/admin/users"), ("admin-roles", "/admin/roles"), ("admin-settings", "/admin/settings"),
        ("audit-log", "/audit-log/"), ("service-desk", "/service-desk/"), ("equipment", "/equipment/"),
        ("supplier-pos", "/equipment/supplier-pos/"),
    ]
    for key, label in [("summary", "po-summary"), ("lines", "po-lines"), ("documents", "po-documents"),
                       ("spend", "po-spend"), ("assignments", "po-assignments"), ("notes", "po-notes"),
                       ("history", "po-history"), ("schedule", "po-schedule")]:
        pages.append((label, f"/purchase-orders/{po.id}?tab={key}"))
    if posted:
        pages.append(("document-posted", f"/documents/{posted.id}"))
    if draft:
        pages += [("document-draft", f"/documents/{draft.id}"), ("document-draft-editor", f"/documents/{draft.id}/edit"),
                  ("document-post-check", f"/documents/{draft.id}/post")]
    for model, name, url in [(Opportunity, "opportunity", "/opportunities/{}"), (Contract, "contract", "/contracts/{}"),
                             (ServiceDeskItem, "service-desk-item", "/service-desk/{}"),
                             (SupplierPO, "supplier-po", "/equipment/supplier-pos/{}")]:
        if (obj := _first(db_session, model)) is not None:
            pages.append((name, url.format(obj.id)))
    return pages


def _serious(page) -> list[str]:
    results = AXE.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
                                                                        else str(n["target"]) for n in v["nodes"][:3])
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_passes_axe_for_every_role(page, sign_in, demo_pages, role):
    sign_in(page, role)
    found, seen = [], 0
    for name, url in demo_pages:
        response = page.goto(url)
        if response.status in (403, 404):  # not this role's page (the navigation does not offer it)
            continue
        assert response.status == 200, (role, url, response.status)
        seen += 1
        body = page.locator("main").inner_text()
        assert "seed 00" not in body and "(s)" not in body, (role, url)
        found += [f"{url}: {v}" for v in _serious(page)]
        if role == "Billing Admin" or (role == "Administrator" and name.startswith(("admin", "audit"))):
            shot(page, f"page-{name}")
        elif name == "start":
            shot(page, f"page-start-{role.lower().replace(' ', '-')}")
    assert seen >= 10, (role, seen)
    assert found == [], f"{role}: {len(found)} serious/critical axe violations\n" + "\n".join(found)


def test_what_htmx_swaps_in_passes_axe_too(page, sign_in, db_session):
    """The fragments htmx swaps into a page (a list's filtered rows, a job's assignment panel, the bulk
    preview and result, the document editor's lines for another debtor) meet the same bar as the pages."""
    demo.load(db_session)
    sign_in(page, "Billing Admin")
    job = _first(db_session, JobOrder)
    found = []

    def check(where: str) -> None:
        found.extend(f"{where}: {v}" for v in _serious(page))

    page.goto("/purchase-orders/")
    with page.expect_response(lambda r: "/purchase-orders/?" in r.url and r.request.headers.get("hx-request")):
        page.get_by_label("Debtor").select_option(index=1)
    page.wait_for_load_state("networkidle")
    check("PO list filtered by debtor")

    po = _first(db_session, PurchaseOrder, PurchaseOrder.kind == "single_line")
    free = factories.job(db_session, db_session.get(Debtor, po.debtor_id), title="Not assigned yet")
    db_session.commit()
    page.goto(f"/job-orders/{free.id}")
    picker = page.locator(".assign-form select[name=target]")  # the panel may load after the page
    expect(picker).to_be_visible()
    picker.select_option(index=1)
    expect(page.locator(".job-panel")).to_have_attribute("data-pending", re.compile(r"^(po|group):\d+$"))
    check("job panel re-rendered for a chosen PO")

    page.goto(f"/assignments/bulk?debtor_id={job.debtor_id}")
    page.select_option("select[name=target]", index=1)
    page.click("button[value=preview]")
    expect(page.locator(".bulk-preview")).to_be_visible()
    check("bulk preview")

    debtors = db_session.scalars(select(Debtor).where(Debtor.active.is_(True)).order_by(Debtor.code)).all()
    page.goto(f"/documents/new?debtor_id={debtors[0].id}")
    with page.expect_response(lambda r: r.url.endswith("/documents/lines")):
        page.select_option("#debtor_id", str(debtors[-1].id))
    page.wait_for_load_state("networkidle")
    check("document editor's lines for another debtor")
    assert found == [], f"{len(found)} serious/critical axe violations after htmx swaps\n" + "\n".join(found)
