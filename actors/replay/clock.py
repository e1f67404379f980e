"""The replay clock: which recorder time is "now" on a replay venue, and when each record is due. Pure.

Replay time is the recorder's clock (``CaptureRecord.ts_recv``, ns since the epoch): a record is *due* once replay
time reaches its timestamp. The clock maps replay time to a wall clock the caller passes in (``now_ns``, any
monotonic ns clock; the venue uses :func:`time.monotonic_ns`), so tests drive it with plain integers:

* finite ``speed`` (``1`` = real time, ``60`` = 60x): ``wall(ts) = anchor_wall + (ts - anchor_replay) / speed``;
* ``speed = math.inf`` ("max"): every record is due at once; the venue then paces by backpressure (the slowest
  subscriber), and replay time is the timestamp of the last record dispatched (:meth:`ReplayClock.observe`).

The clock starts paused at ``origin_ns`` (by default the recording's first timestamp). Several venues recorded
together (spot, USD-M, COIN-M) share one ``origin_ns`` and one wall start, so the same recorder time is due at the
same wall time on all of them. Records older than the origin are due immediately at start.
"""

from __future__ import annotations

import math
from enum import StrEnum

from actors.errors import ConfigError

__all__ = ["MAX_SPEED", "ClockState", "LatenessHistogram", "ReplayClock", "format_speed", "parse_speed"]

MAX_SPEED = math.inf
"""The speed value meaning "as fast as the slowest subscriber reads"."""


def parse_speed(value: str | float | int) -> float:
    """Parse a replay speed: ``"max"`` -> :data:`MAX_SPEED`; ``"1"``, ``"60"``, ``"0.5"``, ``"60x"`` -> a factor.

    Raises:
        ConfigError: not a number or ``max``, or not > 0.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("max", "inf", "infinity"):
            return MAX_SPEED
        text = text.removesuffix("x")
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"replay speed {value!r} is neither a positive number nor 'max'") from None
    speed = float(value)
    if math.isnan(speed) or speed <= 0:
        raise ConfigError(f"replay speed must be > 0 or 'max', got {value!r}")
    return speed


def format_speed(speed: float) -> str:
    """``"max"`` for :data:`MAX_SPEED`, else the factor (``"60"``, ``"0.5"``)."""
    return "max" if math.isinf(speed) else f"{speed:g}"


class ClockState(StrEnum):
    """Whether replay time advances."""

    PAUSED = "paused"
    RUNNING = "running"


class ReplayClock:
    """Replay time of one venue.

    Args:
        speed: replay speed factor (> 0), or :data:`MAX_SPEED`.
        origin_ns: replay time (recorder ns) the clock shows before it is started.

    The clock never goes backwards: pausing freezes replay time, resuming continues from there, and a speed change
    re-anchors at the current position.
    """

    __slots__ = ("speed", "origin_ns", "state", "_anchor_wall", "_anchor_replay", "_observed", "_started")

    def __init__(self, speed: float, origin_ns: int) -> None:
        self.speed = parse_speed(speed)
        self.origin_ns = int(origin_ns)
        self.state = ClockState.PAUSED
        self._anchor_wall = 0
        self._anchor_replay = self.origin_ns
        self._observed = self.origin_ns  # latest record timestamp dispatched
        self._started = False

    @property
    def is_max(self) -> bool:
        """True at speed "max"."""
        return math.isinf(self.speed)

    @property
    def started(self) -> bool:
        """True once :meth:`start` was called (even if paused since)."""
        return self._started

    def start(self, now_ns: int, at_ns: int | None = None) -> None:
        """Run (or resume) the clock.

        Args:
            now_ns: the caller's wall clock now (ns).
            at_ns: wall time (same clock as ``now_ns``) at which the current replay position is due; defaults to
                ``now_ns``. Venues that must stay aligned pass the same value.
        """
        if self.state is ClockState.RUNNING:
            return
        self._anchor_wall = now_ns if at_ns is None else at_ns
        self._anchor_replay = self._paused_position()  # records stepped through while paused count
        self.state = ClockState.RUNNING
        self._started = True

    def pause(self, now_ns: int) -> None:
        """Freeze replay time at its current position."""
        if self.state is ClockState.PAUSED:
            return
        self._anchor_replay = self.position_ns(now_ns)
        self.state = ClockState.PAUSED

    def set_speed(self, speed: float, now_ns: int) -> None:
        """Change the speed without a jump in replay time."""
        position = self.position_ns(now_ns)
        self.speed = parse_speed(speed)
        self._anchor_replay = position
        self._anchor_wall = now_ns

    def observe(self, ts_ns: int) -> None:
        """Note that a record of time ``ts_ns`` was dispatched (replay time at "max" follows dispatch)."""
        if ts_ns > self._observed:
            self._observed = ts_ns

    def due_in_ns(self, ts_ns: int, now_ns: int) -> int | None:
        """Wall ns until a record of time ``ts_ns`` is due: <= 0 when due now, None while paused."""
        if self.state is ClockState.PAUSED:
            return None
        if self.is_max:
            return 0
        return self.wall_due_ns(ts_ns) - now_ns

    def wall_due_ns(self, ts_ns: int) -> int:
        """Wall time (caller's clock, ns) at which ``ts_ns`` is due while running; ``anchor`` at "max"."""
        if self.is_max:
            return self._anchor_wall
        return self._anchor_wall + math.ceil((ts_ns - self._anchor_replay) / self.speed)

    def position_ns(self, now_ns: int) -> int:
        """Replay time now (recorder ns): never less than the last dispatched record's time."""
        if self.state is ClockState.PAUSED or self.is_max:
            return max(self._paused_position(), self._observed)
        elapsed = max(0, now_ns - self._anchor_wall)
        return max(self._anchor_replay + int(elapsed * self.speed), self._observed)

    def _paused_position(self) -> int:
        return max(self._anchor_replay, self._observed)


class LatenessHistogram:
    """How late records were dispatched against their schedule: 0.1 ms bins up to 1 s, O(1) per record.

    Pure; the venue adds one sample per record at finite speeds (at speed max nothing is scheduled).
    """

    __slots__ = ("counts", "count", "max_ns")
    _BIN_NS = 100_000
    _BINS = 10_001  # the last bin holds everything >= 1 s

    def __init__(self) -> None:
        self.counts = [0] * self._BINS
        self.count = 0
        self.max_ns = 0

    def add(self, late_ns: int) -> None:
        """One record dispatched ``late_ns`` after it was due (negative counts as 0)."""
        late_ns = max(0, late_ns)
        self.counts[min(late_ns // self._BIN_NS, self._BINS - 1)] += 1
        self.count += 1
        if late_ns > self.max_ns:
            self.max_ns = late_ns

    def quantile_ms(self, q: float) -> float:
        """The ``q`` quantile (0..1) in ms, to the bin's upper edge (0.1 ms resolution); 0.0 without samples."""
        if not self.count:
            return 0.0
        rank, seen = q * self.count, 0
        for index, n in enumerate(self.counts):
            seen += n
            if n and seen >= rank:
                return round((index + 1) * self._BIN_NS / 1e6, 1)
        return round(self.max_ns / 1e6, 3)

    def summary(self) -> dict:
        """``{"count", "p50_ms", "p99_ms", "max_ms"}``."""
        return {"count": self.count, "p50_ms": self.quantile_ms(0.5), "p99_ms": self.quantile_ms(0.99),
                "max_ms": round(self.max_ns / 1e6, 3)}  # fmt: skip
