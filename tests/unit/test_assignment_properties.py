"""Properties of the assignment timeline over random sequences of actions."""
from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from portal.domain import assignment as assignment_rules
from portal.domain.assignment import GroupInfo, POPeriod, Target

BASE = date(2026, 1, 1)
PO = POPeriod(1, "P", BASE, BASE + timedelta(days=400))
GROUP = GroupInfo(5, "G", True, (POPeriod(2, "G1", BASE, BASE + timedelta(days=400), 5),))
action = st.tuples(st.sampled_from(["assign_po", "assign_group", "clear"]), st.integers(0, 365), st.booleans())


def _step(timeline, kind, day, remove_future, next_id):
    try:
        if kind == "clear":
            result = assignment_rules.clear(timeline, day)
        else:
            target = Target("po", 1) if kind == "assign_po" else Target("group", 5)
            result = assignment_rules.assign(timeline, 7, target, day, po=PO, group=GROUP, remove_future=remove_future)
    except assignment_rules.AssignmentError:
        return timeline, None
    return assignment_rules.apply(timeline, result, next_id=next_id), result


@settings(max_examples=150, deadline=None)
@given(st.lists(action, max_size=25))
def test_no_job_ever_has_two_assignments_on_one_day(actions):
    timeline = []
    for n, (kind, offset, remove_future) in enumerate(actions):
        timeline, _ = _step(timeline, kind, BASE + timedelta(days=offset), remove_future, 1000 + n)
    for day in range(0, 400, 3):
        d = BASE + timedelta(days=day)
        assert sum(1 for x in timeline if x.covers(d)) <= 1


@settings(max_examples=150, deadline=None)
@given(st.lists(action, max_size=15), st.integers(0, 365), st.sampled_from(["assign_po", "assign_group"]))
def test_assign_then_clear_on_the_same_day_restores_the_timeline(actions, offset, kind):
    timeline = []
    for n, (k, off, rf) in enumerate(actions):
        timeline, _ = _step(timeline, k, BASE + timedelta(days=off), rf, 1000 + n)
    day = BASE + timedelta(days=offset)
    after, result = _step(timeline, kind, day, False, 5000)
    if result is None:
        return
    restored, _ = _step(after, "clear", day, False, 6000)
    assert restored == timeline
