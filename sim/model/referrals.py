"""Referrals: people sent to the clause facilitators, and what each brings.

People arrive as a Poisson process at a yearly rate (``flow.referrals.per_year``). During the
run-out years (after the horizon, while the last works finish) the ``taper`` rule scales the rate
to the offers still to come: the year's released clause hours over the last horizon year's
(``hold`` keeps the last year's rate). Each person has one main public (RSA, under 26, ASE,
other: it sets preparation, barriers, outcomes and priority) and may also meet other eligibility
criteria (DELD, TH, 50 and over, QPV), several at once, as clause reporting counts them. A
person's patience, parcours length, preparation and barriers are drawn up front, each from its own
named stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from ..scenario import CRITERIA, PUBLIC_GROUPS, PUBLICS, Scenario
from ..schedule import YEAR_DAYS
from ..streams import sample
from .person import Person
from .states import ARRIVE, RENEGE

PEOPLE_CHUNK: Final = 1024
"""People whose records are made at a time (about 200 kB: they stay in the caches until read)."""


def run_out_factors(scenario: Scenario, released_hours: Sequence[float]) -> list[float]:
    """Per simulated year, the share of the last horizon year's referral and facilitator level
    kept: 1 over the horizon; in run-out years, the year's released hours over the last horizon
    year's (rule ``taper``, capped at 1) or 1 (rule ``hold``)."""
    h = scenario.horizon_years
    ny = h + scenario.flow.run_out_years
    out = [1.0] * ny
    if scenario.flow.run_out_rule == "hold":
        return out
    last = released_hours[h - 1] if h - 1 < len(released_hours) else 0.0
    for y in range(h, ny):
        here = released_hours[y] if y < len(released_hours) else 0.0
        out[y] = min(1.0, here / last) if last > 0 else 0.0
    return out


def arrivals(scenario: Scenario, rng: np.random.Generator, factors: Sequence[float]) -> np.ndarray:
    """Arrival times (days) of every person referred, in order."""
    f = scenario.flow
    h = scenario.horizon_years
    times = []
    for y, k in enumerate(factors):
        rate = f.referrals_per_year[min(y, h - 1)] * k
        n = rng.poisson(rate)
        times.append(YEAR_DAYS * (y + np.sort(rng.random(n))))
    return np.concatenate(times) if times else np.empty(0)


def publics(
    scenario: Scenario, n: int, g: Callable[[str], np.random.Generator]
) -> tuple[np.ndarray, np.ndarray]:
    """Main public index (in :data:`PUBLICS`) of each person, and their membership of each of
    :data:`PUBLIC_GROUPS` (bool, n x groups)."""
    f = scenario.flow
    shares = np.array([f.publics[p] for p in PUBLICS])
    main = g("publics").choice(len(PUBLICS), size=n, p=shares / shares.sum())
    member = np.zeros((n, len(PUBLIC_GROUPS)), dtype=bool)
    for k, p in enumerate(PUBLICS):
        member[:, PUBLIC_GROUPS.index(p)] = main == k
    u = g("criteria").random((n, len(CRITERIA)))
    for k, c in enumerate(CRITERIA):
        member[:, PUBLIC_GROUPS.index(c)] = u[:, k] < f.criteria[c]
    # nobody is both under 26 and 50 or over
    member[:, PUBLIC_GROUPS.index("over_50")] &= ~member[:, PUBLIC_GROUPS.index("under_26")]
    return main, member


class Referrals:
    """Arrivals: a referred person is taken in charge at once if a slot is free and nobody waits,
    else joins the intake queue (by priority class) and gives up after their patience (days)."""

    def draw_people(self, factors: Sequence[float]) -> None:
        """Draw the people referred and what each brings (their records, and their arrival
        times, main publics and memberships)."""
        sc, g = self.sc, self.g
        f = sc.flow
        arrival = arrivals(sc, g("referrals"), factors)
        n = arrival.size
        self.arrival: list[float] = arrival.tolist()
        self.arrival_days = arrival  # the same, as an array (read when the results are built)
        main, member = publics(sc, n, g)
        self.public: list[int] = main.tolist()
        self.member = member  # (people, groups) bool, read when the results are built
        fac = f.facilitators
        patience = sample(g("intake_patience"), fac.patience_days, n)
        parcours = sample(g("parcours"), fac.max_parcours_days, n)
        gp = g("preparation")
        prep_share = np.array([f.preparation.share[p] for p in PUBLICS])[main]
        prep = gp.random(n) < prep_share
        prep_days = sample(gp, f.preparation.duration_days, n)
        gb = g("barriers")
        needs = np.zeros(n, dtype=np.int64)
        delays = []
        for k, b in enumerate((f.mobility, f.childcare)):
            share = np.array([b.share[p] for p in PUBLICS])[main]
            needs |= (gb.random(n) < share).astype(np.int64) << k
            delays.append(sample(gb, b.delay_days, n))
        mobility, childcare = delays
        order = {p: i for i, p in enumerate(fac.priority)}  # priority classes, the rest last
        klass = np.array([order.get(p, len(order)) for p in PUBLICS], dtype=np.int64)[main]
        # drawn for everybody at once, in the order of Person's arguments; the records are made
        # a chunk at a time as people arrive (see make_people)
        self.drawn: list[np.ndarray] = [
            patience,
            parcours,
            prep,
            prep_days,
            klass,
            needs,
            mobility,
            childcare,
        ]
        self.people: list[Person] = []
        self.make_people(min(n, PEOPLE_CHUNK))

    def make_people(self, upto: int) -> None:
        """Make the records of the people before ``upto`` (index, excluded), a chunk of
        :data:`PEOPLE_CHUNK` at a time: the arrivals make them as they come, so that a crowded
        programme's records are made where they are first read, not long before (when the
        memory they filled has left the processor's caches), and its draws are never all held
        as lists of Python numbers at once (typed lists: the compiled model reads them
        natively)."""
        people = self.people
        n = len(self.arrival)
        drawn = self.drawn
        while len(people) < upto:
            lo = len(people)
            hi = min(n, lo + PEOPLE_CHUNK)
            pa: list[float] = drawn[0][lo:hi].tolist()
            pc: list[float] = drawn[1][lo:hi].tolist()
            pr: list[bool] = drawn[2][lo:hi].tolist()
            pd: list[float] = drawn[3][lo:hi].tolist()
            kl: list[int] = drawn[4][lo:hi].tolist()
            ne: list[int] = drawn[5][lo:hi].tolist()
            mo: list[float] = drawn[6][lo:hi].tolist()
            ch: list[float] = drawn[7][lo:hi].tolist()
            for i in range(hi - lo):
                people.append(Person(pa[i], pc[i], pr[i], pd[i], kl[i], ne[i], mo[i], ch[i]))

    def arrive(self, i: int) -> None:
        """Person ``i`` is referred (and the next referral is scheduled)."""
        if i + 1 < self.n_people:
            self.at(self.arrival[i + 1], ARRIVE, i + 1)
        if i >= len(self.people):
            self.make_people(i + 1)
        self.y_referrals[self.y] = self.y_referrals[self.y] + 1
        if self.lv_occ.value < self.capacity and self.waiting == 0:
            self.intake(i)
            return
        person = self.people[i]
        self.queues[person.klass].append(i)
        self.waiting += 1
        now = self.now
        self.lv_wait.add(now, 1)
        p = person.patience
        if p != math.inf:
            self.at(now + p, RENEGE, i)
