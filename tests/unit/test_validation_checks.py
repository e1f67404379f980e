"""Market-data checks (actors/validation/) on constructed books: each fires exactly beyond its threshold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import ConfigError
from actors.feed.pipeline import FeedPipeline
from actors.instruments import spec_for
from actors.messages import BookReset, BookSnapshot
from actors.validation import ValidationSettings, load_validation
from actors.validation.alerts import AlertThrottle
from actors.validation.crossed import crossed_or_locked
from actors.validation.outlier import PctBand, RollingReturns
from actors.validation.spread import SpreadCheck
from actors.validation.stale import is_stale
from actors.validation.validator import InstrumentChecks

IID = "BTCUSDT.BINANCE"
S = 1_000_000_000  # ns per second


def checks(**thresholds) -> InstrumentChecks:
    settings = ValidationSettings(**thresholds)
    return InstrumentChecks(IID, settings.thresholds_for(IID), AlertThrottle(settings.alert_interval_s), 2)


# -- crossed / locked -------------------------------------------------------------------------------------------
def test_crossed_and_locked_books_fail_and_a_one_tick_spread_passes():
    assert crossed_or_locked(101, 100)
    assert crossed_or_locked(100, 100)  # locked counts
    assert not crossed_or_locked(99, 100)
    assert not crossed_or_locked(None, 100) and not crossed_or_locked(100, None)


@given(st.integers(1, 10**12), st.integers(1, 10**12))
def test_crossed_is_exactly_bid_at_or_above_ask(bid, ask):
    assert crossed_or_locked(bid, ask) is (bid >= ask)


# -- spread -----------------------------------------------------------------------------------------------------
def test_spread_exactly_at_the_threshold_passes_and_one_tick_beyond_fails():
    check = SpreadCheck(10)  # 10 bps
    # bid 9_995, ask 10_005: spread 10 on mid 10_000 = 10 bps exactly
    assert not check.too_wide(9_995, 10_005)
    assert check.too_wide(9_995, 10_006)
    assert not check.too_wide(9_996, 10_005)


@given(st.integers(1, 10**9), st.integers(1, 10**6), st.sampled_from([0.5, 1, 2.5, 10, 123.25, 500]))
def test_spread_check_agrees_with_exact_rational_arithmetic(bid, width, bps):
    from fractions import Fraction

    ask = bid + width
    exact = Fraction(ask - bid) / (Fraction(ask + bid) / 2) * 10_000
    assert SpreadCheck(bps).too_wide(bid, ask) is (exact > Fraction(str(bps)))


def test_a_wide_spread_is_one_episode_until_it_narrows():
    c = checks(max_spread_bps=10)
    for _ in range(5):
        c.on_book(9_990, 10_010, 1)  # 20 bps
    assert c.counts["spread"] == 1
    c.on_book(9_999, 10_001, 2)
    c.on_book(9_990, 10_010, 3)
    assert c.counts["spread"] == 2


# -- outlier ----------------------------------------------------------------------------------------------------
def test_stdev_outlier_fires_strictly_beyond_k_standard_deviations():
    rr = RollingReturns(stdevs=2, window=100, window_s=3600, min_samples=4)
    # returns +0.5, -0.5 repeated: population stdev exactly 0.5
    prices = [1024, 1536, 768, 1152, 576]
    for p in prices:
        rr.observe(p * 2**20, 0)
    assert rr.samples == 4 and rr.stdev() == 0.5
    last = prices[-1] * 2**20
    assert rr.observe(last * 2, 0) is False  # r = +1.0 = exactly 2 stdev: not beyond
    rr2 = RollingReturns(stdevs=2, window=100, window_s=3600, min_samples=4)
    for p in prices:
        rr2.observe(p * 2**20, 0)
    assert rr2.observe(last * 2 + 1, 0) is True  # just beyond
    assert rr2.outliers == 1


def test_no_stdev_verdict_before_min_samples_and_old_returns_leave_the_window():
    rr = RollingReturns(stdevs=1, window=100, window_s=10, min_samples=3)
    for i, p in enumerate([1000, 1001, 1000, 1001]):
        rr.observe(p, i * S)
    assert rr.samples == 3
    assert rr.observe(100_000, 30 * S) is False  # the three returns are older than 10 s: dropped first
    assert rr.samples == 1


def test_unchanged_prices_are_not_returns():
    rr = RollingReturns(stdevs=1, window=10, window_s=10, min_samples=2)
    for _ in range(20):
        assert rr.observe(1000, 0) is False
    assert rr.samples == 0 and rr.moves == 0


def test_pct_band_is_exact_at_the_boundary():
    band = PctBand(5)
    assert not band.beyond(105, 100) and not band.beyond(95, 100)
    assert band.beyond(10_501, 10_000) and band.beyond(9_499, 10_000)


def test_mid_jump_beyond_pct_is_a_mid_outlier_and_the_book_is_kept():
    c = checks(outlier_pct=5)
    c.on_book(9_999, 10_001, 1)
    c.on_book(10_499, 10_501, 2)  # +5% exactly: not beyond
    assert c.counts["outlier_mid"] == 0
    c.on_book(11_100, 11_102, 3)  # +5.7%
    assert c.counts["outlier_mid"] == 1


def test_trade_far_from_mid_is_a_trade_outlier():
    c = checks(outlier_pct=1)
    c.on_book(9_999, 10_001, 1)
    c.on_trade(10_100, 2)  # 1% from mid 10_000 exactly: not beyond
    c.on_trade(10_101, 3)
    assert c.counts["outlier_trade"] == 1


def test_after_a_resync_the_mid_series_starts_again():
    c = checks(outlier_pct=1)
    c.on_book(9_999, 10_001, 1)
    c.forget()  # the book was cleared and rebuilt
    c.on_book(19_999, 20_001, 2)
    assert c.counts["outlier_mid"] == 0


# -- stale ------------------------------------------------------------------------------------------------------
def test_stale_only_while_connected_and_strictly_past_the_limit():
    assert not is_stale(1 * S, 11 * S, 10, True)  # exactly 10 s
    assert is_stale(1 * S, 11 * S + 1, 10, True)
    assert not is_stale(1 * S, 100 * S, 10, False)  # disconnected: the transport's business
    assert not is_stale(0, 100 * S, 10, True)  # never updated: not ready, not judged


def test_a_stale_book_is_one_episode_until_the_next_update():
    c = checks(stale_book_s=10)
    c.on_book(9_999, 10_001, 1 * S)
    for t in (12, 13, 14):
        c.check_stale(t * S, True)
    assert c.counts["stale"] == 1
    c.on_book(9_999, 10_001, 15 * S)
    assert not c.check_stale(16 * S, True)
    c.check_stale(30 * S, True)
    assert c.counts["stale"] == 2


# -- alerts -----------------------------------------------------------------------------------------------------
def test_alerts_are_rate_limited_per_instrument_and_check_and_count_what_they_suppressed():
    throttle = AlertThrottle(interval_s=60)
    assert throttle.fire("A", "spread", False, "wide", 0)
    assert not throttle.fire("A", "spread", False, "wide", 10 * S)
    assert not throttle.fire("A", "spread", False, "wide", 20 * S)
    assert throttle.fire("A", "stale", False, "stale", 20 * S)  # another check: its own budget
    assert throttle.fire("A", "spread", False, "wide again", 61 * S)
    rows = throttle.drain()
    assert [r["source"] for r in rows] == ["validation:spread:A", "validation:stale:A", "validation:spread:A"]
    assert rows[2]["message"] == "wide again (+2 suppressed)"
    assert rows[0]["severity"] == "warning" and rows[0]["acknowledged"] is False
    assert throttle.drain() == []


def test_a_hard_failure_is_a_critical_alert():
    c = checks()
    c.on_crossed(10_001, 10_000, 5)
    (row,) = c.alerts.drain()
    assert row["severity"] == "critical" and row["source"] == f"validation:crossed:{IID}"
    assert "100.01 >= ask 100.00" in row["message"]


# -- config -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [{"max_spread_bps": 0}, {"outlier_stdevs": -1}, {"stale_book_s": 0},
                                 {"outlier_window": 1}, {"max_spread_bp": 5}, {"outlier_min_samples": 500,
                                 "outlier_window": 100}, {"quote_equivalents": [["usd"]]},
                                 {"instruments": {IID: {"max_spread_bps": -3}}}])  # fmt: skip
def test_bad_thresholds_are_a_config_error(bad):
    with pytest.raises(ConfigError):
        load_validation(bad)


def test_per_instrument_overrides_replace_only_their_fields():
    settings = load_validation({"max_spread_bps": 20, "instruments": {IID: {"max_spread_bps": 3}}})
    assert settings.thresholds_for(IID).max_spread_bps == 3
    assert settings.thresholds_for(IID).outlier_pct == settings.outlier_pct
    assert settings.thresholds_for("ETHUSDT.BINANCE").max_spread_bps == 20
    with pytest.raises(ConfigError):
        load_validation({"outlier_window": 100, "instruments": {IID: {"outlier_min_samples": 200}}}).thresholds_for(IID)


# -- in the feed pipeline -------------------------------------------------------------------------------------
def snapshot(bids, asks, seq=100):
    return BookSnapshot(IID, seq, tuple(bids), tuple(asks), 8, 8, 0, 1)


def depth_frame(u: int, bids=(), asks=()) -> bytes:
    levels = lambda side: ",".join(f'["{p}","{q}"]' for p, q in side)  # noqa: E731
    return (f'{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{u},"u":{u},'
            f'"b":[{levels(bids)}],"a":[{levels(asks)}]}}}}').encode()


def test_a_diff_that_crosses_the_book_is_a_hard_failure_and_the_book_is_reset():
    pipe = FeedPipeline("binance", [spec_for("binance", "BTCUSDT")])
    pipe.on_snapshot(snapshot([(99 * 10**8, 10**8)], [(101 * 10**8, 10**8)]))
    pipe.on_frame(depth_frame(101, bids=[("102.00000000", "1.00000000")]), 5)
    assert pipe.validator.stats()["hard_failures"] == 1
    events = pipe.drain()[IID]
    assert isinstance(events[-1], BookReset) and events[-1].reason == "crossed"
    assert not pipe.syncs[IID].ready
    (row,) = pipe.validator.alerts.drain()
    assert row["severity"] == "critical"


def test_applied_diffs_and_trades_feed_the_soft_checks_and_the_book_stays_ready():
    pipe = FeedPipeline("binance", [spec_for("binance", "BTCUSDT")],
                        validation=ValidationSettings(max_spread_bps=100, outlier_pct=1))
    pipe.on_snapshot(snapshot([(99 * 10**8, 10**8)], [(100 * 10**8, 10**8)]))  # ~100.5 bps: wide
    assert pipe.validator.books[IID].counts["spread"] == 1
    pipe.on_frame(depth_frame(101, asks=[("100.00000000", "0"), ("99.50000000", "1.00000000")]), 5)  # ~50 bps
    assert pipe.validator.books[IID].wide is False
    trade = (b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"120.00000000",'
             b'"q":"1.00000000","T":1,"m":true,"M":true}}')
    pipe.on_frame(trade, 6)
    assert pipe.last_error is None
    assert pipe.validator.books[IID].counts["outlier_trade"] == 1  # 20% from the mid
    assert pipe.syncs[IID].ready  # soft: the book is kept


def test_validation_off_leaves_no_validator():
    pipe = FeedPipeline("binance", [spec_for("binance", "BTCUSDT")], validation=ValidationSettings(enabled=False))
    assert pipe.validator is None
    pipe.on_snapshot(snapshot([(99, 1)], [(100, 1)]))
    assert pipe.syncs[IID].ready


# -- run config, telemetry ----------------------------------------------------------------------------------------
def test_run_config_takes_validation_defaults_and_overrides_and_refuses_unknown_instruments(tmp_path):
    from cluster.config import load_config

    path = tmp_path / "run.toml"
    path.write_text('[validation]\nmax_spread_bps = 40\n[validation.instruments."BTCUSDT.BINANCE"]\nmax_spread_bps = 2\n')
    config = load_config(path)
    assert config.validation.enabled
    assert config.validation.thresholds_for(IID).max_spread_bps == 2
    assert config.validation.thresholds_for("BTCUSDT.BINANCE_USDM").max_spread_bps == 40
    path.write_text('[validation.instruments."ETHUSDT.BINANCE"]\nmax_spread_bps = 2\n')
    with pytest.raises(ConfigError, match="no feed provides"):
        load_config(path)
    path.write_text("[validation]\nstale_book_s = -1\n")
    with pytest.raises(ConfigError, match="stale_book_s"):
        load_config(path)


def test_feed_validation_counts_become_a_counter_per_instrument_and_check():
    from actors.telemetry import samples_from_status

    status = {"feeds": {"binance-spot": {"validation": {"instruments": {IID: {"crossed": 2, "spread": 1}}}}},
              "risk": {"risk": {"state": "active", "divergence": {"groups": {"BTC/USD spot": {"failures": 3}}}}}}
    samples = {(s.name, s.tags): s.value for s in samples_from_status(status)
               if s.name == "raytrade_data_check_failures"}  # fmt: skip
    assert samples == {
        ("raytrade_data_check_failures", (("role", "feed"), ("instrument", IID), ("check", "crossed"))): 2.0,
        ("raytrade_data_check_failures", (("role", "feed"), ("instrument", IID), ("check", "spread"))): 1.0,
        ("raytrade_data_check_failures", (("role", "risk"), ("instrument", "BTC/USD spot"), ("check", "divergence"))): 3.0,
    }


# -- the feed actor: stale check and alert rows -------------------------------------------------------------------
class _Recorder:
    """A recorder handle whose ``write_market.remote(table, rows)`` calls are kept."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list]] = []
        recorder = self

        class _Method:
            def remote(self, table, rows):
                recorder.calls.append((table, rows))

        self.write_market = _Method()


def test_feed_actor_runs_the_stale_check_only_while_connected_and_writes_the_alert_to_the_recorder():
    import asyncio
    import time

    from actors.feed.actor import FeedActor, FeedSpec

    recorder = _Recorder()
    spec = FeedSpec(feed_id="f", venue="binance", symbols=("BTCUSDT",), ws_url="ws://127.0.0.1:9/stream",
                    rest_url="http://127.0.0.1:9", book_actors={IID: "book"}, recorder_name="rec",
                    validation=ValidationSettings(stale_book_s=1))  # fmt: skip
    actor = FeedActor(spec, lookup=lambda name: recorder, put=lambda x: x)
    five_s_ago = time.time_ns() - 5 * S
    actor.pipeline.on_snapshot(BookSnapshot(IID, 5, ((99 * 10**8, 10**8),), ((100 * 10**8, 10**8),), 8, 8, 0,
                                            five_s_ago))  # fmt: skip
    asyncio.run(actor._send_events())  # not connected: the transport's business, not a stale book
    assert actor.status()["validation"]["instruments"][IID]["stale"] == 0
    actor.transport.stats.connected = True
    asyncio.run(actor._send_events())
    asyncio.run(actor._send_events())  # still stale: the same episode
    assert actor.status()["validation"]["instruments"][IID]["stale"] == 1
    alerts = [rows for table, rows in recorder.calls if table == "system_alerts"]
    assert len(alerts) == 1 and alerts[0][0]["source"] == f"validation:stale:{IID}"
    assert "while connected" in alerts[0][0]["message"]


def test_a_bybit_reset_diff_that_loads_a_crossed_book_is_hard_like_a_snapshot():
    """Bybit v5: a delta with ``u == 1`` replaces the book (loaded as a snapshot), so it is judged like one."""
    spec = spec_for("bybit_linear", "BTCUSDT")
    pipe = FeedPipeline("bybit_linear", [spec])
    frame = (b'{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1786310846428,"data":{"s":"BTCUSDT",'
             b'"b":[["65136.00","1.000"]],"a":[["65135.00","0.577"]],"u":1,"seq":1},"cts":1786310846427}')
    pipe.on_frame(frame, 7)
    assert pipe.last_error is None, pipe.last_error
    iid = spec.instrument_id
    assert pipe.validator.books[iid].counts["crossed"] == 1
    assert not pipe.syncs[iid].ready
    events = pipe.drain()[iid]
    assert isinstance(events[-1], BookReset) and events[-1].reason == "crossed"
