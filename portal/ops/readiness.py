"""Is this process ready for traffic: the database reachable and its migrations current."""
from __future__ import annotations

import functools
import logging

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def migration_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def ping(session) -> None:
    """Ask the database for SELECT 1; an unreachable database raises (the caller answers 500)."""
    session.execute(text("SELECT 1"))


def readiness(db, directory: str) -> bool:
    """True when the database answers and stands at the code's migration head.

    Failures are logged here (for the operator), never sent to the caller.
    """
    try:
        with db.engine.connect() as conn:
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        return False
    heads = migration_heads(directory)
    if current != heads:
        log.warning("readiness: database at %s, code expects %s", sorted(current), sorted(heads))
        return False
    return True
