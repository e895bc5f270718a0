"""Random streams: seeds per replication, named streams, distribution draws."""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import Dist
from sim.streams import replication_seed, sample, stream, uniforms


def test_replication_seed_is_the_spawned_child():
    children = np.random.SeedSequence(42).spawn(5)
    for i, child in enumerate(children):
        a = np.random.default_rng(child).random(3)
        b = np.random.default_rng(replication_seed(42, i)).random(3)
        np.testing.assert_array_equal(a, b)


def test_named_streams_are_stable_and_distinct():
    r = replication_seed(1, 0)
    a1, a2, b = stream(r, "referrals"), stream(r, "referrals"), stream(r, "outcomes")
    x1, x2, y = a1.random(5), a2.random(5), b.random(5)
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, y)
    assert not np.array_equal(x1, stream(replication_seed(1, 1), "referrals").random(5))


@pytest.mark.parametrize(
    ("spec", "mean", "sd"),
    [
        ({"mean": 90}, 90, 90),
        ({"mean": 900, "sd": 350}, 900, 350),
        ({"low": 20, "mode": 45, "high": 90}, (20 + 45 + 90) / 3, None),
        ({"low": 20, "high": 35}, 27.5, 15 / np.sqrt(12)),
        ({"value": 730}, 730, 0),
        ({"values": [1, 2, 10], "weights": [1, 1, 2]}, 23 / 4, None),
    ],
)
def test_sample_moments(spec, mean, sd):
    kind = {
        ("mean",): "exponential",
        ("mean", "sd"): "lognormal",
        ("low", "mode", "high"): "triangular",
        ("low", "high"): "uniform",
        ("value",): "fixed",
        ("values", "weights"): "empirical",
    }[tuple(spec)]
    d = Dist(kind, spec)
    x = sample(np.random.default_rng(0), d, 200_000)
    assert d.mean == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, rel=0.01)
    if sd is not None:
        assert x.std() == pytest.approx(sd, rel=0.02, abs=1e-9)


def test_none_is_never():
    assert np.isinf(sample(np.random.default_rng(0), Dist("none"), 3)).all()


def test_uniforms_serve_the_batched_sequence():
    it = uniforms(np.random.default_rng(4))
    first = [next(it) for _ in range(1030)]
    g = np.random.default_rng(4)
    expected = np.concatenate([g.random(512), g.random(512), g.random(512)])[:1030]
    np.testing.assert_array_equal(first, expected)
