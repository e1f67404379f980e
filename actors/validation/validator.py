"""The per-instrument market-data checks of one feed connection, run over its book updates and trades.

:class:`Validator` holds one :class:`InstrumentChecks` per instrument and one :class:`~.alerts.AlertThrottle`.
The feed pipeline (:mod:`actors.feed.pipeline`, where sequencing and the real book live) calls, per instrument:

* :meth:`InstrumentChecks.on_book` after every applied diff or snapshot, with the book's best bid and ask:
  spread too wide (:mod:`.spread`), top-of-book outlier (:mod:`.outlier`, the mid series);
* :meth:`InstrumentChecks.on_trade` for every trade: trade outlier (the trade price series, and the trade against
  the book's current mid);
* :meth:`InstrumentChecks.on_crossed` when the book was found crossed or locked (:mod:`.crossed`; **hard**: the
  pipeline has already cleared the book and asked for a resync through the gap path);
* :meth:`InstrumentChecks.forget` when the book is cleared or replaced (a resync): the next mid starts a new
  series, so a price that moved while the book was down is not an outlier.

The feed actor calls :meth:`Validator.check_stale` once a second with the connection state (:mod:`.stale`).

Counting: event checks (``crossed``, ``outlier_mid``, ``outlier_trade``) count every failing event; state checks
(``spread``, ``stale``) count episodes (a pass -> fail transition), so a spread that stays wide for an hour is one
failure, not one per diff. Every counted failure is offered to the alert throttle. Pure: no Ray, no clock (times
are the events' receive times, or the ``now_ns`` passed in).
"""

from __future__ import annotations

from collections.abc import Iterable

from actors.fixedpoint import fixed_to_str
from actors.instruments import InstrumentSpec
from actors.validation.alerts import AlertThrottle
from actors.validation.config import Thresholds, ValidationSettings
from actors.validation.outlier import PctBand, RollingReturns
from actors.validation.spread import SpreadCheck, spread_bps
from actors.validation.stale import is_stale

__all__ = ["CHECKS", "HARD_CHECKS", "InstrumentChecks", "Validator", "merge_stats"]

CHECKS = ("crossed", "outlier_mid", "outlier_trade", "spread", "stale")
"""Per-instrument check names (the ``check`` label of ``raytrade_validation_checks``)."""
HARD_CHECKS = frozenset({"crossed"})


class InstrumentChecks:
    """One instrument's check state and counters (``counts``: check -> failures)."""

    __slots__ = ("instrument_id", "thresholds", "alerts", "counts", "_spread", "_pct", "_mids", "_trades", "mid2",
                 "wide", "stale", "last_update_ns", "_price_decimals", "_top", "_trade_seen")  # fmt: skip

    def __init__(self, instrument_id: str, thresholds: Thresholds, alerts: AlertThrottle,
                 price_decimals: int = 8) -> None:  # fmt: skip
        t = thresholds
        self.instrument_id = instrument_id
        self.thresholds = t
        self.alerts = alerts
        self.counts = dict.fromkeys(CHECKS, 0)
        self._spread = SpreadCheck(t.max_spread_bps)
        self._pct = PctBand(t.outlier_pct)
        self._mids = RollingReturns(t.outlier_stdevs, t.outlier_window, t.outlier_window_s, t.outlier_min_samples)
        self._trades = RollingReturns(t.outlier_stdevs, t.outlier_window, t.outlier_window_s, t.outlier_min_samples)
        self.mid2 = 0  # best bid + best ask (twice the mid, exact); 0: no two-sided book
        self.wide = False
        self.stale = False
        self.last_update_ns = 0
        self._price_decimals = price_decimals
        self._top: tuple[int | None, int | None] = (None, None)  # the last (best bid, best ask) judged
        self._trade_seen: tuple[int, int] | None = None  # (price, mid2) of the last trade that passed

    def _fail(self, check: str, message: str, ts_ns: int) -> None:
        self.counts[check] += 1
        self.alerts.fire(self.instrument_id, check, check in HARD_CHECKS, message, ts_ns)

    def _price(self, fixed: int) -> str:
        return fixed_to_str(fixed, self._price_decimals)

    def on_book(self, best_bid: int | None, best_ask: int | None, ts_ns: int) -> None:
        """After an applied diff or snapshot of a ready, uncrossed book (fixed-point prices, receive time ns)."""
        self.last_update_ns = ts_ns
        self.stale = False
        top = (best_bid, best_ask)
        if top == self._top:
            return  # most diffs change deeper levels: the top, and so every verdict, is the same as last time
        self._top = top
        if best_bid is None or best_ask is None:
            self.mid2 = 0
            return
        if self._spread.too_wide(best_bid, best_ask):
            if not self.wide:
                self.wide = True
                self._fail("spread", f"spread {spread_bps(best_bid, best_ask):.1f} bps > "
                           f"{self.thresholds.max_spread_bps} bps (bid {self._price(best_bid)}, ask "
                           f"{self._price(best_ask)})", ts_ns)  # fmt: skip
        else:
            self.wide = False
        mid2 = best_bid + best_ask
        previous, self.mid2 = self.mid2, mid2
        if mid2 == previous:
            return
        by_stdev = self._mids.observe(mid2, ts_ns)
        if by_stdev or (previous and self._pct.beyond(mid2, previous)):
            why = f"> {self.thresholds.outlier_stdevs} stdev" if by_stdev else f"> {self.thresholds.outlier_pct}%"
            self._fail("outlier_mid", f"mid {self._price(previous // 2)} -> {self._price(mid2 // 2)} ({why})",
                       ts_ns)  # fmt: skip

    def on_trade(self, price: int, ts_ns: int) -> None:
        """A public trade at ``price`` (fixed-point at the book's price scale)."""
        mid2 = self.mid2
        if self._trade_seen == (price, mid2):
            return  # the same price against the same mid as the last trade, which passed: no move, same verdict
        by_stdev = self._trades.observe(price, ts_ns)
        if not by_stdev and not (mid2 and self._pct.beyond(2 * price, mid2)):
            self._trade_seen = (price, mid2)
            return
        self._trade_seen = None
        why = (f"> {self.thresholds.outlier_stdevs} stdev of trade returns" if by_stdev
               else f"> {self.thresholds.outlier_pct}% from mid {self._price(mid2 // 2)}")  # fmt: skip
        self._fail("outlier_trade", f"trade at {self._price(price)} ({why})", ts_ns)

    def on_crossed(self, best_bid: int | None, best_ask: int | None, ts_ns: int, where: str = "diff") -> None:
        """The book was crossed or locked after a ``where`` (diff / snapshot): hard, already cleared."""
        prices = "" if best_bid is None or best_ask is None else \
            f" (bid {self._price(best_bid)} >= ask {self._price(best_ask)})"
        self._fail("crossed", f"book crossed or locked after a {where}{prices}: cleared, resyncing", ts_ns)
        self.forget()

    def forget(self) -> None:
        """The book was cleared or replaced: the mid series starts again (the trade series goes on)."""
        self.mid2 = 0
        self._mids.last = None
        self.wide = False
        self._top = (None, None)

    def check_stale(self, now_ns: int, connected: bool) -> bool:
        """Count a stale episode (see :mod:`.stale`); True while stale."""
        if is_stale(self.last_update_ns, now_ns, self.thresholds.stale_book_s, connected):
            if not self.stale:
                self.stale = True
                age_s = (now_ns - self.last_update_ns) / 1e9
                self._fail("stale", f"no book update for {age_s:.1f} s (> {self.thresholds.stale_book_s} s) while "
                           "connected", now_ns)  # fmt: skip
            return True
        return False


class Validator:
    """The checks of one connection's instruments.

    Args:
        settings: ``[validation]`` (thresholds, per-instrument overrides, the alert interval).
        instruments: the connection's instruments.

    Raises:
        ConfigError: an instrument's overrides are invalid.
    """

    def __init__(self, settings: ValidationSettings, instruments: Iterable[InstrumentSpec]) -> None:
        self.settings = settings
        self.alerts = AlertThrottle(settings.alert_interval_s)
        self.books = {s.instrument_id: InstrumentChecks(s.instrument_id, settings.thresholds_for(s.instrument_id),
                                                        self.alerts, s.price_decimals)
                      for s in instruments}  # fmt: skip

    def check_stale(self, now_ns: int, connected: bool) -> list[str]:
        """Run the stale check on every instrument; returns those stale now."""
        return [iid for iid, c in self.books.items() if c.check_stale(now_ns, connected)]

    def stats(self) -> dict:
        """``{"instruments": {iid: {check: n}}, "hard_failures", "soft_failures", "alerts", "alerts_suppressed"}``."""
        per = {iid: dict(c.counts) for iid, c in self.books.items()}
        hard = sum(n for counts in per.values() for k, n in counts.items() if k in HARD_CHECKS)
        soft = sum(n for counts in per.values() for k, n in counts.items() if k not in HARD_CHECKS)
        return {"instruments": per, "hard_failures": hard, "soft_failures": soft, "alerts": self.alerts.rows,
                "alerts_suppressed": self.alerts.suppressed}  # fmt: skip


def merge_stats(feed_stats: Iterable[dict | None], divergence: dict | None = None) -> dict:
    """The run's ``validation`` block from every feed's :meth:`Validator.stats` (None: a feed with it off) and the
    cross-venue monitor's stats (:mod:`.divergence`).

    Returns:
        ``{"enabled", "hard_failures", "soft_failures", "alerts", "alerts_suppressed", "by_check": {check: n},
        "instruments": {iid: {check: n}}, "divergence": {...}}`` (``divergence`` failures count as soft).
    """
    out = {"enabled": False, "hard_failures": 0, "soft_failures": 0, "alerts": 0, "alerts_suppressed": 0,
           "by_check": dict.fromkeys(CHECKS + ("divergence",), 0), "instruments": {}}  # fmt: skip
    for stats in feed_stats:
        if not stats:
            continue
        out["enabled"] = True
        for key in ("hard_failures", "soft_failures", "alerts", "alerts_suppressed"):
            out[key] += stats.get(key, 0)
        for iid, counts in stats.get("instruments", {}).items():
            acc = out["instruments"].setdefault(iid, dict.fromkeys(counts, 0))
            for check, n in counts.items():
                acc[check] = acc.get(check, 0) + n
                out["by_check"][check] = out["by_check"].get(check, 0) + n
    if divergence:
        out["divergence"] = divergence
        out["by_check"]["divergence"] = divergence.get("failures", 0)
        out["soft_failures"] += divergence.get("failures", 0)
        out["alerts"] += divergence.get("alerts", 0)
    return out
