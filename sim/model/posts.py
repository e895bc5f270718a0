"""SIAE posts: what work-integration structures can host at once, counted in FTE.

Each SIAE type (ETTI, AI, GEIQ: staff lending; EI, ACI: subcontracting) has ``posts`` that
clause missions may use at once. A mission of ``w`` hours a week holds ``w /
post_hours_per_week`` of a post (35 h: a full-time post), from its start to its end. A type is
*at capacity* when its free room is less than a mission of the route's mean weekly hours needs.
When a post frees, it goes to the oldest open offer of its type that fits, if someone is
job-ready.
"""

from __future__ import annotations

from typing import Final

EPS: Final = 1e-9


class Posts:
    """Posts held by missions, by SIAE type (index 0, direct hire, needs none)."""

    def room(self, m: int, k: int) -> bool:
        """Whether offer ``k`` can start now on route ``m`` (a post of its share is free)."""
        return m == 0 or self.busy[m] + self.o_share[k] <= self.posts[m] + EPS

    def take_post(self, m: int, share: float) -> None:
        self.busy[m] = self.busy[m] + share
        self.lv_posts[m].add(self.now, share)
        self.track_posts(m)

    def free_post(self, m: int, share: float) -> None:
        self.busy[m] = self.busy[m] - share
        self.lv_posts[m].add(self.now, -share)
        self.track_posts(m)
        self.fill_mode(m)

    def track_posts(self, m: int) -> None:
        """Keep the at-capacity indicator of SIAE type ``m``."""
        lv = self.lv_post_full[m]
        full = self.posts[m] - self.busy[m] < self.full_share[m] - EPS
        if full != (lv.value > 0):
            lv.add(self.now, 1 if full else -1)

    def fill_mode(self, m: int) -> None:
        """A post of SIAE type ``m`` is free: give it to the oldest open offer of that type."""
        q = self.open[m]
        while q:
            k = q[0]
            if not self.o_open[k] or self.o_mode[k] != m:
                q.popleft()
                continue
            if not self.room(m, k):
                return
            i = self.next_ready()
            if i < 0:
                return
            q.popleft()
            self.start_mission(i, k)
