"""Seeded fault decisions: which frame of which connection, and which REST request, gets which fault. Pure.

Every decision is a function of ``(seed, connection index, frame index, fault kind)`` (REST: ``(seed, request
index, kind)``) through a counter-based hash (splitmix64 finaliser), not of a shared random stream: the same seed
gives the same faults on the same frames whatever else happened, and two runs with the same seed, subscribers and
requests write identical fault logs (:mod:`actors.replay.faultlog`).

Per frame, in order: ``disconnect`` (when ``disconnect_every`` of replay time has passed since the connection
opened; the frame is not sent, frames held for reordering are sent first), ``drop`` (nothing else applies),
``truncate`` / ``corrupt`` (the bytes change), ``reorder`` (held back 1..window frames; no dup/delay then),
``dup``, ``delay``.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.replay.faultlog import FaultLog
from actors.replay.faults import FaultSpec
from actors.replay.streams import depth_ids

__all__ = ["ConnectionFaults", "FaultInjector", "Outgoing", "RestFault"]

_MASK = (1 << 64) - 1
_KIND_SALT = {
    "drop": 1, "dup": 2, "reorder": 3, "reorder_by": 4, "truncate": 5, "truncate_at": 6, "corrupt": 7,
    "corrupt_at": 8, "delay": 9, "rest_429": 10, "rest_418": 11, "rest_5xx": 12, "rest_status": 13,
}  # fmt: skip
_REST_STATUS = (500, 502, 503, 504)


def _mix(x: int) -> int:
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
    return x ^ (x >> 31)


def _draw(seed: int, a: int, b: int, kind: str) -> int:
    """A 64-bit hash of (seed, a, b, kind): the only source of randomness."""
    x = _mix((seed * 0x9E3779B97F4A7C15 + _KIND_SALT[kind]) & _MASK)
    x = _mix((x + a * 0xD1B54A32D192ED03) & _MASK)
    return _mix((x + b * 0x8CB92BA72F3D8DD7 + 1) & _MASK)


def _hit(seed: int, a: int, b: int, kind: str, p: float) -> bool:
    return p > 0.0 and (_draw(seed, a, b, kind) >> 11) / 9007199254740992.0 < p


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One frame to send: its bytes (combined form), stream, and a wall delay (ms) to wait before sending."""

    data: bytes
    stream: str
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class RestFault:
    """A REST answer to give instead of the real one.

    Attributes:
        status: HTTP status (429, 418, 500, 502, 503, 504).
        code, msg: the Binance error body ``{"code":..,"msg":..}``.
        retry_after_s: the ``Retry-After`` header (429/418), else None.
    """

    status: int
    code: int
    msg: str
    retry_after_s: int | None = None


class ConnectionFaults:
    """Fault pipeline of one subscriber connection. Build it with :meth:`FaultInjector.connection`."""

    __slots__ = ("_spec", "_seed", "_conn", "_opened_ts", "_log", "_held", "closed")

    def __init__(self, spec: FaultSpec, seed: int, conn: int, opened_ts: int, log: FaultLog) -> None:
        self._spec, self._seed, self._conn, self._opened_ts, self._log = spec, seed, conn, opened_ts, log
        self._held: list[tuple[int, int, Outgoing]] = []  # (release at frame index, original index, frame)
        self.closed = False

    def on_frame(self, frame: int, ts: int, stream: str, data: bytes) -> tuple[list[Outgoing], bool]:
        """Decide the fate of one frame offered to this connection.

        Args:
            frame: the frame's index on this connection (0, 1, 2, ... for every frame offered).
            ts: its replay time (recorder ns).
            stream: its stream name.
            data: its bytes (combined form, as recorded).

        Returns:
            ``(frames to send now, in order; disconnect after sending them)``. After a disconnect the pipeline
            is closed and returns nothing.
        """
        if self.closed:
            return [], False
        spec, seed, conn = self._spec, self._seed, self._conn
        if spec.disconnect_every_ns and ts - self._opened_ts >= spec.disconnect_every_ns:
            self._log_frame("disconnect", frame, ts, stream, data, after_ns=ts - self._opened_ts)
            self.closed = True
            return self._release(frame, flush=True), True
        if _hit(seed, conn, frame, "drop", spec.drop):
            self._log_frame("drop", frame, ts, stream, data)
            return self._release(frame), False
        if _hit(seed, conn, frame, "truncate", spec.truncate) and len(data) > 1:
            kept = 1 + _draw(seed, conn, frame, "truncate_at") % (len(data) - 1)
            self._log_frame("truncate", frame, ts, stream, data, kept_bytes=kept)
            data = data[:kept]
        elif _hit(seed, conn, frame, "corrupt", spec.corrupt) and data:
            offset = _draw(seed, conn, frame, "corrupt_at") % len(data)
            self._log_frame("corrupt", frame, ts, stream, data, offset=offset)
            data = data[:offset] + b"\x00" + data[offset + 1 :]
        if _hit(seed, conn, frame, "reorder", spec.reorder):
            by = 1 + _draw(seed, conn, frame, "reorder_by") % spec.reorder_window
            self._log_frame("reorder", frame, ts, stream, data, moved_by=by)
            released = self._release(frame)
            self._held.append((frame + by, frame, Outgoing(data, stream)))
            return released, False
        delay = 0
        if spec.delay_ms and _hit(seed, conn, frame, "delay", spec.delay_p):
            delay = spec.delay_ms
            self._log_frame("delay", frame, ts, stream, data, delay_ms=delay)
        out = [Outgoing(data, stream, delay)]
        if _hit(seed, conn, frame, "dup", spec.dup):
            self._log_frame("dup", frame, ts, stream, data)
            out.append(Outgoing(data, stream))
        out.extend(self._release(frame))
        return out, False

    def flush(self) -> list[Outgoing]:
        """Frames still held for reordering, to send at the end of the replay."""
        return self._release(0, flush=True)

    # -- internals -------------------------------------------------------------------------------------------
    def _release(self, frame: int, flush: bool = False) -> list[Outgoing]:
        if not self._held:
            return []
        due = [h for h in self._held if flush or h[0] <= frame]
        if not due:
            return []
        self._held = [h for h in self._held if not (flush or h[0] <= frame)]
        return [h[2] for h in due]

    def _log_frame(self, kind: str, frame: int, ts: int, stream: str, data: bytes, **extra: int) -> None:
        entry: dict = {"ts": ts, "kind": kind, "conn": self._conn, "frame": frame, "stream": stream}
        if "@depth" in stream:
            ids = depth_ids(data)
            entry.update((k, ids[k]) for k in ("U", "u", "pu") if k in ids)
        entry.update(extra)
        self._log.write(entry)


class FaultInjector:
    """Seeded fault decisions for one venue.

    Args:
        spec: what may go wrong (:func:`actors.replay.faults.parse_fault_spec`).
        seed: any integer; the same seed gives the same decisions.
        log: where injected faults are recorded.
    """

    def __init__(self, spec: FaultSpec, seed: int, log: FaultLog) -> None:
        self.spec = spec
        self.seed = int(seed)
        self.log = log

    def connection(self, conn: int, opened_ts: int) -> ConnectionFaults | None:
        """The pipeline of connection number ``conn`` opened at replay time ``opened_ts``; None without ws faults."""
        if not self.spec.ws_active:
            return None
        return ConnectionFaults(self.spec, self.seed, conn, opened_ts, self.log)

    def rest(self, request: int, ts: int, path: str, symbol: str | None) -> RestFault | None:
        """Decide whether REST request number ``request`` fails; logs the fault.

        Bodies follow Binance's error list (Spot API docs, "Error codes"): -1003 TOO_MANY_REQUESTS for 429 and 418,
        -1001 DISCONNECTED for 500/502/503, -1007 TIMEOUT for 504.
        """
        spec, seed = self.spec, self.seed
        if not spec.rest_active:
            return None
        fault = None
        if _hit(seed, request, 0, "rest_418", spec.rest_418):
            fault = RestFault(418, -1003, "Way too much request weight used; IP banned until "
                              f"{ts // 1_000_000 + spec.retry_after_s * 1000}. Please use WebSocket Streams for live "
                              "updates to avoid bans.", spec.retry_after_s)  # fmt: skip
        elif _hit(seed, request, 0, "rest_429", spec.rest_429):
            fault = RestFault(429, -1003, "Too much request weight used; current limit is 6000 request weight per "
                              "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                              spec.retry_after_s)  # fmt: skip
        elif _hit(seed, request, 0, "rest_5xx", spec.rest_5xx):
            status = _REST_STATUS[_draw(seed, request, 0, "rest_status") % len(_REST_STATUS)]
            if status == 504:
                fault = RestFault(504, -1007, "Timeout waiting for response from backend server. Send status "
                                  "unknown; execution status unknown.")  # fmt: skip
            else:
                fault = RestFault(status, -1001, "Internal error; unable to process your request. Please try again.")
        if fault is None:
            return None
        kind = "rest_5xx" if fault.status >= 500 else f"rest_{fault.status}"
        entry: dict = {"ts": ts, "kind": kind, "request": request, "path": path, "symbol": symbol,
                       "status": fault.status}  # fmt: skip
        if fault.retry_after_s is not None:
            entry["retry_after_s"] = fault.retry_after_s
        self.log.write(entry)
        return fault
