"""Every model, imported so that Alembic and the mappers see them all."""
from portal.models.audit import AuditEntry
from portal.models.debtors import Debtor
from portal.models.security import Branch, Role, RoleGrant, User, user_branches, user_roles

__all__ = ["AuditEntry", "Branch", "Debtor", "Role", "RoleGrant", "User", "user_branches", "user_roles"]
