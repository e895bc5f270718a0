"""Caseload and intake: clause facilitators hold a caseload of ``fte x caseload_per_fte`` slots.

A person holds a slot from intake to exit. The FTE may change each 1 January (a list of one value
a year); in run-out years it follows the run-out rule (see :mod:`sim.model.referrals`), but
never drops below the people still in the caseload on 1 January. People
wait first come first served, or by public (``priority``), and give up after a drawn patience
(days). At intake a person's parcours clock starts (maximum length ``max_parcours_days``).
"""

from __future__ import annotations

import math

from .states import END_PARCOURS, GONE, NEXT_BARRIER, PREP, PREP_WAIT, WAITING


def caseload_slots(fte: float, caseload_per_fte: float) -> int:
    """Slots of a caseload (people at once): whole people, FTE x caseload per FTE rounded down."""
    return math.floor(fte * caseload_per_fte + 1e-9)


class Caseload:
    """Intake queue, caseload slots and the yearly capacity change."""

    capacity: int
    slots: list[int]

    def renege(self, i: int) -> None:
        if self.people[i].state != WAITING:
            return
        self.set_state(i, GONE)
        self.waiting -= 1
        now = self.now
        self.lv_wait.add(now, -1)
        self.y_gave_up_intake[self.y] = self.y_gave_up_intake[self.y] + 1
        self.w_gave_up.append(now - self.arrival[i])

    def admit(self) -> None:
        """Take people from the intake queue while slots are free."""
        now = self.now
        while self.waiting and self.lv_occ.value < self.capacity:
            for q in self.queues:
                while q and self.people[q[0]].state != WAITING:
                    q.popleft()
                if q:
                    i = q.popleft()
                    break
            self.waiting -= 1
            self.lv_wait.add(now, -1)
            self.intake(i)

    def intake(self, i: int) -> None:
        now = self.now
        y = self.y
        self.lv_occ.add(now, 1)
        self.track_full()
        self.y_intakes[y] = self.y_intakes[y] + 1
        p = self.people[i]
        p.intake_t = now  # the wait since referral is counted in the results
        p.intake_seq = self.n_taken
        self.n_taken += 1
        p.deadline_t = now + p.parcours
        if p.prep:
            if self.prep_quota is None:
                self.set_state(i, PREP)
                self.at(now + p.prep_days, NEXT_BARRIER, i, 0)
            else:
                self.set_state(i, PREP_WAIT)
                self.prep_queue.append(i)
                self.at(p.deadline_t, END_PARCOURS, i)
                self.start_prep()
        else:
            self.barrier(i, 0)

    def track_full(self) -> None:
        """Keep the at-capacity indicator of the caseload."""
        full = self.lv_occ.value >= self.capacity
        if full != (self.lv_fac_full.value > 0):
            self.lv_fac_full.add(self.now, 1 if full else -1)

    def new_year(self, y: int) -> None:
        """1 January of year ``y``: the year's caseload and preparation places."""
        now = self.now
        self.y = y
        if y > 0:
            self.active_end[y - 1] = int(self.lv_occ.value)
        cap = self.slots[y]
        if y >= self.h:  # run-out: tapered, but never below the people still accompanied
            cap = max(cap, int(self.lv_occ.value))
        self.lv_cap.add(now, cap - self.capacity)
        self.capacity = cap
        self.track_full()
        self.admit()
        if self.flow.preparation.places_per_year is not None:
            self.prep_quota = self.flow.preparation.places_per_year
            self.start_prep()
