"""Offers and matching: job offers released by the works meet job-ready people.

* A released offer takes the longest-waiting job-ready person if it can start (an SIAE offer
  needs room in a post of its type); else it waits, oldest first within its route.
* A person who becomes job-ready takes the oldest open offer, over all routes, that can start now;
  else they wait and give up after a drawn patience (days).
* **Fallback**: an SIAE offer that still finds no room in a post of its type
  ``fallback_after_days`` after its release moves to the first route of ``fallback_to`` with room
  (another SIAE type, or direct hire, which always has room), as a facilitator would arrange. It
  then takes that route's mean weekly hours. Fallbacks are counted.
* An offer not filled by its expiry (the last moment a mission of ``min_hours`` still fits before
  its operation ends) **lapses**. Lapsed hours are blamed, in this order, on: SIAE posts of the
  offer's type if none has room; else the caseload if people wait for intake (``facilitators``);
  else people still in preparation or lifting barriers (``preparation``); else too few referrals
  (``referrals``). An offer released too late to fit at all lapses on ``works_timing``.
"""

from __future__ import annotations

import math

from ..scenario import MODES
from .states import (
    BARRIER,
    BARRIER_WAIT,
    EXPIRE,
    FALLBACK_DUE,
    GIVE_UP,
    PARCOURS_OVER,
    PREP,
    PREP_WAIT,
    READY,
    RELEASE,
)


class Matching:
    """Open offers by route, the job-ready queue, fallbacks, expiries and lapse blame."""

    def job_ready(self, i: int) -> None:
        now = self.now
        self.set_state(i, READY)
        p = self.people[i]
        p.ready_since = now
        spell = p.spell + 1
        p.spell = spell
        k = self.best_offer()
        if k >= 0:
            self.start_mission(i, k)
            return
        self.ready.append(i)
        # one timer: giving up or the end of the parcours, whichever comes first
        give_up = now + self.place_patience.next()
        deadline = p.deadline_t
        if give_up < deadline:
            self.at(give_up, GIVE_UP, i, spell)
        else:
            self.at(deadline, PARCOURS_OVER, i, spell)

    def best_offer(self) -> int:
        """The oldest open offer that can start now, over all routes (removed), or -1."""
        if not self.n_open:
            return -1
        best, best_t = -1, math.inf
        o_open, o_mode = self.o_open, self.o_mode
        for m, q in enumerate(self.open):
            while q and (not o_open[q[0]] or o_mode[q[0]] != m):
                q.popleft()
            if q and self.room(m, q[0]):
                t = self.o_release[q[0]]
                if t < best_t:
                    best, best_t = m, t
        return self.open[best].popleft() if best >= 0 else -1

    def next_ready(self) -> int:
        """The longest-waiting job-ready person (removed), or -1. The caller starts a mission
        for them: a person leaves the job-ready queue only so or by exiting (for good), so that
        one found still job-ready is in the spell they joined it in."""
        q = self.ready
        people = self.people
        while q:
            i = q.popleft()
            if people[i].state == READY:  # else exited while waiting
                return i
        return -1

    def release(self, k: int) -> None:
        """Offer ``k`` is released by the works (and the next release is scheduled)."""
        if k + 1 < self.n_release:
            self.at(self.o_release[k + 1], RELEASE, k + 1)
        now = self.now
        self.y_offered[self.y] = self.y_offered[self.y] + self.o_hours[k]
        if self.o_expiry[k] <= now:
            self.lapse(k, "works_timing")
            return
        self.o_open[k] = True
        self.n_open += 1
        m = self.o_mode[k]
        if m and self.fallback_idx and not self.room(m, k):
            if self.fallback_after > 0:
                self.at(now + self.fallback_after, FALLBACK_DUE, k)
            elif self.fall_back(k):
                m = self.o_mode[k]
        if self.room(m, k):
            i = self.next_ready()
            if i >= 0:
                self.start_mission(i, k)
                return
        self.o_cause[k] = self.lapse_cause(k)  # what keeps it waiting, if it later shrinks
        self.queue_offer(k)
        # a fallback to a route of fewer hours a week may have moved the expiry before now: the
        # offer then lapses right after this call
        self.at(max(self.o_expiry[k], now), EXPIRE, k)

    def queue_offer(self, k: int) -> None:
        """Put open offer ``k`` in its route's queue, kept in release order."""
        q = self.open[self.o_mode[k]]
        t = self.o_release[k]
        pos = len(q)
        rel = self.o_release
        while pos and rel[q[pos - 1]] > t:
            pos -= 1
        q.insert(pos, k)

    def fallback_due(self, k: int) -> None:
        """``fallback_after_days`` after release: fall back if still waiting for a post."""
        if not self.o_open[k] or self.room(self.o_mode[k], k):
            return
        if self.fall_back(k):
            m = self.o_mode[k]
            if self.room(m, k):
                i = self.next_ready()
                if i >= 0:
                    self.start_mission(i, k)

    def fall_back(self, k: int) -> bool:
        """Move SIAE offer ``k`` to the first fallback route with room; True if it moved."""
        m = self.o_mode[k]
        for r in self.fallback_idx:
            if r == m:
                continue
            weekly = self.route_weekly[r]
            share = weekly / self.post_hours
            if r and self.busy[r] + share > self.posts[r] + 1e-9:
                continue
            self.o_mode[k] = r
            self.o_weekly[k] = weekly
            self.o_share[k] = share
            self.o_expiry[k] = self.o_end[k] - self.min_hours / weekly * 7.0
            self.o_cause[k] = self.lapse_cause(k)
            self.queue_offer(k)
            self.y_fallbacks[self.y] = self.y_fallbacks[self.y] + 1
            return True
        return False

    def expire(self, k: int) -> None:
        if self.o_open[k]:
            if self.now < self.o_expiry[k]:  # a fallback moved its expiry later
                self.at(self.o_expiry[k], EXPIRE, k)
                return
            self.lapse(k, self.lapse_cause(k))

    def lapse(self, k: int, cause: str) -> None:
        if self.o_open[k]:
            self.o_open[k] = False
            self.n_open -= 1
        y, h = self.y, self.o_hours[k]
        self.y_lapsed[y] = self.y_lapsed[y] + h
        by_cause = self.lapsed_by[cause]
        by_cause[y] = by_cause[y] + h

    def lapse_cause(self, k: int) -> str:
        """What was short when offer ``k`` lapsed unfilled (see the module's blame order)."""
        m = self.o_mode[k]
        if m and not self.room(m, k):
            return f"siae_{MODES[m]}"
        if self.waiting:
            return "facilitators"
        n = self.n_state
        if n[PREP_WAIT] + n[PREP] + n[BARRIER_WAIT] + n[BARRIER]:
            return "preparation"
        return "referrals"
