"""Venue time strings -> ``int`` nanoseconds since the epoch, exactly (no binary floats).

Venues write event times three ways; each has one converter here so no venue module re-implements them:

- RFC 3339 / ISO 8601 UTC with up to 9 fraction digits (Coinbase ``"2026-08-09T21:05:50.470488625Z"``):
  :func:`iso8601_ns`.
- Decimal seconds as a string (Kraken ``"1618678137.640504"``): :func:`decimal_seconds_ns`.
- Integers in ms / us (Gemini ``timestamp`` ms, Bitstamp ``microtimestamp`` us, Backpack ``E``/``T`` us): the caller
  multiplies (``* 1_000_000`` / ``* 1_000``); :func:`int_field` validates such a field when it may come as a string.

Errors: every converter raises :class:`~actors.errors.MalformedFrame` (naming the venue) for a bad value.
"""

from __future__ import annotations

import calendar

from actors.errors import MalformedFrame

__all__ = ["decimal_seconds_ns", "int_field", "iso8601_ns"]

_NS = 1_000_000_000
_SECOND_CACHE: dict[str, int] = {}


def iso8601_ns(text: str, venue: str) -> int:
    """``"YYYY-MM-DDTHH:MM:SS[.fffffffff]Z"`` (UTC, ``Z`` or ``+00:00``) -> ns since the epoch, exact.

    Raises:
        MalformedFrame: not that shape, or not UTC.
    """
    try:
        if text.endswith("Z"):
            body = text[:-1]
        elif text.endswith("+00:00"):
            body = text[:-6]
        else:
            raise ValueError("not UTC")
        head, _, frac = body.partition(".")
        seconds = _SECOND_CACHE.get(head)
        if seconds is None:
            if len(head) != 19 or head[10] not in "T ":
                raise ValueError("not YYYY-MM-DDTHH:MM:SS")
            fields = (int(head[0:4]), int(head[5:7]), int(head[8:10]), int(head[11:13]), int(head[14:16]),
                      int(head[17:19]))  # fmt: skip
            if not (1 <= fields[1] <= 12 and 1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60
                    and fields[5] < 61):  # fmt: skip
                raise ValueError("field out of range")
            seconds = calendar.timegm((*fields, 0, 0, 0))
            if len(_SECOND_CACHE) > 4096:
                _SECOND_CACHE.clear()
            _SECOND_CACHE[head] = seconds
        if len(frac) > 9 or (frac and not (frac.isascii() and frac.isdigit())):
            raise ValueError("bad fraction")
        return seconds * _NS + (int(frac.ljust(9, "0")) if frac else 0)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise MalformedFrame(venue, f"bad ISO 8601 time {text!r}: {exc}", str(text)) from None


def decimal_seconds_ns(text: str, venue: str) -> int:
    """``"1618678137.640504"`` (seconds, up to 9 decimals) -> ns since the epoch, exact.

    Raises:
        MalformedFrame: not a plain non-negative decimal string.
    """
    try:
        whole, _, frac = text.partition(".")
        if not (whole.isascii() and whole.isdigit()) or len(frac) > 9 or (frac and not frac.isdigit()):
            raise ValueError("not decimal seconds")
        return int(whole) * _NS + (int(frac.ljust(9, "0")) if frac else 0)
    except (ValueError, TypeError, AttributeError) as exc:
        raise MalformedFrame(venue, f"bad time {text!r}: {exc}", str(text)) from None


def int_field(value: object, name: str, venue: str) -> int:
    """An integer field the venue may send as a JSON number or a decimal-digit string (Backpack ``lastUpdateId``).

    Raises:
        MalformedFrame: neither a non-negative int nor a string of digits.
    """
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise MalformedFrame(venue, f"{name} is not a non-negative integer: {value!r}", repr(value))
