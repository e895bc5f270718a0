"""Random streams: one root seed -> one seed per replication -> one named stream per process.

Replication ``i`` of root seed ``s`` uses ``SeedSequence(s, spawn_key=(i,))``, which is what
``SeedSequence(s).spawn(n)[i]`` gives, so any replication can be computed alone, in any worker,
in any order. Within a replication each random process (referrals, durations, matching,
outcomes...) draws from its own generator, keyed by a stable hash of its name: two scenarios run
with the same seed share their random numbers process by process (common random numbers).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .scenario import Dist

DEFAULT_SEED = 20230612
"""Default root seed: the date of deliberation 2023-243 (12 June 2023)."""

BATCH = 512
"""Draws are made in batches of this size and served one at a time (speed)."""


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed of one replication: equal to ``SeedSequence(seed).spawn(n)[replication]``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(replication),))


def stream(rep_seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The named generator of a replication (stable across runs, scenarios and versions)."""
    key = (*rep_seed.spawn_key, zlib.crc32(name.encode()))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(rep_seed.entropy, spawn_key=key))
    )


def sample(gen: np.random.Generator, dist: Dist, size: int) -> np.ndarray:
    """``size`` draws of a distribution spec (``none`` gives +inf)."""
    p: Any = dist.params
    kind = dist.kind
    if kind == "none":
        return np.full(size, np.inf)
    if kind == "exponential":
        return gen.exponential(p["mean"], size)
    if kind == "fixed":
        return np.full(size, float(p["value"]))
    if kind == "uniform":
        return gen.uniform(p["low"], p["high"], size)
    if kind == "triangular":
        return gen.triangular(p["low"], p["mode"], p["high"], size)
    if kind == "lognormal":
        mean, sd = float(p["mean"]), float(p["sd"])
        sigma2 = math.log1p((sd / mean) ** 2)
        return gen.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)
    if kind == "empirical":
        values = np.asarray(p["values"], dtype=float)
        w = np.asarray(p.get("weights", np.ones(values.size)), dtype=float)
        return gen.choice(values, size=size, p=w / w.sum())
    raise ValueError(f"unknown distribution {kind!r}")


def uniforms(gen: np.random.Generator) -> Iterator[float]:
    """U(0, 1) draws served one at a time (``next()``), drawn in batches."""
    while True:
        yield from gen.random(BATCH).tolist()
