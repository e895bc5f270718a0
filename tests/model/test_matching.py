"""Offers and matching: oldest offer first, fallback of SIAE offers, lapse blame order."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import FlowModel, simulate
from sim.scenario import SIAE_TYPES, load
from sim.streams import replication_seed

from .conftest import ABUNDANT_PEOPLE, NO_STEPS, small

NO_POSTS = "flow.siae.posts={etti=0, ai=0, geiq=0, ei=0, aci=0}"


def test_a_job_ready_person_takes_the_oldest_open_offer():
    sc = small("flow.missions.mode_shares={direct=1.0}", *NO_STEPS)
    m = FlowModel(sc, replication_seed(1, 0))
    # three offers released with nobody ready: they wait, oldest first
    ks = [0, 1, 2]
    for k in ks:
        m.release(k)
    assert all(m.o_open[k] for k in ks)
    assert m.o_release[0] <= m.o_release[1] <= m.o_release[2]
    m.intake(0)  # no preparation, no barrier: job-ready at once, takes an offer
    taken = [k for k in ks if not m.o_open[k]]
    assert taken == [0]
    m.intake(1)
    assert [k for k in ks if not m.o_open[k]] == [0, 1]


def test_an_offer_released_takes_the_longest_waiting_person():
    sc = small("flow.missions.mode_shares={direct=1.0}", *NO_STEPS)
    m = FlowModel(sc, replication_seed(1, 0))
    m.intake(3)
    m.intake(1)
    m.intake(2)  # all three job-ready, no offer yet: they wait in that order
    m.release(0)
    assert [x.person for x in m.missions] == [3]
    m.release(1)
    assert [x.person for x in m.missions] == [3, 1]


def test_an_offer_released_skips_people_who_exited_while_waiting():
    """Persons 3, 1 and 2 wait in that order; 3 gives up and 1's parcours ends while they
    wait: the next offer goes to 2, and nobody is left waiting for the one after."""
    sc = small("flow.missions.mode_shares={direct=1.0}", *NO_STEPS)
    m = FlowModel(sc, replication_seed(1, 0))
    for i in (3, 1, 2):
        m.intake(i)
    m.ready_timeout(3, m.people[3].spell, True)
    m.ready_timeout(1, m.people[1].spell, False)
    m.release(0)
    assert [x.person for x in m.missions] == [2]
    m.release(1)
    assert [x.person for x in m.missions] == [2] and m.o_open[1]


def test_without_siae_posts_offers_fall_back_to_direct_hire():
    fiche = load(None, [NO_POSTS])
    t = simulate(fiche, 1).totals
    # fallback to direct hire keeps the fiche at >= 80 % of its hours
    assert t["hours_realised"] / t["hours_offered"] >= 0.80
    assert t["hours_realised_siae"] == 0
    assert t["contracts_direct"] == t["contracts"] and t["fallbacks"] > 0
    # no fallback: the SIAE share of the offers is lost
    off = simulate(load(None, [NO_POSTS, "flow.siae.fallback_to=[]"]), 1).totals
    assert off["fallbacks"] == 0
    assert off["hours_realised"] < 0.8 * t["hours_realised"]
    assert off["lapsed_siae_etti"] > 0


def test_fallback_follows_its_order_and_waits_its_delay():
    base = [
        "flow.missions.mode_shares={ei=1.0}",
        "flow.siae.posts={etti=50, ai=0, geiq=0, ei=0, aci=0}",
        *ABUNDANT_PEOPLE,
    ]
    # first route with room in the order: ETTI (AI listed first has no post)
    to_etti = simulate(small(*base, 'flow.siae.fallback_to=["ai", "etti", "direct"]'), 2).totals
    assert to_etti["contracts_etti"] == to_etti["contracts"] > 0
    assert to_etti["fallbacks"] == to_etti["contracts"]
    to_direct = simulate(small(*base, 'flow.siae.fallback_to=["direct", "etti"]'), 2).totals
    assert to_direct["contracts_direct"] == to_direct["contracts"] > 0
    # a fallback waits its delay: offers are taken later, placement waits are longer
    fast = simulate(small(*base, "flow.siae.fallback_after_days=0"), 2)
    slow = simulate(small(*base, "flow.siae.fallback_after_days=60"), 2)
    assert fast.totals["mean_placement_wait_days"] < slow.totals["mean_placement_wait_days"]
    assert slow.waits["placement"].min() >= 60 - 1e-9


def test_no_fallback_while_a_post_of_the_type_is_free():
    t = simulate(
        small(
            "flow.missions.mode_shares={etti=1.0}",
            "flow.siae.posts={etti=1000, ai=0, geiq=0, ei=0, aci=0}",
            *ABUNDANT_PEOPLE,
        ),
        3,
    ).totals
    assert t["fallbacks"] == 0 and t["contracts_etti"] == t["contracts"] > 0


def test_lapse_blame_is_posts_then_caseload_then_preparation_then_referrals():
    # 1 FTE, people queue for intake while others are in preparation: the caseload is to blame
    sc = load(
        None,
        [
            "flow.facilitators.fte=1",
            "flow.referrals.per_year=400",
            "flow.preparation.share={rsa=1, under_26=1, ase=1, other=1}",
            "flow.missions.mode_shares={direct=1.0}",
        ],
    )
    t = simulate(sc, 1).totals
    assert t["lapsed_facilitators"] > 0.9 * (t["hours_lapsed"] - t["lapsed_works_timing"])
    assert t["lapsed_preparation"] < 0.1 * t["lapsed_facilitators"]
    # caseload large, everyone in a long preparation: preparation is to blame
    prep = simulate(
        small(
            "flow.facilitators.fte=100",
            "flow.preparation.share={rsa=1, under_26=1, ase=1, other=1}",
            'flow.preparation.duration_days={dist="fixed", value=300}',
            "flow.missions.mode_shares={direct=1.0}",
        ),
        1,
    ).totals
    assert prep["lapsed_preparation"] > 0.5 * prep["hours_lapsed"]
    assert prep["lapsed_facilitators"] == 0
    # SIAE posts short and people waiting for intake: the posts are to blame first
    posts = simulate(
        small(
            "flow.facilitators.fte=0.2",
            "flow.missions.mode_shares={etti=1.0}",
            "flow.siae.posts.etti=0",
            "flow.siae.fallback_to=[]",
        ),
        1,
    ).totals
    assert posts["lapsed_siae_etti"] == pytest.approx(
        posts["hours_lapsed"] - posts["lapsed_works_timing"]
    )


@pytest.mark.parametrize("siae", SIAE_TYPES)
def test_each_siae_type_has_its_own_posts(siae):
    others = ", ".join(f"{t}=0" for t in SIAE_TYPES if t != siae)
    run = simulate(
        small(
            f"flow.missions.mode_shares={{{siae}=1.0}}",
            f"flow.siae.posts={{{siae}=2, {others}}}",
            "flow.siae.fallback_to=[]",
            *ABUNDANT_PEOPLE,
        ),
        4,
    )
    assert run.totals[f"contracts_{siae}"] == run.totals["contracts"] > 0
    assert np.nanmax(run.monthly[f"siae_occupancy_{siae}"]) <= 1.0 + 1e-9


def test_a_timer_of_an_earlier_ready_spell_does_not_end_the_next_one():
    from sim.model.states import GONE, MISSION, READY

    sc = small("flow.missions.mode_shares={direct=1.0}", *NO_STEPS)
    m = FlowModel(sc, replication_seed(1, 0))
    m.intake(0)  # job-ready with no offer yet: waits, its give-up timer set
    first = m.people[0].spell
    m.release(0)  # placed at once
    assert m.people[0].state == MISSION
    m.job_ready(0)  # job-ready again after the mission: a new spell
    m.ready_timeout(0, first, True)  # the first spell's timer fires late
    assert m.people[0].state == READY
    m.ready_timeout(0, m.people[0].spell, True)  # its own timer does end it
    assert m.people[0].state == GONE


def test_a_mission_records_the_wait_since_the_person_became_job_ready():
    """Job-ready at day 5 (intake, no steps), an offer released at day 12: a wait of 7 days."""
    sc = small("flow.missions.mode_shares={direct=1.0}", *NO_STEPS)
    m = FlowModel(sc, replication_seed(1, 0))
    m.now = 5.0
    m.intake(0)
    m.now = 12.0
    m.release(0)
    assert [(x.person, x.start, x.wait) for x in m.missions] == [(0, 12.0, 7.0)]
