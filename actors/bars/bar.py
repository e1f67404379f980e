"""The bar message (OHLCV + VWAP + trade count) and the bar intervals.

A :class:`Bar` is what crosses actor boundaries for candles, whether built here from trades
(:mod:`actors.bars.aggregator`) or received from a market-data provider (Polygon.io aggregates, Alpha Vantage
series). Prices and sizes are fixed-point ints like every other message (:mod:`actors.messages`); ``notional`` is
the exact sum of ``price * size`` at ``price_decimals + size_decimals``, so VWAP is exact up to its one documented
rounding (:meth:`Bar.vwap`).

Intervals are epoch-aligned in UTC: a ``1m`` bar starts at a whole minute, ``4h`` at 00:00, 04:00, ... UTC, ``1d``
at 00:00 UTC (the alignment Binance klines and Polygon aggregates use; Binance Spot API docs, "Kline/Candlestick
Streams": "Kline/Candlestick chart intervals ... UTC").
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from actors.errors import ConfigError
from actors.fixedpoint import fixed_to_decimal, fixed_to_str

__all__ = ["Bar", "INTERVALS", "interval_ns", "vwap_fixed"]

_S = 1_000_000_000
INTERVALS: dict[str, int] = {
    "1s": _S, "1m": 60 * _S, "5m": 300 * _S, "15m": 900 * _S, "1h": 3600 * _S, "4h": 4 * 3600 * _S,
    "1d": 86400 * _S,
}  # fmt: skip
"""Supported bar intervals -> their length in ns."""

VWAP_EXTRA_DECIMALS = 4
"""VWAP is rounded half-even to the price's decimals + 4 (the issue's rule)."""


def interval_ns(interval: str) -> int:
    """Length of a bar interval in ns.

    Args:
        interval: one of :data:`INTERVALS` (``"1s"``, ``"1m"``, ``"5m"``, ``"15m"``, ``"1h"``, ``"4h"``, ``"1d"``).

    Raises:
        ConfigError: the interval is not one of those.
    """
    try:
        return INTERVALS[interval]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown bar interval {interval!r} (one of {', '.join(INTERVALS)})") from None


def vwap_fixed(notional: int, volume: int, extra: int = VWAP_EXTRA_DECIMALS) -> int:
    """``notional / volume`` at ``price_decimals + extra`` decimals, rounded half-even, in exact integer arithmetic.

    ``notional`` (at ``price_decimals + size_decimals``) divided by ``volume`` (at ``size_decimals``) is a price at
    ``price_decimals``; scaling the numerator by ``10**extra`` gives ``extra`` more decimals. No Decimal context,
    so no double rounding.

    Args:
        notional: sum of ``price * size`` at ``price_decimals + size_decimals``.
        volume: sum of sizes at ``size_decimals`` (> 0).
        extra: decimals beyond the price's.

    Returns:
        The VWAP as a fixed-point int at ``price_decimals + extra`` decimals.
    """
    quotient, remainder = divmod(notional * 10**extra, volume)
    twice = 2 * remainder
    if twice > volume or (twice == volume and quotient % 2):
        quotient += 1
    return quotient


class Bar(msgspec.Struct, frozen=True, gc=False):
    """One OHLCV bar of one instrument.

    Attributes:
        instrument_id: ``"<SYMBOL>.<VENUE>"``.
        interval: ``"1m"`` etc. (:data:`INTERVALS`), or a provider's own span (``"1d"`` for a daily series).
        start: the interval's start (ns since the epoch, UTC-aligned); the bar covers ``[start, start+interval)``.
        open, high, low, close: fixed-point prices at ``price_decimals``; open/close are the first/last trade in
            the order the venue sent them.
        volume: sum of trade sizes, fixed-point at ``size_decimals``.
        notional: sum of ``price * size`` at ``price_decimals + size_decimals`` (-1 when unknown: a provider bar
            that carries only a VWAP; see ``vwap_override``).
        trades: number of trades (0 when a provider does not say).
        closed: False while the interval can still get trades (the open bar).
        ts_event: the venue time of the last trade in the bar (ns), or the provider's bar time.
        ts_recv: when the last trade (or the provider message) was received (ns).
        vwap_override: a provider's own VWAP as an exact decimal string (Polygon ``vw``), else "".
    """

    instrument_id: str
    interval: str
    start: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    notional: int
    trades: int
    price_decimals: int
    size_decimals: int
    closed: bool
    ts_event: int
    ts_recv: int
    vwap_override: str = ""

    @property
    def end(self) -> int:
        """End of the interval (ns, exclusive); for a provider span not in :data:`INTERVALS`, ``start``."""
        return self.start + INTERVALS.get(self.interval, 0)

    def vwap(self) -> Decimal | None:
        """Volume-weighted average price: ``notional / volume`` rounded half-even to ``price_decimals + 4``.

        Returns the provider's VWAP when the bar came with one, None when the volume is 0 or unknown.
        """
        if self.vwap_override:
            return Decimal(self.vwap_override)
        if self.volume <= 0 or self.notional < 0:
            return None
        return fixed_to_decimal(vwap_fixed(self.notional, self.volume),
                                self.price_decimals + VWAP_EXTRA_DECIMALS)  # fmt: skip

    def to_dict(self) -> dict:
        """The JSON shape of ``raytrade bars`` and ``GET /bars``: prices, sizes and VWAP as exact decimal strings.

        Keys: ``instrument_id, interval, start, open, high, low, close, volume, vwap, trades, closed``.
        """
        pd, sd = self.price_decimals, self.size_decimals
        vwap = self.vwap()
        return {
            "instrument_id": self.instrument_id, "interval": self.interval, "start": self.start,
            "open": fixed_to_str(self.open, pd), "high": fixed_to_str(self.high, pd), "low": fixed_to_str(self.low, pd),
            "close": fixed_to_str(self.close, pd), "volume": fixed_to_str(self.volume, sd),
            "vwap": None if vwap is None else str(vwap), "trades": self.trades, "closed": self.closed,
        }  # fmt: skip
