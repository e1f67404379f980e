"""Cross-venue divergence (actors/validation/divergence.py): grouping, event-time pairing, exact threshold."""

from __future__ import annotations

from decimal import Decimal

from actors.instruments import spec_for
from actors.messages import BookView
from actors.validation import ValidationSettings
from actors.validation.divergence import DivergenceMonitor, group_of

S = 1_000_000_000
BIN, CB, OKX = spec_for("binance", "BTCUSDT"), spec_for("coinbase", "BTC-USD"), spec_for("okx", "BTC-USDT")
USDM, COINM = spec_for("binance_usdm", "BTCUSDT"), spec_for("binance_coinm", "BTCUSD_PERP")


def view(spec, bid: str, ask: str, ts_event: int, ready: bool = True) -> BookView:
    d = spec.price_decimals
    px = lambda text: int(Decimal(text).scaleb(d))  # noqa: E731
    return BookView(spec.instrument_id, ready, 1, ((px(bid), 1),), ((px(ask), 1),), d, spec.size_decimals, ts_event,
                    ts_event, ts_event)  # fmt: skip


def test_usd_usdt_usdc_spot_quotes_are_one_group_and_perpetuals_another():
    settings = ValidationSettings()
    assert group_of(BIN, settings) == group_of(CB, settings) == group_of(OKX, settings) == "BTC/USD spot"
    assert group_of(USDM, settings) == group_of(COINM, settings) == "BTC/USD perpetual"
    assert group_of(spec_for("kraken", "XBTUSD"), settings) == "BTC/USD spot"  # Kraken's XBT
    only_usdt = ValidationSettings(quote_equivalents=[["USDT"]])
    assert group_of(CB, only_usdt) != group_of(BIN, only_usdt)


def test_divergence_beyond_the_threshold_for_the_duration_fails_once_per_episode():
    mon = DivergenceMonitor(ValidationSettings(max_divergence_bps=100, divergence_for_s=5), [BIN, CB])
    def both(cb_mid: str, t: int) -> list:
        return mon.on_view(view(BIN, "60000.00", "60000.00", t * S)) + mon.on_view(view(CB, cb_mid, cb_mid, t * S))

    assert both("61000.00", 1) == []  # 165 bps, just started
    assert both("61000.00", 5) == []  # 4 s
    assert both("61000.00", 6) == [("BTC-USD.COINBASE", "BTCUSDT.BINANCE")]  # 5 s: fails
    assert both("61000.00", 7) == []  # the same episode
    both("60010.00", 8)  # back together: the episode is over
    assert mon.stats()["diverging"] == []
    both("61000.00", 9)
    both("61000.00", 15)
    assert mon.stats()["failures"] == 2
    assert mon.stats()["groups"]["BTC/USD spot"]["failures"] == 2
    rows = mon.alerts.drain()
    assert rows and rows[0]["source"] == "validation:divergence:BTC-USD.COINBASE~BTCUSDT.BINANCE"


def test_exactly_at_the_threshold_is_not_a_divergence():
    # mids 9_950 and 10_050: |a - b| / mean = 100 / 10_000 = 100 bps exactly
    mon = DivergenceMonitor(ValidationSettings(max_divergence_bps=100, divergence_for_s=0), [BIN, CB])
    mon.on_view(view(BIN, "9950.00", "9950.00", S))
    assert mon.on_view(view(CB, "10050.00", "10050.00", S)) == []
    assert mon.on_view(view(CB, "10050.01", "10050.01", S)) != []


def test_mids_are_paired_on_venue_time_only_within_the_skew():
    mon = DivergenceMonitor(ValidationSettings(max_divergence_bps=10, divergence_for_s=0,
                                               divergence_max_skew_ms=500), [BIN, CB])  # fmt: skip
    mon.on_view(view(BIN, "60000.00", "60000.00", 1 * S))
    assert mon.on_view(view(CB, "65000.00", "65000.00", 10 * S)) == []  # 9 s apart: a different moment
    assert mon.checks == 0
    assert mon.on_view(view(BIN, "60000.00", "60000.00", 10 * S + 400_000_000)) != []


def test_not_ready_views_and_views_without_venue_time_are_not_compared():
    mon = DivergenceMonitor(ValidationSettings(max_divergence_bps=10, divergence_for_s=0), [BIN, CB])
    mon.on_view(view(BIN, "60000.00", "60000.00", 0))  # Binance spot REST snapshot: no venue time
    assert mon.on_view(view(CB, "65000.00", "65000.00", S)) == []
    mon.on_view(view(BIN, "60000.00", "60000.00", S, ready=False))
    assert mon.on_view(view(CB, "65000.00", "65000.00", S)) == [] and mon.checks == 0


def test_an_instrument_alone_in_its_group_is_never_checked():
    mon = DivergenceMonitor(ValidationSettings(), [BIN, USDM])
    assert mon.groups == {}
    assert mon.on_view(view(BIN, "60000.00", "60000.00", S)) == []


def test_a_venue_running_ahead_is_compared_when_the_other_catches_up():
    """At --speed max one replayed venue can be minutes of venue time ahead: the as-of join still pairs them."""
    mon = DivergenceMonitor(ValidationSettings(max_divergence_bps=100, divergence_for_s=5), [BIN, CB])
    for t in range(1, 61):  # Binance runs a minute ahead
        mon.on_view(view(BIN, "60000.00", "60000.00", t * S))
    assert mon.checks == 0
    fired = []
    for t in range(1, 11):  # Coinbase catches up, 2% away all along
        fired += mon.on_view(view(CB, "61200.00", "61200.00", t * S))
    assert mon.checks == 10
    assert fired == [("BTC-USD.COINBASE", "BTCUSDT.BINANCE")]  # once, after 5 s of venue time
