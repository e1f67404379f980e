"""Cross-venue divergence (**soft**): mids of the same asset on different venues apart by more than
``max_divergence_bps`` of their mean, continuously for ``divergence_for_s``.

**Grouping.** Instruments are compared within a group ``(base, quote class, kind)``: ``BTC/USD spot`` holds
``BTCUSDT.BINANCE``, ``BTC-USDT.OKX`` and ``BTC-USD.COINBASE`` because the quote class of ``USD``, ``USDT`` and
``USDC`` is one (``[validation] quote_equivalents``, default ``[["USD", "USDT", "USDC"]]``: stablecoins taken as
the dollar they track; a stablecoin de-peg then *is* a divergence, which is the point). Spot is never compared with
perpetuals or futures: their basis to spot is a price, not a data error (the basis monitor reports it). Two
instruments of one venue in a group are compared too (e.g. two Binance spot quotes of BTC).

**Time.** Mids are paired on the venues' event clock (``ts_event``), never on receive time: a replay at ``--speed
max`` runs each venue at its own pace (one may be minutes of venue time ahead of another), and recordings of
different years side by side (``examples/multi_venue.toml``). So each new mid is **as-of joined** with every other
member's history: the other's latest mid at or before this event time (kept: the last ``HISTORY`` views per
instrument, about 3 minutes at the gate's 20 views/s), compared only when it is at most ``divergence_max_skew_ms``
older; a venue that runs ahead is compared later, when the one behind catches up. ``divergence_for_s`` is
measured in event time. A view without a venue time (``ts_event == 0``: a Binance spot REST snapshot) or not ready
is not used.

**Arithmetic.** Exact: each mid is ``(best bid + best ask)`` at its own decimals, brought to a common scale, and
the test is ``|a - b| * 20_000 * den > num * (a + b)`` with ``max_divergence_bps = num / den``.

**Where it runs: the risk gate.** It already subscribes to every exchange book's top of book (depth 1, at most
every 50 ms per book: ``cluster/topology.py``), so it sees all venues' mids with no new subscription, no new
actor (a process, ~100 MB) and no extra serialisation; the cost is one dict update and a compare with each other
member of the group per view (measured in ``BENCHMARKS.md``, "Market-data validation"). The per-instrument checks
run in the feed (they need every diff); this one needs several books, which only the gate, the recorder and the
basis monitor see, and of those only the gate is always running. Its counts are in the gate's ``status()
["divergence"]``, the run summary's ``validation.divergence`` and ``raytrade_data_check_failures{check=
"divergence"}``; alerts go to ``system_alerts`` (rate-limited like the others).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from fractions import Fraction

from actors.instruments import InstrumentSpec
from actors.messages import BookView
from actors.validation.alerts import AlertThrottle
from actors.validation.config import ValidationSettings

__all__ = ["BASE_ALIASES", "HISTORY", "DivergenceMonitor", "group_of"]

HISTORY = 4096
"""Views kept per instrument for the as-of join."""


BASE_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}
"""Venue asset codes of the same asset (Kraken writes BTC as ``XBT`` and DOGE as ``XDG``: Kraken REST API,
"Get Asset Info", ``altname``)."""


def group_of(spec: InstrumentSpec, settings: ValidationSettings) -> str:
    """The comparison group of an instrument: ``"<base>/<quote class> <kind>"`` (``"BTC/USD spot"``)."""
    base = spec.base.upper()
    return f"{BASE_ALIASES.get(base, base)}/{settings.quote_class(spec.quote.upper())} {spec.kind}"


class DivergenceMonitor:
    """Latest mid per instrument, pairwise divergence episodes per group.

    Args:
        settings: ``[validation]`` (``max_divergence_bps``, ``divergence_for_s``, ``divergence_max_skew_ms``,
            ``quote_equivalents``, ``alert_interval_s``).
        instruments: the instruments to watch; groups with one member are never checked.

    ``on_view(view)`` returns the pairs that became a failure with this view (each once per episode).
    """

    def __init__(self, settings: ValidationSettings, instruments: Iterable[InstrumentSpec]) -> None:
        ratio = Fraction(str(settings.max_divergence_bps))
        self._num, self._den = ratio.numerator, ratio.denominator * 20_000
        self.for_ns = int(settings.divergence_for_s * 1e9)
        self.skew_ns = int(settings.divergence_max_skew_ms * 1e6)
        self.max_divergence_bps = settings.max_divergence_bps
        self.alerts = AlertThrottle(settings.alert_interval_s)
        groups: dict[str, list[str]] = {}
        for spec in instruments:
            groups.setdefault(group_of(spec, settings), []).append(spec.instrument_id)
        self.groups = {g: members for g, members in groups.items() if len(members) > 1}
        self._group = {iid: g for g, members in self.groups.items() for iid in members}
        # iid -> its mids in event-time order: ts_event list (for bisect) and (bid + ask, decimals, ts_event)
        self._ts: dict[str, list[int]] = {iid: [] for iid in self._group}
        self._mids: dict[str, list[tuple[int, int, int]]] = {iid: [] for iid in self._group}
        self._since: dict[tuple[str, str], int] = {}  # diverging pair -> ts_event it started
        self._failed: set[tuple[str, str]] = set()  # pairs whose current episode was counted
        self.failures = {g: 0 for g in self.groups}
        self.checks = 0

    def on_view(self, view: BookView) -> list[tuple[str, str]]:
        iid = view.instrument_id
        group = self._group.get(iid)
        if group is None:
            return []
        if not view.ready or not view.bids or not view.asks or not view.ts_event:
            return []
        ts = view.ts_event
        mine = (view.bids[0][0] + view.asks[0][0], view.price_decimals, ts)
        times, mids = self._ts[iid], self._mids[iid]
        if times and ts < times[-1]:
            return []  # older than what this book already showed (a restarted book): not a new observation
        times.append(ts)
        mids.append(mine)
        if len(times) > 2 * HISTORY:
            del times[:HISTORY], mids[:HISTORY]
        fired = []
        for other in self.groups[group]:
            if other == iid:
                continue
            k = bisect_right(self._ts[other], ts)
            if k == 0:
                continue
            theirs = self._mids[other][k - 1]  # the other's latest mid at or before this event time
            if ts - theirs[2] > self.skew_ns:
                continue
            self.checks += 1
            pair = (iid, other) if iid < other else (other, iid)
            if self._diverges(mine, theirs):
                since = self._since.setdefault(pair, max(mine[2], theirs[2]))
                if pair not in self._failed and max(mine[2], theirs[2]) - since >= self.for_ns:
                    self._failed.add(pair)
                    self.failures[group] += 1
                    fired.append(pair)
                    self.alerts.fire(f"{pair[0]}~{pair[1]}", "divergence", False,
                                     f"{group}: mids of {pair[0]} and {pair[1]} apart by "
                                     f"{self._bps(mine, theirs):.1f} bps > {self.max_divergence_bps} bps for "
                                     f">= {self.for_ns / 1e9:g} s", view.ts_event)  # fmt: skip
            else:
                self._since.pop(pair, None)
                self._failed.discard(pair)
        return fired

    @staticmethod
    def _common(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int]:
        scale = max(a[1], b[1])
        return a[0] * 10 ** (scale - a[1]), b[0] * 10 ** (scale - b[1])

    def _diverges(self, a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
        x, y = self._common(a, b)
        return abs(x - y) * self._den > self._num * (x + y)

    def _bps(self, a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
        x, y = self._common(a, b)
        return abs(x - y) * 20_000 / (x + y)

    def stats(self) -> dict:
        """``{"groups": {group: {"instruments": [...], "failures": n}}, "failures", "diverging": [pairs],
        "checks", "alerts"}``."""
        return {"groups": {g: {"instruments": m, "failures": self.failures[g]} for g, m in self.groups.items()},
                "failures": sum(self.failures.values()), "diverging": sorted("~".join(p) for p in self._since),
                "checks": self.checks, "alerts": self.alerts.rows}  # fmt: skip
