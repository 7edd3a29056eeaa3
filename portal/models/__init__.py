"""Every model, imported so that Alembic and the mappers see them all."""
from portal.models.api_tokens import ApiToken
from portal.models.audit import AuditEntry
from portal.models.debtors import Debtor
from portal.models.contracts import Contract, ContractNote, Delivery, Opportunity, debtor_relationship_leads
from portal.models.equipment import (CatalogCharge, EquipmentCatalog, EquipmentType, EquipmentUnit,
                                     ServiceDeskCharge, ServiceDeskEquipment, ServiceDeskItem, Supplier,
                                     SupplierPO, SupplierPOLine)
from portal.models.documents import Alert, Document, DocumentLine, LedgerEntry, Notification, OutboxEmail
from portal.models.jobs import JobOrder, JobPOAssignment
from portal.models.maintenance import (AlertTemplate, BillCode, BillCodeGroup, DocumentType, Setting,
                                       alert_template_roles, alert_template_users, bill_code_group_members)
from portal.models.purchase_orders import (POBalance, POEligibleType, POForecast, POGroup, POLine, POLineBalance,
                                           PurchaseOrder, po_line_bill_codes)
from portal.models.security import Branch, Role, RoleGrant, User, user_branches, user_roles
from portal.models.sessions import UserSession
from portal.models.sso import SsoGroupMapping, SsoIdentity
from portal.models.summaries import (JobGap, POBillCodeTotal, PODayTotal, PODocumentTotal, PONumberSpend,
                                     PONumberSpendTotal, SpendDocument)

__all__ = [
    "Alert", "AlertTemplate", "ApiToken", "AuditEntry", "BillCode", "BillCodeGroup", "Branch", "Debtor", "Document",
    "DocumentLine", "DocumentType", "JobOrder", "JobPOAssignment", "LedgerEntry", "Notification", "OutboxEmail",
    "POBalance", "POEligibleType", "POForecast", "POGroup", "POLine", "POLineBalance", "PurchaseOrder", "Role", "RoleGrant",
    "Setting", "User", "alert_template_roles", "alert_template_users", "bill_code_group_members",
    "po_line_bill_codes", "user_branches", "user_roles",
    "UserSession",
    "Contract", "ContractNote", "Delivery", "Opportunity", "debtor_relationship_leads",
    "CatalogCharge", "EquipmentCatalog", "EquipmentType", "EquipmentUnit", "ServiceDeskCharge",
    "ServiceDeskEquipment", "ServiceDeskItem", "Supplier", "SupplierPO", "SupplierPOLine",
    "SsoGroupMapping", "SsoIdentity",
    "JobGap", "POBillCodeTotal", "PODayTotal", "PODocumentTotal", "PONumberSpend", "PONumberSpendTotal", "SpendDocument",
]
