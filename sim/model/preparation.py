"""Preparation and barriers: the steps between intake and being job-ready.

A share of each public goes through a preparatory step ("sas préparatoire", qualification) of a
drawn duration (days), optionally limited to ``places_per_year`` starts a year (people wait for a
place). Then a mobility and a childcare barrier are lifted in turn, each after a drawn delay
(days), each optionally needing one of ``places`` held until the person exits. A person whose
parcours ended meanwhile exits instead of going on.
"""

from __future__ import annotations

from .states import BARRIER, BARRIER_WAIT, END_PARCOURS, GONE, NEXT_BARRIER, PREP, PREP_WAIT


class Preparation:
    """Preparatory places and barrier places."""

    def set_state(self, i: int, state: int) -> None:
        """Change a person's state, keeping the count of people in each state and the indicator
        of people waiting for a preparation place."""
        n = self.n_state
        p = self.people[i]
        old = p.state
        n[old] = n[old] - 1
        n[state] = n[state] + 1
        p.state = state
        if (state == PREP_WAIT or old == PREP_WAIT) and (n[PREP_WAIT] > 0) != (
            self.lv_prep_full.value > 0
        ):
            self.lv_prep_full.add(self.now, 1 if n[PREP_WAIT] > 0 else -1)

    def start_prep(self) -> None:
        """Start the preparation of waiting people while places are left this year."""
        now = self.now
        q = self.prep_queue
        while q and self.prep_quota:
            i = q.popleft()
            p = self.people[i]
            if p.state != PREP_WAIT:
                continue
            self.prep_quota -= 1
            self.set_state(i, PREP)
            self.at(now + p.prep_days, NEXT_BARRIER, i, 0)

    def barrier(self, i: int, b: int) -> None:
        """Lift barrier ``b`` (0 mobility, 1 childcare) if the person has it, then the next."""
        p = self.people[i]
        if p.state == GONE:
            return
        if self.now >= p.deadline_t:
            self.exit(i)
            return
        while b < 2 and not (p.needs >> b) & 1:
            b += 1
        if b == 2:
            self.job_ready(i)
            return
        if self.barrier_free[b] is not None:
            if self.barrier_free[b] == 0:
                self.set_state(i, BARRIER_WAIT)
                self.barrier_queue[b].append(i)
                self.at(p.deadline_t, END_PARCOURS, i)
                return
            self.barrier_free[b] = self.barrier_free[b] - 1
            p.held = p.held | (1 << b)
        self.set_state(i, BARRIER)
        self.at(
            self.now + (p.mobility_days if b == 0 else p.childcare_days), NEXT_BARRIER, i, b + 1
        )

    def free_barrier_place(self, b: int) -> None:
        """A place of barrier ``b`` is free: give it to the longest-waiting person."""
        q = self.barrier_queue[b]
        self.barrier_free[b] = self.barrier_free[b] + 1
        while q:
            i = q.popleft()
            if self.people[i].state == BARRIER_WAIT:
                self.barrier(i, b)
                return
