"""The run's Prometheus series, derived from the supervisor's status (pure: no Ray, no clock).

The driver of ``raytrade run`` reads ``Supervisor.status()`` every 0.5 s for its progress line; every second it
hands that status (plus the recorder's and the cluster's node count) to :func:`samples_from_status`, and
:class:`CounterTotals` turns the actors' running totals into counter increments, so the series are labelled by
role and instrument (or feed / strategy / actor) and never by worker process: an actor restarted in a new process
continues the same series. The latency histograms are observed where they are measured (book, strategy and
execution actors, ``actors/metrics.py``), with the same labels.

Ray's metrics API prefixes every application metric with ``ray_`` and Prometheus' counters end in ``_total``,
so ``raytrade_gaps`` is scraped as ``ray_raytrade_gaps_total`` (README "Metrics" lists the scraped names).

Series (name, kind, labels; units in the name):

- ``raytrade_frames`` counter ``role=feed, feed, instrument``: websocket frames of the instrument.
- ``raytrade_diffs`` counter ``role=feed, feed, instrument``: depth diffs applied.
- ``raytrade_gaps`` / ``raytrade_resyncs`` counters ``role=feed, feed, instrument``.
- ``raytrade_reconnects`` counter ``role=feed, feed``.
- ``raytrade_validation_failures`` counter ``role, feed|instrument, kind`` (``malformed`` / ``unsupported``
  frames of a feed, ``ticker_mismatch`` / ``crossed`` of a book).
- ``raytrade_data_check_failures`` counter ``role, instrument, check``: market-data validation failures
  (``actors/validation/``): ``role=feed`` for the per-instrument checks (``crossed`` hard; ``outlier_mid``,
  ``outlier_trade``, ``spread``, ``stale`` soft), ``role=risk`` for ``divergence`` (labelled by the pair's
  asset group, e.g. ``BTC/USD spot``).
- ``raytrade_restarts`` counter ``role, actor``: restarts by the supervisor.
- ``raytrade_circuit_open`` gauge ``role, actor``: 1 while the restart circuit is open.
- ``raytrade_actor_up`` gauge ``role, actor``: 1 while the supervisor sees the actor running.
- ``raytrade_feed_connected`` gauge and ``raytrade_feed_last_frame_age_ms`` gauge ``role=feed, feed``.
- ``raytrade_book_ready`` gauge and ``raytrade_book_age_ms`` gauge ``role=book, instrument`` (age of the last
  applied update, wall time).
- ``raytrade_orders`` / ``raytrade_fills`` counters ``role=strategy, strategy``.
- ``raytrade_rejections`` counter ``role=risk, strategy, reason``: intents the risk gate rejected, by rule.
- ``raytrade_trading_state`` gauge ``role=risk``: 0 active, 1 reducing, 2 halted.
- ``raytrade_pnl_usd`` gauge ``role=risk, kind`` (``realized``, ``unrealized``, ``fees``, ``net``; portfolio
  total), ``raytrade_equity_usd`` gauge, ``raytrade_drawdown_pct`` and ``raytrade_daily_loss_pct`` gauges.
- ``raytrade_recorder_lag_s`` (age of the oldest unflushed row), ``raytrade_recorder_spool_bytes``,
  ``raytrade_recorder_buffered_rows`` gauges ``role=recorder``.
- ``raytrade_cluster_nodes_alive`` gauge: Ray nodes alive (a drop is a lost node).

Counters exist from the first export: every label set known when an actor appears (its feed's instruments,
each strategy with every reason of ``REJECTION_REASONS``, each supervised actor's restarts) is sampled with its
running total, 0 included, and the sink exports a 0 for a label set it has not seen yet (Ray's ``Counter.inc``
refuses 0), so ``rate()`` / ``increase()`` in the alert rules see the first increment as one.

Money gauges are floats: they are for dashboards and alerts only; the API and the store keep exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.risk.gate import REJECTION_REASONS

__all__ = ["SERIES", "CounterTotals", "Sample", "samples_from_status", "TRADING_STATE_VALUE"]

TRADING_STATE_VALUE = {"active": 0, "reducing": 1, "halted": 2}

# name -> (kind, description, label keys). The one list the sink, the docs test and the Grafana check read.
SERIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "raytrade_frames": ("counter", "Websocket frames received, per instrument", ("role", "feed", "instrument")),
    "raytrade_diffs": ("counter", "Depth diffs applied", ("role", "feed", "instrument")),
    "raytrade_gaps": ("counter", "Sequence gaps detected", ("role", "feed", "instrument")),
    "raytrade_resyncs": ("counter", "Book resyncs from a REST snapshot", ("role", "feed", "instrument")),
    "raytrade_reconnects": ("counter", "Websocket reconnects", ("role", "feed")),
    "raytrade_validation_failures": ("counter", "Frames or books that failed validation",
                                     ("role", "feed", "instrument", "kind")),
    "raytrade_data_check_failures": ("counter", "Market-data validation failures, per instrument and check",
                                     ("role", "instrument", "check")),
    "raytrade_restarts": ("counter", "Actor restarts by the supervisor", ("role", "actor")),
    "raytrade_circuit_open": ("gauge", "1 while the actor's restart circuit is open", ("role", "actor")),
    "raytrade_actor_up": ("gauge", "1 while the supervisor sees the actor running", ("role", "actor")),
    "raytrade_feed_connected": ("gauge", "1 while the feed's websocket is connected", ("role", "feed")),
    "raytrade_feed_last_frame_age_ms": ("gauge", "Wall time since the feed's last frame (ms)", ("role", "feed")),
    "raytrade_book_ready": ("gauge", "1 while the book is in sync with the venue", ("role", "instrument")),
    "raytrade_book_age_ms": ("gauge", "Wall time since the book's last update (ms)", ("role", "instrument")),
    "raytrade_orders": ("counter", "Order intents sent by the strategy", ("role", "strategy")),
    "raytrade_fills": ("counter", "Fills received by the strategy", ("role", "strategy")),
    "raytrade_rejections": ("counter", "Intents rejected by the risk gate, by rule",
                            ("role", "strategy", "reason")),
    "raytrade_trading_state": ("gauge", "Trading state: 0 active, 1 reducing, 2 halted", ("role",)),
    "raytrade_pnl_usd": ("gauge", "Portfolio PnL in USD (realized, unrealized, fees, net)", ("role", "kind")),
    "raytrade_equity_usd": ("gauge", "Portfolio equity in USD", ("role",)),
    "raytrade_drawdown_pct": ("gauge", "Portfolio drawdown from its peak (%)", ("role",)),
    "raytrade_daily_loss_pct": ("gauge", "Portfolio loss since 00:00 UTC (%)", ("role",)),
    "raytrade_recorder_lag_s": ("gauge", "Age of the oldest row not yet flushed to the store (s)", ("role",)),
    "raytrade_recorder_spool_bytes": ("gauge", "Bytes spooled locally while the store is down", ("role",)),
    "raytrade_recorder_buffered_rows": ("gauge", "Rows buffered for the next flush", ("role",)),
    "raytrade_cluster_nodes_alive": ("gauge", "Ray nodes alive in the cluster", ()),
}


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one series: a counter's running total or a gauge's value."""

    name: str
    tags: tuple[tuple[str, str], ...]
    value: float

    @property
    def kind(self) -> str:
        return SERIES[self.name][0]


def _s(name: str, value, **tags) -> Sample | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    keys = SERIES[name][2]
    return Sample(name, tuple((k, str(tags.get(k, ""))) for k in keys), number)


def samples_from_status(status: dict, recorder: dict | None = None, nodes_alive: int | None = None) -> list[Sample]:
    """Every series of :data:`SERIES` present in a ``Supervisor.status()`` dict.

    Args:
        status: ``{"feeds", "books", "strategies", "risk", "supervision", ...}`` as the supervisor returns it
            (an unreachable actor's entry, ``{"state": "unreachable"}``, contributes nothing but ``actor_up``).
        recorder: ``RecorderActor.status()`` (``lag_s``, ``spool_bytes``, ``buffered_rows``) or None.
        nodes_alive: Ray nodes alive, or None to leave the series out.

    Returns:
        Samples; counters carry running totals (see :class:`CounterTotals`).
    """
    out: list[Sample | None] = []
    for feed_id, f in status.get("feeds", {}).items():
        feed = {"role": "feed", "feed": feed_id}
        out.append(_s("raytrade_reconnects", f.get("reconnects"), **feed))
        if "connected" in f:
            out.append(_s("raytrade_feed_connected", bool(f.get("connected")), **feed))
        out.append(_s("raytrade_feed_last_frame_age_ms", f.get("last_frame_age_ms"), **feed))
        for kind in ("malformed", "unsupported"):
            out.append(_s("raytrade_validation_failures", f.get(kind), kind=kind, **feed))
        for iid, counts in ((f.get("validation") or {}).get("instruments") or {}).items():
            for check, n in counts.items():
                out.append(_s("raytrade_data_check_failures", n, role="feed", instrument=iid, check=check))
        for iid, i in f.get("instruments", {}).items():
            out.append(_s("raytrade_frames", i.get("frames"), instrument=iid, **feed))
            out.append(_s("raytrade_diffs", i.get("diffs_applied"), instrument=iid, **feed))
            out.append(_s("raytrade_gaps", i.get("gaps"), instrument=iid, **feed))
            out.append(_s("raytrade_resyncs", i.get("resyncs"), instrument=iid, **feed))
    for book in status.get("books", {}).values():
        for iid, b in book.get("instruments", {}).items():
            out.append(_s("raytrade_book_ready", bool(b.get("ready")), role="book", instrument=iid))
            out.append(_s("raytrade_book_age_ms", b.get("last_update_age_ms"), role="book", instrument=iid))
            out.append(_s("raytrade_validation_failures", b.get("ticker_mismatches"), role="book", instrument=iid,
                          kind="ticker_mismatch"))  # fmt: skip
            out.append(_s("raytrade_validation_failures", b.get("crossed"), role="book", instrument=iid,
                          kind="crossed"))  # fmt: skip
    for s in status.get("strategies", {}).values():
        if "strategy_id" not in s:
            continue
        out.append(_s("raytrade_orders", s.get("orders"), role="strategy", strategy=s["strategy_id"]))
        out.append(_s("raytrade_fills", s.get("fills"), role="strategy", strategy=s["strategy_id"]))
    strategy_ids = {s["strategy_id"] for s in status.get("strategies", {}).values() if "strategy_id" in s}
    for r in status.get("risk", {}).values():
        if "state" not in r or r.get("state") not in TRADING_STATE_VALUE:
            continue
        out.append(_s("raytrade_trading_state", TRADING_STATE_VALUE[r["state"]], role="risk"))
        for group, n in ((r.get("divergence") or {}).get("groups") or {}).items():
            out.append(_s("raytrade_data_check_failures", n.get("failures"), role="risk", instrument=group,
                          check="divergence"))  # fmt: skip
        seen: set[tuple[str, str]] = set()
        for key, n in (r.get("rejections") or {}).items():  # the actor's {strategy: {reason: n}} or {reason: n}
            for reason, count in (n.items() if isinstance(n, dict) else [(key, n)]):
                strategy = key if isinstance(n, dict) else ""
                seen.add((strategy, reason))
                out.append(_s("raytrade_rejections", count, role="risk", strategy=strategy, reason=reason))
        for strategy in sorted(strategy_ids):  # zeros from the start, so rate() sees the first rejection
            for reason in REJECTION_REASONS:
                if (strategy, reason) not in seen:
                    out.append(_s("raytrade_rejections", 0, role="risk", strategy=strategy, reason=reason))
        portfolio = r.get("portfolio") or {}
        for kind in ("realized", "unrealized", "fees", "net"):
            out.append(_s("raytrade_pnl_usd", portfolio.get(kind), role="risk", kind=kind))
        out.append(_s("raytrade_equity_usd", portfolio.get("equity_usd"), role="risk"))
        usage = r.get("usage") or {}
        out.append(_s("raytrade_drawdown_pct", usage.get("drawdown_pct"), role="risk"))
        out.append(_s("raytrade_daily_loss_pct", usage.get("daily_loss_pct"), role="risk"))
    for name, a in status.get("supervision", {}).items():
        actor = {"role": a.get("role", ""), "actor": name}
        out.append(_s("raytrade_restarts", a.get("restarts"), **actor))
        out.append(_s("raytrade_circuit_open", a.get("circuit") == "open", **actor))
        out.append(_s("raytrade_actor_up", a.get("state") == "running", **actor))
    if recorder and "lag_s" in recorder:
        out.append(_s("raytrade_recorder_lag_s", recorder.get("lag_s"), role="recorder"))
        out.append(_s("raytrade_recorder_spool_bytes", recorder.get("spool_bytes"), role="recorder"))
        out.append(_s("raytrade_recorder_buffered_rows", recorder.get("buffered_rows"), role="recorder"))
    if nodes_alive is not None:
        out.append(_s("raytrade_cluster_nodes_alive", nodes_alive))
    return [s for s in out if s is not None]


class CounterTotals:
    """Turns running totals into counter increments, per series and labels.

    An actor's totals restart from 0 when it is restarted; a total below the last one seen is taken as such a
    reset and its whole value is the increment (what Prometheus' own counter-reset rule would assume).
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, tuple], float] = {}

    def is_new(self, sample: Sample) -> bool:
        """True until :meth:`increment` has seen this series and label set once (the sink exports a 0 then)."""
        return (sample.name, sample.tags) not in self._last

    def increment(self, sample: Sample) -> float:
        """The amount to add to the counter for this total (0 when unchanged)."""
        key = (sample.name, sample.tags)
        last = self._last.get(key, 0.0)
        self._last[key] = sample.value
        return sample.value if sample.value < last else sample.value - last
