"""The projector's bulk observation of lags gives the histogram exactly what one ``observe`` per value gives."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Histogram

from projections.projector import LAG, observe_many

BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0)


def samples(histogram: Histogram) -> dict[str, float]:
    return {f"{s.name}{sorted(s.labels.items())}": s.value for m in histogram.collect() for s in m.samples
            if not s.name.endswith("_created")}


def test_observe_many_equals_observe_per_value_including_values_on_a_bucket_bound_and_beyond_the_last() -> None:
    rng = random.Random(7)
    values = [rng.choice([0.0, *BUCKETS, 61.0, 1e6]) for _ in range(200)] + [rng.uniform(0, 70) for _ in range(500)]
    one_by_one = Histogram("one_by_one", "", buckets=BUCKETS, registry=CollectorRegistry())
    in_bulk = Histogram("in_bulk", "", buckets=BUCKETS, registry=CollectorRegistry())
    for value in values:
        one_by_one.observe(value)
    observe_many(in_bulk, values[:300])
    observe_many(in_bulk, values[300:])
    observe_many(in_bulk, [])
    expected = {k.replace("one_by_one", "in_bulk"): v for k, v in samples(one_by_one).items()}
    assert samples(in_bulk).keys() == expected.keys()
    for key, value in expected.items():
        assert abs(samples(in_bulk)[key] - value) < 1e-6, key
    assert expected["in_bulk_count[]"] == len(values)


def test_the_lag_histogram_has_the_bucket_counters_observe_many_relies_on() -> None:
    histogram = LAG.labels("contracts")  # a label the runners create anyway
    assert all(hasattr(histogram, name) for name in ("_upper_bounds", "_buckets", "_sum"))
