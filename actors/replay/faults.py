"""Fault specs: the text form (``drop=0.001,dup=0.0005,reorder=0.001:5,...``) parsed into a frozen, validated object.

Pure. The spec says *what* may go wrong and how often; :mod:`actors.replay.injector` decides, from a seed, *where*.

Grammar: comma-separated ``key=value`` items, each key at most once; an empty string means no faults.

================== ================== ==========================================================================
key                value              meaning (probabilities are per frame per connection, or per REST request)
================== ================== ==========================================================================
``drop``           ``p``              the frame is not sent
``dup``            ``p``              the frame is sent twice in a row
``reorder``        ``p[:window]``     the frame is held back and sent after the next 1..window frames (default 5)
``truncate``       ``p``              the frame is cut short (invalid JSON)
``corrupt``        ``p``              one byte of the frame is replaced by NUL (invalid JSON, still valid UTF-8)
``delay_ms``       ``ms@p``           the frame (and so the frames behind it) is held ``ms`` wall milliseconds
``disconnect_every`` duration         the connection is closed each time this much *replay* time has passed
                                      since it was opened (``20s``, ``500ms``, ``2m``; a bare number is seconds)
``rest_429``       ``p``              a REST request is answered 429 with ``Retry-After``
``rest_418``       ``p``              a REST request is answered 418 (IP ban) with ``Retry-After``
``rest_5xx``       ``p``              a REST request is answered 500, 502, 503 or 504
``retry_after``    duration           the ``Retry-After`` of 429/418 answers, whole seconds (default ``1s``)
================== ================== ==========================================================================

Errors: :class:`~actors.errors.ConfigError` naming the offending item.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from actors.errors import ConfigError

__all__ = ["FaultSpec", "parse_duration_ns", "parse_fault_spec"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h)?\s*$")
_KEYS = ("drop", "dup", "reorder", "truncate", "corrupt", "delay_ms", "disconnect_every", "rest_429", "rest_418",
         "rest_5xx", "retry_after")  # fmt: skip
_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What faults to inject and how often. All probabilities are in [0, 1]; 0 disables the fault.

    Attributes:
        drop, dup, truncate, corrupt: per-frame probabilities.
        reorder: per-frame probability of holding a frame back; reorder_window: by up to this many frames (>= 1).
        delay_p: per-frame probability of a delay spike of ``delay_ms`` wall milliseconds.
        disconnect_every_ns: close each connection after this much replay time (ns); 0 = never.
        rest_429, rest_418, rest_5xx: per-REST-request probabilities.
        retry_after_s: the ``Retry-After`` header (whole seconds) of 429 and 418 answers.
    """

    drop: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0
    reorder_window: int = 5
    truncate: float = 0.0
    corrupt: float = 0.0
    delay_ms: int = 0
    delay_p: float = 0.0
    disconnect_every_ns: int = 0
    rest_429: float = 0.0
    rest_418: float = 0.0
    rest_5xx: float = 0.0
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        for name in ("drop", "dup", "reorder", "truncate", "corrupt", "delay_p", "rest_429", "rest_418", "rest_5xx"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"fault spec: {name} must be a probability in [0, 1], got {value!r}")
        if self.reorder_window < 1:
            raise ConfigError(f"fault spec: reorder window must be >= 1 frame, got {self.reorder_window}")
        if self.delay_ms < 0 or self.disconnect_every_ns < 0 or self.retry_after_s < 0:
            raise ConfigError("fault spec: durations must be >= 0")
        if self.rest_429 + self.rest_418 + self.rest_5xx > 1.0:
            raise ConfigError("fault spec: rest_429 + rest_418 + rest_5xx must not exceed 1")

    @property
    def ws_active(self) -> bool:
        """True when any websocket fault can fire."""
        return bool(
            self.drop or self.dup or self.reorder or self.truncate or self.corrupt
            or (self.delay_p and self.delay_ms) or self.disconnect_every_ns
        )  # fmt: skip

    @property
    def rest_active(self) -> bool:
        """True when any REST fault can fire."""
        return bool(self.rest_429 or self.rest_418 or self.rest_5xx)

    @property
    def active(self) -> bool:
        """True when any fault can fire."""
        return self.ws_active or self.rest_active

    def to_text(self) -> str:
        """The canonical spec string (parses back to an equal object); ``""`` when no fault is set."""
        items = []
        for name in ("drop", "dup", "truncate", "corrupt", "rest_429", "rest_418", "rest_5xx"):
            if getattr(self, name):
                items.append(f"{name}={getattr(self, name):g}")
        if self.reorder:
            items.append(f"reorder={self.reorder:g}:{self.reorder_window}")
        if self.delay_p and self.delay_ms:
            items.append(f"delay_ms={self.delay_ms}@{self.delay_p:g}")
        if self.disconnect_every_ns:
            items.append(f"disconnect_every={self.disconnect_every_ns}ns")
        if self.rest_active and self.retry_after_s != 1:
            items.append(f"retry_after={self.retry_after_s}s")
        return ",".join(items)


def parse_duration_ns(text: str) -> int:
    """``"20s"`` -> 20_000_000_000; units ns, us, ms, s, m, h; a bare number is seconds.

    Raises:
        ConfigError: not a non-negative number with an optional unit.
    """
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"fault spec: {text!r} is not a duration like 20s, 500ms or 2m")
    value, unit = match.groups()
    return round(float(value) * _UNIT_NS[unit or "s"])


def _probability(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"fault spec: {key}={text!r}: not a probability") from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"fault spec: {key}={text!r}: probability must be in [0, 1]")
    return value


def parse_fault_spec(text: str | None) -> FaultSpec:
    """Parse a fault spec string (see the module docstring).

    Args:
        text: e.g. ``"drop=0.001,dup=0.0005,reorder=0.001:5,disconnect_every=20s,delay_ms=50@0.01,rest_429=0.1"``;
            None, ``""`` or ``"none"`` for no faults.

    Returns:
        The frozen :class:`FaultSpec`.

    Raises:
        ConfigError: unknown or repeated key, missing ``=``, bad number, probability outside [0, 1].
    """
    if text is None or not text.strip() or text.strip().lower() == "none":
        return FaultSpec()
    values: dict[str, object] = {}
    seen: set[str] = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or not value:
            raise ConfigError(f"fault spec: {item!r} is not key=value")
        if key in seen:
            raise ConfigError(f"fault spec: {key!r} given twice")
        seen.add(key)
        if key in ("drop", "dup", "truncate", "corrupt", "rest_429", "rest_418", "rest_5xx"):
            values[key] = _probability(key, value)
        elif key == "reorder":
            p, colon, window = value.partition(":")
            values["reorder"] = _probability(key, p)
            if colon:
                if not window.strip().isdigit():
                    raise ConfigError(f"fault spec: reorder={value!r}: the window must be a whole number of frames")
                values["reorder_window"] = int(window)
        elif key == "delay_ms":
            ms, at, p = value.partition("@")
            if not at or not ms.strip().isdigit():
                raise ConfigError(f"fault spec: delay_ms={value!r} is not MS@P (e.g. 50@0.01)")
            values["delay_ms"], values["delay_p"] = int(ms), _probability(key, p)
        elif key == "disconnect_every":
            values["disconnect_every_ns"] = parse_duration_ns(value)
            if not values["disconnect_every_ns"]:
                raise ConfigError("fault spec: disconnect_every must be > 0")
        elif key == "retry_after":
            ns = parse_duration_ns(value)
            if ns % 1_000_000_000:
                raise ConfigError(f"fault spec: retry_after={value!r} must be whole seconds (HTTP Retry-After)")
            values["retry_after_s"] = ns // 1_000_000_000
        else:
            raise ConfigError(f"fault spec: unknown fault {key!r} (known: {', '.join(_KEYS)})")
    return FaultSpec(**values)  # type: ignore[arg-type]
