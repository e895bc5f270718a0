"""Works schedule by route: weekly hours by route, missions that fit, no hour lost to timing."""

from __future__ import annotations

import numpy as np
import pytest

from sim import hours
from sim.model import simulate
from sim.scenario import MODES, load
from sim.schedule import offers
from sim.streams import replication_seed, stream

from .conftest import ABUNDANT_PEOPLE

UNLIMITED_POSTS = "flow.siae.posts={etti=100000, ai=100000, geiq=100000, ei=100000, aci=100000}"


def draw(sc, seed=1, **names):
    rep = replication_seed(seed, 0)
    g = {k: stream(rep, names.get(k, k)) for k in ("operations", "offers", "modes", "weekly")}
    return offers(sc, g["operations"], g["offers"], g["modes"], g["weekly"])


def test_weekly_hours_follow_the_route():
    of = draw(load())
    mode = np.asarray(of.mode)
    for name in ("direct", "etti", "geiq"):
        assert np.all(of.weekly_hours[mode == MODES.index(name)] == 35.0)
    ai = of.weekly_hours[mode == MODES.index("ai")]
    assert ai.min() >= 15.0 and ai.max() <= 35.0 and ai.std() > 2.0
    for name in ("ei", "aci"):
        w = of.weekly_hours[mode == MODES.index(name)]
        assert w.min() >= 20.0 and w.max() <= 35.0


def test_missions_fit_their_operation_and_sum_to_the_clause_hours():
    sc = load()
    of = draw(sc)
    assert of.hours.sum() == hours.compute(sc).total_hours == 1_311_000
    # taken when released, a mission ends before its operation
    end = of.release + of.hours / of.weekly_hours * 7.0
    assert np.all(end <= of.op_end + 1e-6)


def test_routes_come_from_their_own_stream():
    # fixed mission sizes: the offers' stream draws nothing that matters, so routes drawn from
    # the modes' stream must not change when the offers' stream does
    sc = load(None, ['flow.missions.hours={dist="fixed", value=300}'])
    a = draw(sc, offers="offers")
    b = draw(sc, offers="another offers stream")
    np.testing.assert_array_equal(a.mode, b.mode)
    c = draw(sc, modes="another modes stream")
    assert not np.array_equal(a.mode, c.mode)


@pytest.mark.parametrize(
    "extra",
    [
        ["flow.missions.mode_shares={direct=1.0}"],
        [UNLIMITED_POSTS],
    ],
    ids=["direct-only", "all-routes-unlimited-posts"],
)
def test_abundant_people_realise_the_clause_hours(extra):
    """With people always waiting and nobody giving up, the reference scenario loses nothing
    that capacity could fix: at least 99.5 % of the clause hours are realised."""
    t = simulate(load(None, [*ABUNDANT_PEOPLE, *extra]), 1).totals
    assert t["hours_offered"] == 1_311_000
    assert t["hours_realised"] / 1_311_000 >= 0.995
