"""Prometheus metrics through Ray's metrics API (exported by every Ray node's metrics agent).

Ray aggregates ``ray.util.metrics`` from all actors and exposes them for Prometheus on each node
(``ray metrics launch-prometheus`` or the node's ``metrics_export_port``). Metric objects are created lazily
and only inside a Ray worker, so pure code and unit tests never touch Ray.
"""

from __future__ import annotations

__all__ = ["LATENCY_BOUNDARIES_MS", "RayMetricsSink", "counter", "gauge", "latency_histogram", "percentiles_ms"]

LATENCY_BOUNDARIES_MS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]


def _in_ray() -> bool:
    try:
        import ray
    except ImportError:  # pragma: no cover
        return False
    return ray.is_initialized()


def latency_histogram(name: str, description: str, tag_keys: tuple[str, ...] = ()):
    """A Ray ``Histogram`` in ms with :data:`LATENCY_BOUNDARIES_MS`, or None outside Ray."""
    if not _in_ray():
        return None
    from ray.util.metrics import Histogram

    return Histogram(name, description=description, boundaries=LATENCY_BOUNDARIES_MS, tag_keys=tag_keys)


def counter(name: str, description: str, tag_keys: tuple[str, ...] = ()):
    """A Ray ``Counter``, or None outside Ray."""
    if not _in_ray():
        return None
    from ray.util.metrics import Counter

    return Counter(name, description=description, tag_keys=tag_keys)


def gauge(name: str, description: str, tag_keys: tuple[str, ...] = ()):
    """A Ray ``Gauge``, or None outside Ray."""
    if not _in_ray():
        return None
    from ray.util.metrics import Gauge

    return Gauge(name, description=description, tag_keys=tag_keys)


class RayMetricsSink:
    """Records :mod:`actors.telemetry` samples as Ray metrics (made on first use, one object per series).

    A counter's label set is exported from its first sample, at 0 when its total is 0 (through
    ``Metric._record``: ``Counter.inc`` refuses 0 in Ray 2.60, ``ray/util/metrics.py``), so Prometheus'
    ``rate()`` / ``increase()`` count the first event.

    Used by the run's driver, itself a Ray worker, so the series are exported by the driver's node (the head
    node with ``--address auto``). Outside Ray it records nothing.
    """

    def __init__(self) -> None:
        from actors.telemetry import CounterTotals

        self._metrics: dict[str, object] = {}
        self._totals = CounterTotals()

    def record(self, samples) -> int:
        """Set every gauge and add every counter's increment. Returns how many samples were recorded."""
        from actors.telemetry import SERIES

        if not _in_ray():
            return 0
        n = 0
        for sample in samples:
            metric = self._metrics.get(sample.name)
            kind, description, keys = SERIES[sample.name]
            if metric is None:
                make = counter if kind == "counter" else gauge
                metric = self._metrics[sample.name] = make(sample.name, description, keys)
            tags = dict(sample.tags) or None
            if kind == "counter":
                new = self._totals.is_new(sample)
                inc = self._totals.increment(sample)
                if inc > 0:
                    metric.inc(inc, tags=tags)
                elif new:  # exported at 0 from the first sample; Ray's inc() refuses 0, its _record() takes it
                    metric._record(0.0, tags=tags)
            else:
                metric.set(sample.value, tags=tags)
            n += 1
        return n


def percentiles_ms(sorted_ns: list[int]) -> dict:
    """``{"count", "p50", "p99", "max"}`` in ms (3 decimals) of ascending nanosecond samples (None when empty)."""
    if not sorted_ns:
        return {"count": 0, "p50": None, "p99": None, "max": None}
    n = len(sorted_ns)
    pick = lambda q: round(sorted_ns[min(n - 1, int(n * q))] / 1e6, 3)  # noqa: E731
    return {"count": n, "p50": pick(0.5), "p99": pick(0.99), "max": round(sorted_ns[-1] / 1e6, 3)}
