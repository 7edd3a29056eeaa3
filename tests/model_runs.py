"""What the model-based tests (tests/integration/test_*_model.py) share: the reference models' rounding, a
database emptied for each sequence, and how a state machine is run (`make test`: a fixed, bounded set of
sequences; `make test-deep`, MONEY_MODEL=deep: many more and longer ones)."""
from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import text

DEEP = os.environ.get("MONEY_MODEL") == "deep"


def money(value: Decimal) -> Decimal:
    """A line's amount as DESIGN.md gives it: half-up to cents."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def fresh_database(session, tables: list[str]) -> None:
    """Every table emptied and the reference data seeded again: each sequence starts from nothing."""
    from portal.services.reference_data import seed_reference_data

    session.rollback()
    session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    session.commit()
    seed_reference_data(session)


def run(app, machine, *, bounded: tuple[int, int], deep: tuple[int, int]) -> None:
    """Run `machine(session)` as a test: `bounded` (examples, steps) derandomized and without shrinking (a failure
    prints its whole sequence), or `deep` under MONEY_MODEL=deep."""
    from portal.extensions import db

    examples, steps = deep if DEEP else bounded
    chosen = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                      suppress_health_check=list(HealthCheck)) if DEEP else settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck), database=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
    with app.app_context():
        try:
            run_state_machine_as_test(lambda: machine(db.session), settings=chosen)
        finally:
            db.session.rollback()
            db.session.remove()
