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
    from decimal import Decimal

    from portal.models import Document, DocumentLine

    invoice_type = factories.document_types(session)["Sales Invoice"]
    doc = Document(debtor_id=debtor.id, document_type_id=invoice_type.id, number="S-1", doc_date=date(2026, 3, 1),
                   status="draft", total=Decimal("10"))
    session.add(doc)
    session.flush()
    code = factories.bill_code_group(session, "Doc group", ["DOC"]).bill_codes[0]
    session.add(DocumentLine(document_id=doc.id, line_no=1, bill_code_id=code.id, quantity=Decimal("1"),
                             rate=Decimal("10"), amount=Decimal("10"), po_id=ids["po_id"], explicit_po=True))
    session.commit()
    ids["doc_id"] = doc.id
    ids["item_id"] = factories.bill_code_group(session, "Sample group", ["SMP"]).bill_codes[0].id
    from portal.models import Contract, Opportunity

    contract = Contract(po_id=ids["po_id"], debtor_id=debtor.id, title="Sample contract")
    session.add(contract)
    session.flush()
    # owned by the signed-in user, so add_edit (own only) may change it
    opp = Opportunity(po_id=ids["po_id"], contract_id=contract.id, owner_id=(owner or factories.user(session)).id,
                      status="open")
    session.add(opp)
    session.commit()
    ids["contract_id"], ids["opportunity_id"] = contract.id, opp.id
    _equipment(session, ids, debtor)
    from portal.models import SsoGroupMapping

    mapping = SsoGroupMapping(group_name="sample-group", role_id=ids["role_id"])
    session.add(mapping)
    session.commit()
    ids["mapping_id"] = mapping.id
    from datetime import timedelta

    from portal.services import api_tokens

    token, _ = api_tokens.create(session, owner or factories.user(session), name="sample",
                                 expires_on=date.today() + timedelta(days=30))
    ids["token_id"] = token.id
    return ids


def _equipment(session, ids: dict[str, int], debtor) -> None:
    """Equipment pricing: a catalog and its charge, a supplier PO, its line and unit, a service desk item."""
    from portal.models import ServiceDeskItem
    from portal.services import equipment_desk

    eq = factories.equipment_setup(session)
    ids["record_id"] = eq["supplier"].id
    ids["list_slug"] = "suppliers"
    ids["catalog_id"] = eq["catalog"].id
    ids["charge_id"] = eq["priced"].id
    ids["spo_id"] = eq["spo_1001"].id
    ids["spo_line_id"] = eq["spo_1001"].lines[0].id
    ids["unit_id"] = eq["spo_1001"].lines[0].units[0].id
    item = ServiceDeskItem(debtor_id=debtor.id, description="Sample router swap", status="open")
    session.add(item)
    session.commit()
    ids["desk_item_id"] = item.id
    line = equipment_desk.save_equipment(session, session.get(__import__("portal.models", fromlist=["User"]).User,
                                                              ids["user_id"]), item.id, None,
                                         equipment_desk.EquipmentInput(catalog_id=eq["catalog"].id, quantity="1",
                                                                       fulfilment="order"))
    ids["equipment_id"] = line.id
    ids["desk_charge_id"] = line.item.charges[0].id
