"""Validation failures as ``system_alerts`` rows, rate-limited so a flapping check does not flood the store.

One row per (instrument, check) at most every ``alert_interval_s`` (wall time, the failure's ``ts_ns``); failures
in between are suppressed and counted, and the next row says how many (``"... (+12 suppressed)"``). Rows have the
``system_alerts`` columns (``severity``, ``source``, ``message``, ``acknowledged``, ``ts``); ``source`` is
``validation:<check>:<instrument_id>`` so the idempotent key (source, severity, ts) of two checks never collides.
Severity: ``critical`` for a hard check (the book was cleared), ``warning`` for a soft one. Pure: the caller
takes the rows with :meth:`AlertThrottle.drain` and writes them (the feed actor, to the recorder).
"""

from __future__ import annotations

__all__ = ["AlertThrottle"]


class AlertThrottle:
    """Rate-limited alert rows.

    Args:
        interval_s: minimum time between two rows of one (instrument, check) (s; 0: every failure is a row).
        max_pending: rows kept until drained (the oldest beyond it are dropped and counted in ``dropped``).
    """

    __slots__ = ("interval_ns", "max_pending", "_last", "_suppressed", "_pending", "rows", "suppressed", "dropped")

    def __init__(self, interval_s: float, max_pending: int = 1000) -> None:
        self.interval_ns = int(interval_s * 1e9)
        self.max_pending = max_pending
        self._last: dict[tuple[str, str], int] = {}
        self._suppressed: dict[tuple[str, str], int] = {}
        self._pending: list[dict] = []
        self.rows = self.suppressed = self.dropped = 0

    def fire(self, instrument_id: str, check: str, hard: bool, message: str, ts_ns: int) -> bool:
        """Record one failure; returns True when it became a row (False: suppressed)."""
        key = (instrument_id, check)
        last = self._last.get(key)
        if last is not None and ts_ns - last < self.interval_ns:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            self.suppressed += 1
            return False
        self._last[key] = ts_ns
        extra = self._suppressed.pop(key, 0)
        if extra:
            message = f"{message} (+{extra} suppressed)"
        self._pending.append({"severity": "critical" if hard else "warning",
                              "source": f"validation:{check}:{instrument_id}", "message": message[:500],
                              "acknowledged": False, "ts": ts_ns})  # fmt: skip
        self.rows += 1
        if len(self._pending) > self.max_pending:
            del self._pending[0]
            self.dropped += 1
        return True

    def drain(self) -> list[dict]:
        """Take the rows waiting to be written."""
        rows, self._pending = self._pending, []
        return rows
