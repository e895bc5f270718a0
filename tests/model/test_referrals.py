"""Referrals: publics and criteria as clause reporting counts them, run-out taper, streams."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import simulate
from sim.model.referrals import publics
from sim.scenario import PUBLIC_GROUPS, load
from sim.streams import replication_seed, stream

from .conftest import small


def test_criteria_shares_and_several_memberships():
    sc = load(None, ["flow.referrals.criteria={deld=0.5, th=0.1, over_50=0.2, qpv=1.0}"])
    n = 40_000
    rep = replication_seed(3, 0)
    _main, member = publics(sc, n, lambda name: stream(rep, name))
    col = {g: member[:, k] for k, g in enumerate(PUBLIC_GROUPS)}
    assert col["qpv"].all()  # share 1: everyone
    assert col["deld"].mean() == pytest.approx(0.5, abs=0.01)
    assert col["th"].mean() == pytest.approx(0.1, abs=0.01)
    # main publics: exactly one each, at the scenario's shares
    mains = member[:, [PUBLIC_GROUPS.index(p) for p in ("rsa", "under_26", "ase", "other")]]
    assert (mains.sum(axis=1) == 1).all()
    assert col["rsa"].mean() == pytest.approx(0.32, abs=0.01)
    # nobody is both under 26 and 50 or over; 50+ share among the others
    assert not (col["under_26"] & col["over_50"]).any()
    assert col["over_50"][~col["under_26"]].mean() == pytest.approx(0.2, abs=0.01)


def test_counts_by_public_count_each_membership():
    run = simulate(small("flow.referrals.criteria={deld=1.0, th=0, over_50=0, qpv=0.5}"), 2)
    t = run.totals
    assert t["participants_deld"] == t["participants"] > 0  # everyone is DELD
    assert t["participants_th"] == 0
    assert 0 < t["participants_qpv"] < t["participants"]
    main = sum(t[f"participants_{p}"] for p in ("rsa", "under_26", "ase", "other"))
    assert main == t["participants"]
    assert t["people_accompanied_deld"] == t["people_accompanied"] == t["intakes"]


def test_run_out_years_taper_to_the_offers_left():
    sc = small("flow.run_out_years=2", "flow.referrals.per_year=100")
    runs = [simulate(sc, s) for s in range(6)]
    ref = np.mean([r.yearly["referrals"] for r in runs], axis=0)
    off = np.mean([r.yearly["hours_offered"] for r in runs], axis=0)
    assert list(runs[0].run_out) == [False, False, False, True, True]
    # last run-out year: no offer released, so nobody referred
    assert off[4] == 0 and ref[4] == 0
    # first run-out year: referrals in proportion to the offers released (a few)
    assert ref[3] < 0.5 * ref[2]
    hold = [
        simulate(small("flow.run_out_years=2", "flow.run_out_rule='hold'"), s) for s in range(6)
    ]
    ref_hold = np.mean([r.yearly["referrals"] for r in hold], axis=0)
    assert ref_hold[4] == pytest.approx(60, rel=0.25)  # the last horizon year's rate


def test_changing_one_random_process_leaves_the_others_draws():
    a = simulate(small(), 4)
    # other publics, another next-mission rule, other outcomes: arrivals and offers unchanged
    for extra in (
        "flow.referrals.publics={rsa=0.7, under_26=0.1, ase=0.1, other=0.1}",
        "flow.missions.next_mission_probability=0.9",
        "flow.outcomes.rsa={durable=0.5, transition=0.1, training=0.1}",
    ):
        b = simulate(small(extra), 4)
        np.testing.assert_array_equal(a.yearly["referrals"], b.yearly["referrals"])
        np.testing.assert_array_equal(a.yearly["hours_offered"], b.yearly["hours_offered"])
    # fewer facilitators: same arrivals, same offers, other placements
    c = simulate(small("flow.facilitators.fte=0.1"), 4)
    np.testing.assert_array_equal(a.yearly["referrals"], c.yearly["referrals"])
    assert a.totals["hours_realised"] != c.totals["hours_realised"]
