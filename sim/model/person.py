"""A person's record: what they bring (drawn up front) and what changes for them in the flow.

One record a person, its fields side by side: the handlers read a person's state, job-ready
spell, times and draws together, where one list a field cost a crowded programme a cache miss a
field (in the compiled model, a record's numbers are stored unboxed in it, where a list holds
pointers to numbers stored elsewhere). Arrival times stay in a list: they are read in order.

In the compiled model the fields lie in the order ``__init__`` first sets them, by when they are
read: what most calls read (state, spell, end of the parcours, places held, start of the job-ready
spell) first, in the cache line of the record's reference count (19 fields: a record of 192
bytes with the collector's header, which Python's allocator places at 48 bytes into a cache
line, so that the count begins the next); then what missions, barriers and the exit read; last
what is read at arrival and intake, soon after the record is made (the records are made a
chunk at a time as people arrive, see :mod:`sim.model.referrals`). A crowded programme's loop
(a quarter of a million records) was about 5 % shorter than with the drawn fields first. The
year of intake is not kept: the results take it from the intake time.
"""

from __future__ import annotations

import math

from .states import WAITING


class Person:
    """What changes for one person during a replication (times in days)."""

    __slots__ = (
        "childcare_days",
        "deadline_t",
        "exit_seq",
        "exit_t",
        "gave_up",
        "held",
        "held_share",
        "intake_seq",
        "intake_t",
        "klass",
        "last_mode",
        "mobility_days",
        "needs",
        "parcours",
        "patience",
        "prep",
        "prep_days",
        "ready_since",
        "spell",
        "state",
    )

    def __init__(
        self,
        patience: float = math.inf,
        parcours: float = math.inf,
        prep: bool = False,
        prep_days: float = 0.0,
        klass: int = 0,
        needs: int = 0,
        mobility_days: float = 0.0,
        childcare_days: float = 0.0,
    ) -> None:
        # read by most calls: first, in the reference count's cache line
        self.state = WAITING  # see sim.model.states
        self.spell = 0  # job-ready spells so far (a timer names the spell it was set for)
        self.deadline_t = math.inf  # end of the parcours, set at intake
        self.held = 0  # barrier places held: bit b for barrier b (0 mobility, 1 childcare)
        self.ready_since = 0.0  # start of the current job-ready spell
        # read by missions, barriers and the exit: the second line
        self.held_share = 0.0  # share of a post held by the mission in progress (FTE)
        self.last_mode = 0  # route of the last mission (index in sim.scenario.MODES)
        self.exit_t = math.nan  # exit (NaN: not yet)
        self.exit_seq = -1  # exits before theirs in the run (-1: not exited)
        self.gave_up = False  # exited giving up waiting for a mission
        self.prep = prep  # goes through a preparatory step (a flag beside the other)
        self.needs = needs  # barriers to lift: bit b for barrier b (0 mobility, 1 childcare)
        self.mobility_days = mobility_days  # delay to lift each
        self.childcare_days = childcare_days
        # read at arrival and intake, soon after the record is made: the third line
        self.prep_days = prep_days  # length of the preparatory step
        self.parcours = parcours  # longest parcours, from intake
        self.patience = patience  # waiting for intake before giving up
        self.klass = klass  # priority class in the intake queue (0 first)
        self.intake_t = math.nan  # taken in charge (NaN: not yet)
        self.intake_seq = -1  # intakes before theirs in the run (-1: not taken in)
