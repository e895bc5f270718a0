"""A person's record: what it starts with, and the barrier places it holds until exit."""

from __future__ import annotations

import math

from sim.model import FlowModel
from sim.model.person import Person
from sim.model.states import BARRIER, BARRIER_WAIT, GONE, WAITING
from sim.streams import replication_seed

from .conftest import small

ALL = "{{rsa={0}, under_26={0}, ase={0}, other={0}}}"


def test_a_new_person_waits_with_nothing_yet():
    p = Person()
    assert p.state == WAITING
    assert math.isnan(p.intake_t) and math.isnan(p.exit_t)
    assert (p.intake_seq, p.exit_seq, p.gave_up) == (-1, -1, False)
    assert p.deadline_t == math.inf
    assert (p.held, p.spell, p.ready_since, p.held_share, p.last_mode) == (0, 0, 0.0, 0.0, 0)
    # by default: never gives up, no preparation, no barrier, first priority class
    assert (p.patience, p.parcours, p.prep, p.prep_days) == (math.inf, math.inf, False, 0.0)
    assert (p.klass, p.needs, p.mobility_days, p.childcare_days) == (0, 0, 0.0, 0.0)


def test_records_are_one_a_person_and_kept_apart():
    m = FlowModel(small(), replication_seed(1, 0))
    assert len(m.people) == len(m.arrival) > 2
    assert len({id(p) for p in m.people}) == len(m.people)
    m.intake(1)
    assert m.people[1].intake_t == 0.0 and m.people[1].intake_seq == 0
    assert math.isnan(m.people[0].intake_t) and math.isnan(m.people[2].intake_t)


def test_an_exit_frees_every_barrier_place_held_mobility_first():
    """One place a barrier, everyone has both: person 0 holds both places, person 1 waits for
    mobility's. Person 0's exit gives mobility's place to person 1 and frees childcare's."""
    sc = small(
        f"flow.preparation.share={ALL.format(0)}",
        f"flow.barriers.mobility.share={ALL.format(1)}",
        f"flow.barriers.childcare.share={ALL.format(1)}",
        "flow.barriers.mobility.places=1",
        "flow.barriers.childcare.places=1",
    )
    m = FlowModel(sc, replication_seed(1, 0))
    m.intake(0)  # takes mobility's place
    m.barrier(0, 1)  # then childcare's
    assert m.people[0].held == 0b11 and m.barrier_free == [0, 0]
    m.intake(1)
    assert m.people[1].state == BARRIER_WAIT and m.people[1].held == 0
    m.exit(0)
    assert m.people[0].state == GONE and m.people[0].held == 0
    assert m.people[1].state == BARRIER and m.people[1].held == 0b01
    assert m.barrier_free == [0, 1]


def test_what_a_person_brings_is_in_their_record():
    """Fixed draws: every record holds them; the priority public's people are in class 0."""
    sc = small(
        'flow.facilitators.patience_days={dist="fixed", value=30}',
        'flow.facilitators.max_parcours_days={dist="fixed", value=200}',
        'flow.facilitators.priority=["rsa"]',
        f"flow.preparation.share={ALL.format(1)}",
        'flow.preparation.duration_days={dist="fixed", value=10}',
        f"flow.barriers.mobility.share={ALL.format(1)}",
        'flow.barriers.mobility.delay_days={dist="fixed", value=5}',
        f"flow.barriers.childcare.share={ALL.format(0)}",
    )
    m = FlowModel(sc, replication_seed(1, 0))
    m.make_people(len(m.arrival))  # every record, past the first chunk if there were more
    for p, public in zip(m.people, m.public, strict=True):
        assert (p.patience, p.parcours, p.prep, p.prep_days) == (30.0, 200.0, True, 10.0)
        assert (p.needs, p.mobility_days) == (0b01, 5.0)
        assert p.klass == (0 if public == 0 else 1)  # rsa is the first public
    assert {p.klass for p in m.people} == {0, 1}


def test_an_exit_frees_only_the_places_held():
    """Person 0 holds mobility's place only (childcare's is free, they do not need it): their
    exit frees mobility's place and leaves childcare's count as it was."""
    sc = small(
        f"flow.preparation.share={ALL.format(0)}",
        f"flow.barriers.mobility.share={ALL.format(1)}",
        f"flow.barriers.childcare.share={ALL.format(0)}",
        "flow.barriers.mobility.places=1",
        "flow.barriers.childcare.places=1",
    )
    m = FlowModel(sc, replication_seed(1, 0))
    m.intake(0)
    assert m.people[0].held == 0b01 and m.barrier_free == [0, 1]
    m.exit(0)
    assert m.people[0].held == 0 and m.barrier_free == [1, 1]


def test_preparation_and_barriers_are_drawn_person_by_person():
    """Shares of one half: about half the people need each step, drawn apart (not one draw for
    all, not the same draw for both barriers)."""
    sc = small(
        "flow.referrals.per_year=300",
        f"flow.preparation.share={ALL.format(0.5)}",
        f"flow.barriers.mobility.share={ALL.format(0.5)}",
        f"flow.barriers.childcare.share={ALL.format(0.5)}",
    )
    m = FlowModel(sc, replication_seed(1, 0))
    m.make_people(len(m.arrival))  # every record, past the first chunk if there were more
    n = len(m.people)
    prep = sum(p.prep for p in m.people) / n
    mobility = sum(p.needs & 1 for p in m.people) / n
    childcare = sum(p.needs >> 1 for p in m.people) / n
    both = sum(p.needs == 0b11 for p in m.people) / n
    assert n > 800
    assert 0.45 < prep < 0.55 and 0.45 < mobility < 0.55 and 0.45 < childcare < 0.55
    assert 0.2 < both < 0.3  # independent draws: a quarter need both


def test_records_made_a_chunk_at_a_time_as_people_arrive_hold_each_person_s_own_draws():
    """About 9,000 people, more than eight chunks of records: the first chunk is made with the
    model, the others as people arrive; each record holds that person's patience and parcours
    length as drawn for everybody at once, nobody skipped or shifted."""
    from sim.model.referrals import PEOPLE_CHUNK
    from sim.streams import sample, stream

    sc = small(
        "flow.referrals.per_year=3000",
        'flow.facilitators.patience_days={dist="exponential", mean=100}',
        'flow.facilitators.max_parcours_days={dist="uniform", low=300, high=900}',
    )
    seed = replication_seed(2, 0)
    m = FlowModel(sc, seed)
    n = len(m.arrival)
    assert n > 8 * PEOPLE_CHUNK
    assert len(m.people) == PEOPLE_CHUNK  # the first chunk
    m.arrive(0)
    assert len(m.people) == PEOPLE_CHUNK
    m.arrive(PEOPLE_CHUNK)  # the first of the next chunk makes it
    assert len(m.people) == 2 * PEOPLE_CHUNK
    m = FlowModel(sc, seed)
    run = m.simulate()
    assert len(m.people) == n and run.totals["referrals"] == n
    assert len({id(p) for p in m.people}) == n
    fac = sc.flow.facilitators
    patience = sample(stream(seed, "intake_patience"), fac.patience_days, n)
    parcours = sample(stream(seed, "parcours"), fac.max_parcours_days, n)
    assert [p.patience for p in m.people] == patience.tolist()
    assert [p.parcours for p in m.people] == parcours.tolist()


def test_the_results_make_the_records_of_people_not_yet_arrived():
    """A model whose loop has not run: its results still read one record a person."""
    m = FlowModel(small("flow.referrals.per_year=3000"), replication_seed(2, 0))
    fields = m.person_fields()
    assert len(m.people) == len(m.arrival) == fields["intake_t"].size > 1024


def test_people_taken_in_on_1_january_count_in_the_new_year_s_cohort():
    """The caseload triples on 1 January of year 2 while people wait (they never give up): some
    are taken in at 365 days exactly. The cohorts (from each record's intake time) are the
    intakes counted year by year as they happened, in the year of the clock."""
    sc = small(
        "flow.referrals.per_year=400",
        "flow.facilitators.fte=[0.5, 1.5, 1.5]",
        'flow.facilitators.patience_days="none"',
    )
    m = FlowModel(sc, replication_seed(3, 0))
    run = m.simulate()
    on_1_january = [p for p in m.people if p.intake_t == 365.0]
    assert len(on_1_january) > 5
    assert run.cohort_people.tolist() == run.yearly["intakes"].tolist()
    assert run.cohort_people[1] >= len(on_1_january)
