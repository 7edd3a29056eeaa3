"""Reference data every database needs: the default roles and DESIGN.md's document types.

Kept in code (not in a data migration) so tests that truncate tables and `make run` seed the
same rows; idempotent.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import DocumentType
from portal.services import audit
from portal.services.security import seed_default_roles

# name, code, bucket, sign — DESIGN.md "Document types and buckets"
DEFAULT_DOCUMENT_TYPES = [
    ("Estimate", "EST", "estimate", 1),
    ("Sales Order", "SO", "commitment", 1),
    ("Repair Order", "RO", "commitment", 1),
    ("Sales Invoice", "SI", "used", 1),
    ("Service Invoice", "SVI", "used", 1),
    ("Credit Memo", "CM", "used", -1),
]


def seed_document_types(session: Session) -> None:
    """Add the default document types that are missing (by name), in their default order."""
    existing = set(session.scalars(select(func.upper(DocumentType.name))))
    for order, (name, code, bucket, sign) in enumerate(DEFAULT_DOCUMENT_TYPES, start=1):
        if name.upper() not in existing:
            session.add(DocumentType(name=name, code=code, bucket=bucket, sign=sign, sort_order=order))
    session.commit()


def seed_reference_data(session: Session) -> None:
    """Default roles and document types (adds only what is missing)."""
    audit.acting(session, None)
    seed_default_roles(session)
    seed_document_types(session)
