"""Inverse positions (Binance COIN-M BTCUSD_PERP, 100 USD contracts): harmonic entry, PnL and fees in BTC, USD.

Prices are chosen so every ``1/p`` is a finite decimal (40000, 50000, 62500, 64000, 80000): the hand arithmetic
below is then exact, as the portfolio's is.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.orders import Fill, Liquidity, Side
from actors.portfolio import Portfolio

COINM = spec_for("binance_coinm", "BTCUSD_PERP")
SPOT = spec_for("binance", "BTCUSDT")
C = D(100)  # USD per contract
T0 = 1_723_161_255_342_000_000


def fill(side, price, contracts, ts, n=[0], strategy="s1"):  # noqa: B006
    """A taker fill with the COIN-M fee execution computes: ``contracts · 100 / price · 0.05 %`` in BTC."""
    n[0] += 1
    fee = D(contracts) * C / D(price) * COINM.taker_fee
    return Fill(f"f{n[0]}", f"o{n[0]}", strategy, COINM.instrument_id, side, to_fixed(price, COINM.price_decimals),
                contracts, COINM.price_decimals, 0, Liquidity.TAKER, fee, "BTC", ts)  # fmt: skip


def fee(price, contracts):
    return D(contracts) * C / D(price) * D("0.0005")


@pytest.fixture
def pf():
    p = Portfolio({COINM.instrument_id: COINM, SPOT.instrument_id: SPOT})
    p.add_strategy("s1", D(5_000))
    return p


def test_long_entry_is_the_contract_weighted_harmonic_mean_and_pnl_is_in_btc(pf):
    # Arrange / Act: buy 10 at 40000, 30 at 80000; sell 20 at 80000; mark 62500.
    pf.on_fill(fill(Side.BUY, "40000.0", 10, T0))
    opened = pf.on_fill(fill(Side.BUY, "80000.0", 30, T0 + 1))
    part = pf.on_fill(fill(Side.SELL, "80000.0", 20, T0 + 2))
    pf.on_mark(COINM.instrument_id, D("62500.0"), T0 + 3)
    snap = pf.position("s1", COINM.instrument_id)

    # Assert: entry = Σn / Σ(n/p); PnL = N · 100 · (1/P0 − 1/P1) in BTC.
    entry = D(40) / (D(10) / D(40000) + D(30) / D(80000))
    assert entry == D(64000) and opened.avg_entry_price == entry
    assert part.status == "partial" and part.size == 20 and part.pnl_currency == "BTC"
    realized = 20 * C * (1 / entry - 1 / D(80000))
    unrealized = 20 * C * (1 / entry - 1 / D("62500.0"))
    assert realized == D("0.00625") and part.realized_pnl == realized
    assert unrealized == D("-0.00075") and snap.unrealized_pnl == unrealized
    fees = fee("40000.0", 10) + fee("80000.0", 30) + fee("80000.0", 20)
    assert snap.fees == fees
    assert pf.pnl("s1")["BTC"] == {"realized": realized, "unrealized": unrealized, "fees": fees,
                                   "net": realized + unrealized - fees}  # fmt: skip
    # USD at the coin's latest mark (the BTCUSD_PERP mark, quote USD at 1).
    assert pf.usd_rate("BTC") == D("62500.0")
    assert pf.pnl_usd("s1")["net"] == (realized + unrealized - fees) * D("62500.0")
    assert pf.equity_usd("s1") == D(5_000) + (realized + unrealized - fees) * D("62500.0")
    # Notional of an inverse contract is fixed in USD: 20 contracts · 100 USD.
    assert pf.notional_usd("s1") == D(2_000)
    # Realized PnL and fees settle in the coin.
    assert pf.balances("s1") == {"USDT": D(5_000), "BTC": realized - fees}


def test_short_gains_in_btc_when_price_falls_and_the_round_trip_converts_at_the_exit_price(pf):
    # Arrange / Act: sell 10 at 40000 and 30 at 80000 (entry 64000), buy 40 back at 62500.
    pf.on_fill(fill(Side.SELL, "40000.0", 10, T0))
    short = pf.on_fill(fill(Side.SELL, "80000.0", 30, T0 + 1))
    flat = pf.on_fill(fill(Side.BUY, "62500.0", 40, T0 + 2))

    # Assert: short PnL = N · 100 · (1/P1 − 1/P0).
    assert short.size == -40 and short.avg_entry_price == D(64000)
    realized = 40 * C * (1 / D("62500.0") - 1 / D(64000))
    fees = fee("40000.0", 10) + fee("80000.0", 30) + fee("62500.0", 40)
    assert realized == D("0.0015") and flat.realized_pnl == realized and flat.size == 0
    (rt,) = pf.round_trips("s1")
    assert rt.side == "short" and rt.size == 40 and rt.entry_price == D(64000) and rt.exit_price == D("62500.0")
    assert rt.entry_value == 10 * C / D(40000) + 30 * C / D(80000)  # BTC value of the entries
    assert rt.realized_pnl == realized and rt.fees == fees and rt.pnl_currency == "BTC"
    assert rt.net_pnl_usd == (realized - fees) * D("62500.0")
    record = pf.position_records("s1")[0]
    assert D(record["pnl_pct"]) == (realized - fees) / rt.entry_value * 100


def test_btc_pnl_has_no_usd_value_before_a_coin_mark_then_uses_the_latest_coin_mark(pf):
    # Arrange: a realized BTC gain, no mark anywhere yet.
    pf.on_fill(fill(Side.BUY, "62500.0", 40, T0))
    pf.on_fill(fill(Side.SELL, "64000.0", 40, T0 + 1))
    net_btc = 40 * C * (1 / D("62500.0") - 1 / D(64000)) - fee("62500.0", 40) - fee("64000.0", 40)

    # Act / Assert: excluded from USD totals, listed as unconverted.
    assert pf.usd_rate("BTC") is None
    assert pf.equity_usd("s1") == D(5_000) and pf.unconverted("s1") == {"BTC": net_btc}

    # A spot BTCUSDT mid gives BTC a USD price (USDT at par); a later COIN-M mark takes over.
    pf.on_mark(SPOT.instrument_id, D("61837.635"), T0 + 10)
    assert pf.equity_usd("s1") == D(5_000) + net_btc * D("61837.635") and pf.unconverted("s1") == {}
    pf.on_mark(COINM.instrument_id, D("61850.1"), T0 + 20)
    assert pf.equity_usd("s1") == D(5_000) + net_btc * D("61850.1")
