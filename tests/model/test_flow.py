"""The replication's set-up: draws served to the model one at a time."""

import numpy as np

from sim.model.flow import Served
from sim.scenario import Dist
from sim.streams import BATCH, sample


def test_served_draws_are_the_batches_in_order_across_refills():
    d = Dist("exponential", {"mean": 5})
    g = np.random.default_rng(3)
    served = Served(lambda: sample(g, d, BATCH).tolist())
    first = [served.next() for _ in range(2 * BATCH + 7)]
    h = np.random.default_rng(3)
    expected = np.concatenate([sample(h, d, 512) for _ in range(3)])[: 2 * 512 + 7]
    np.testing.assert_array_equal(first, expected)


def test_served_calls_fill_only_when_a_batch_is_used_up():
    batches = iter([[1.0, 2.0], [3.0], [4.0, 5.0]])
    calls = []

    def fill() -> list[float]:
        calls.append(1)
        return next(batches)

    served = Served(fill)
    assert calls == []  # nothing drawn before the first use
    assert [served.next() for _ in range(4)] == [1.0, 2.0, 3.0, 4.0]
    assert len(calls) == 3
