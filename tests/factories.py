"""Small factories for test data."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from portal.models import Branch, Debtor, Role, User
from portal.services.passwords import hash_password

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def role(session, name: str) -> Role:
    return session.scalars(select(Role).where(Role.name == name)).one()


def user(session, username: str | None = None, role_name: str = "Administrator", *, branches=(),
         active: bool = True) -> User:
    username = username or f"user{next(_seq)}"
    obj = User(username=username, full_name=username.title(), email=f"{username}@example.test",
               password_hash=hash_password(PASSWORD), roles=[role(session, role_name)] if role_name else [],
               branches=list(branches), active=active)
    session.add(obj)
    session.commit()
    return obj


def branch(session, code: str | None = None) -> Branch:
    code = code or f"B{next(_seq)}"
    obj = Branch(code=code, name=f"Branch {code}")
    session.add(obj)
    session.commit()
    return obj


def debtor(session, code: str | None = None, **kw) -> Debtor:
    code = code or f"D{next(_seq)}"
    obj = Debtor(code=code, name=kw.pop("name", f"Debtor {code}"), **kw)
    session.add(obj)
    session.commit()
    return obj
