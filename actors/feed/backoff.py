"""Reconnect backoff: exponential, capped, full jitter, reset after a healthy connection. Pure (clock and RNG in).

A connection is *healthy* when it delivered data and stayed up for at least ``healthy_after_s``; the failure count
then resets when it ends (:meth:`Backoff.disconnected`), so a venue that drops every connection after 20 s (a
periodic disconnect) is reconnected at once each time instead of climbing to the cap. It also resets while
connected once the connection has been up for ``reset_after_s`` (:meth:`Backoff.tick`).

Full jitter as in AWS Architecture Blog, "Exponential Backoff And Jitter" (2015): the n-th consecutive
failure waits ``uniform(0, min(cap_s, base_s * 2**n))`` seconds, so reconnecting clients spread out instead of
stampeding a venue that just came back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """Delays for consecutive failures.

    Args:
        base_s: first ceiling (s).
        cap_s: largest ceiling (s).
        reset_after_s: a connection up this long (s) resets the failure count while still connected.
        healthy_after_s: a connection that delivered data and lasted this long (s) resets it when it ends.
        rng: the randomness (seed it in tests).

    Attributes:
        failures: consecutive failures since the last reset.
    """

    base_s: float = 0.5
    cap_s: float = 30.0
    reset_after_s: float = 60.0
    healthy_after_s: float = 5.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    _healthy_since_s: float | None = None

    def next_delay_s(self) -> float:
        """Record a failure and return how long to wait (s) before the next attempt."""
        ceiling = min(self.cap_s, self.base_s * (2 ** min(self.failures, 30)))
        self.failures += 1
        self._healthy_since_s = None
        return self.rng.uniform(0.0, ceiling)

    def connected(self, now_s: float) -> None:
        """Record a successful connection at ``now_s`` (monotonic seconds)."""
        self._healthy_since_s = now_s

    def disconnected(self, now_s: float, delivered: bool) -> None:
        """Record the end of a connection at ``now_s``; ``delivered``: it received at least one data frame."""
        if delivered and self._healthy_since_s is not None and now_s - self._healthy_since_s >= self.healthy_after_s:
            self.failures = 0
        self._healthy_since_s = None

    def tick(self, now_s: float) -> None:
        """Reset the failure count once the connection has been healthy for ``reset_after_s``."""
        if self._healthy_since_s is not None and now_s - self._healthy_since_s >= self.reset_after_s:
            self.failures = 0
