"""The run's Prometheus series from a supervisor status: labelled by role and instrument, counters survive restarts."""

from __future__ import annotations

from actors.telemetry import SERIES, CounterTotals, Sample, samples_from_status

STATUS = {
    "feeds": {"binance-spot": {"role": "feed", "state": "running", "connected": True, "reconnects": 2,
                               "last_frame_age_ms": 12.5, "malformed": 1, "unsupported": 0,
                               "instruments": {"BTCUSDT.BINANCE": {"frames": 900, "diffs_applied": 850, "gaps": 3,
                                                                   "resyncs": 3}}}},
    "books": {"book:BTCUSDT.BINANCE": {"instruments": {"BTCUSDT.BINANCE": {
        "ready": True, "last_update_age_ms": 40.0, "ticker_mismatches": 0, "crossed": 0}}}},
    "strategies": {"strategy:mm-1": {"strategy_id": "mm-1", "orders": 17, "fills": 4},
                   "strategy:x": {"state": "unreachable", "error": "dead"}},
    "risk": {"risk": {"state": "reducing", "rejections": {"mm-1": {"price_band": 2, "rate": 1}},
                               "portfolio": {"realized": "1.5000000000", "unrealized": "-0.2500000000",
                                             "fees": "0.1000000000", "net": "1.1500000000",
                                             "equity_usd": "10001.1500000000"},
                               "usage": {"drawdown_pct": "0.0123", "daily_loss_pct": "0.0000"}}},
    "supervision": {"feed:binance-spot": {"role": "feed", "state": "running", "restarts": 1,
                                                   "circuit": "closed"},
                    "strategy:x": {"role": "strategy", "state": "circuit_open", "restarts": 5,
                                            "circuit": "open"}},
}


def _by(samples: list[Sample]) -> dict:
    return {(s.name, s.tags): s.value for s in samples}


def test_status_becomes_series_labelled_by_role_and_instrument():
    got = _by(samples_from_status(STATUS, {"lag_s": 0.4, "spool_bytes": 0, "buffered_rows": 12}, nodes_alive=3))
    feed = (("role", "feed"), ("feed", "binance-spot"), ("instrument", "BTCUSDT.BINANCE"))
    assert got[("raytrade_gaps", feed)] == 3 and got[("raytrade_frames", feed)] == 900
    assert got[("raytrade_reconnects", (("role", "feed"), ("feed", "binance-spot")))] == 2
    assert got[("raytrade_book_age_ms", (("role", "book"), ("instrument", "BTCUSDT.BINANCE")))] == 40.0
    assert got[("raytrade_trading_state", (("role", "risk"),))] == 1  # reducing
    assert got[("raytrade_rejections", (("role", "risk"), ("strategy", "mm-1"), ("reason", "price_band")))] == 2
    assert got[("raytrade_pnl_usd", (("role", "risk"), ("kind", "unrealized")))] == -0.25
    assert got[("raytrade_circuit_open", (("role", "strategy"), ("actor", "strategy:x")))] == 1
    assert got[("raytrade_actor_up", (("role", "strategy"), ("actor", "strategy:x")))] == 0
    assert got[("raytrade_recorder_buffered_rows", (("role", "recorder"),))] == 12
    assert got[("raytrade_cluster_nodes_alive", ())] == 3
    # no worker process in any label, and every sample names a known series with all its label keys
    for (name, tags), _ in got.items():
        assert tuple(k for k, _ in tags) == SERIES[name][2]
        assert not any(k.lower().startswith("worker") for k, _ in tags)
    # an unreachable strategy contributes no order counts
    assert not any(n == "raytrade_orders" and ("strategy", "") in t for n, t in got)


def test_counter_totals_continue_across_an_actor_restart():
    totals = CounterTotals()
    tags = (("role", "feed"), ("feed", "f"), ("instrument", "I"))
    incs = [totals.increment(Sample("raytrade_gaps", tags, v)) for v in (0, 3, 3, 5, 1, 4)]
    # 0 -> 3 -> 3 -> 5, then the restarted feed counts from 0 again: 1 (a reset), then 4
    assert incs == [0, 3, 0, 2, 1, 3]


def test_missing_or_non_numeric_values_are_left_out():
    status = {"feeds": {"f": {"reconnects": None, "instruments": {}}}, "risk": {"r": {"state": "unreachable"}}}
    assert samples_from_status(status) == []


def test_every_rejection_reason_of_a_known_strategy_is_a_zero_from_the_start():
    from actors.risk.gate import REJECTION_REASONS

    got = _by(samples_from_status(STATUS))
    rejections = {dict(t)["reason"]: v for (n, t), v in got.items()
                  if n == "raytrade_rejections" and dict(t)["strategy"] == "mm-1"}  # fmt: skip
    assert set(REJECTION_REASONS) <= set(rejections)
    assert rejections["price_band"] == 2 and rejections["strategy_down"] == 0 and rejections["halted"] == 0
    # the unreachable entry has no strategy id: no zeros under an empty strategy label
    assert not any(n == "raytrade_rejections" and dict(t)["strategy"] == "" for n, t in got)


def test_a_label_set_is_new_once_so_the_sink_exports_its_zero_once():
    totals = CounterTotals()
    zero = Sample("raytrade_restarts", (("role", "feed"), ("actor", "a")), 0)
    assert totals.is_new(zero)
    assert totals.increment(zero) == 0
    assert not totals.is_new(zero)
    assert totals.increment(Sample(zero.name, zero.tags, 1)) == 1
