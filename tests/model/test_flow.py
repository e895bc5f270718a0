"""The replication put together: draws served one at a time, timed calls to their handlers."""

import numpy as np
import pytest

import sim
from sim.model import states
from sim.model.flow import FlowModel, Served
from sim.scenario import Dist
from sim.streams import BATCH, replication_seed, sample


def test_served_draws_are_the_batches_in_order_across_refills():
    d = Dist("exponential", {"mean": 5})
    g = np.random.default_rng(3)
    served = Served(lambda: sample(g, d, BATCH).tolist())
    first = [served.next() for _ in range(2 * BATCH + 7)]
    h = np.random.default_rng(3)
    expected = np.concatenate([sample(h, d, 512) for _ in range(3)])[: 2 * 512 + 7]
    np.testing.assert_array_equal(first, expected)


def test_served_calls_fill_only_when_a_batch_is_used_up():
    batches = iter([[1.0, 2.0], [3.0], [4.0, 5.0]])
    calls = []

    def fill() -> list[float]:
        calls.append(1)
        return next(batches)

    served = Served(fill)
    assert calls == []  # nothing drawn before the first use
    assert [served.next() for _ in range(4)] == [1.0, 2.0, 3.0, 4.0]
    assert len(calls) == 3


def test_each_timed_call_reaches_its_handler_with_its_arguments():
    m = FlowModel(sim.load_scenario(), replication_seed(1, 0))  # the fiche
    made: list[tuple[object, ...]] = []
    for name in (
        "arrive",
        "release",
        "new_year",
        "barrier",
        "end_parcours",
        "ready_timeout",
        "fallback_due",
        "expire",
        "end_mission",
        "renege",
    ):
        setattr(m, name, lambda *args, name=name: made.append((name, *args)))
    expected = {
        states.ARRIVE: ("arrive", 3),
        states.RELEASE: ("release", 3),
        states.NEW_YEAR: ("new_year", 3),
        states.NEXT_BARRIER: ("barrier", 3, 4),
        states.END_PARCOURS: ("end_parcours", 3),
        states.GIVE_UP: ("ready_timeout", 3, 4, True),
        states.PARCOURS_OVER: ("ready_timeout", 3, 4, False),
        states.FALLBACK_DUE: ("fallback_due", 3),
        states.EXPIRE: ("expire", 3),
        states.END_MISSION: ("end_mission", 3, 4),
        states.RENEGE: ("renege", 3),
    }
    for call, what in expected.items():
        made.clear()
        m.handle(call, 3, 4)
        assert made == [what], call
    assert len(set(expected)) == 11  # the calls are distinct
    with pytest.raises(ValueError, match="unknown call 99"):
        m.handle(99, 3, 4)


def test_prefetch_reads_the_records_of_the_people_a_bucket_names():
    """Each of the seven person calls names a person (0 to 6); an offer's calls and 1 January's
    do not (their argument, an offer or a year, is no person, though here a valid index), nor a
    call of a person whose record is not made yet (the second chunk): seven records read, then
    six once person 1 has left the flow."""
    from sim.model.engine import Entry
    from sim.model.referrals import PEOPLE_CHUNK

    from .conftest import small

    m = FlowModel(small("flow.referrals.per_year=3000"), replication_seed(1, 0))
    bucket = [
        *(Entry(1.0, i, c, i, 3) for i, c in enumerate(PERSONS)),
        Entry(1.0, 7, states.RENEGE, PEOPLE_CHUNK + 1, 0),  # not made yet
        *(Entry(1.0, 8 + j, c, 10 + j, 0) for j, c in enumerate(OTHERS)),
    ]
    assert m.prefetch(bucket) == 7
    m.people[1].state = states.GONE
    assert m.prefetch(bucket) == 6
    assert {*PERSONS, *OTHERS} == set(range(11))  # every call of the model, once


PERSONS = (
    states.ARRIVE,
    states.NEXT_BARRIER,
    states.END_PARCOURS,
    states.GIVE_UP,
    states.PARCOURS_OVER,
    states.END_MISSION,
    states.RENEGE,
)
"""The calls whose argument is a person."""
OTHERS = (states.RELEASE, states.EXPIRE, states.FALLBACK_DUE, states.NEW_YEAR)
"""The calls whose argument is not a person."""
