"""Linear positions (Binance spot and USD-M BTCUSDT): average entry, realized/unrealized PnL, fees, flips, balances.

Every expected number is written as the arithmetic of TRADING.md "Positions and PnL" on the fills of the test.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.orders import Fill, Liquidity, Side
from actors.portfolio import Portfolio

SPOT = spec_for("binance", "BTCUSDT")
USDM = spec_for("binance_usdm", "BTCUSDT")
T0 = 1_723_161_255_342_000_000  # 2024-08-08 23:54:15 UTC, the bundled capture's first trade


def fill(spec, side, price, size, fee_rate, ts, n=[0], strategy="s1", tag="", fee=None):  # noqa: B006
    """A fill with the fee execution computes (``size · price · rate`` in the quote)."""
    n[0] += 1
    fee = D(size) * D(price) * D(fee_rate) if fee is None else fee
    return Fill(f"f{n[0]}", f"o{n[0]}", strategy, spec.instrument_id, side, to_fixed(price, spec.price_decimals),
                to_fixed(size, spec.size_decimals), spec.price_decimals, spec.size_decimals, Liquidity.TAKER, fee,
                spec.quote, ts, tag)  # fmt: skip


@pytest.fixture
def pf():
    p = Portfolio({SPOT.instrument_id: SPOT, USDM.instrument_id: USDM})
    p.add_strategy("s1", D(10_000))
    return p


def test_long_average_entry_is_size_weighted_and_marks_to_mid(pf):
    # Arrange / Act: two buys at taker 0.1 %.
    pf.on_fill(fill(SPOT, Side.BUY, "61837.63", "0.01000", SPOT.taker_fee, T0))
    pos = pf.on_fill(fill(SPOT, Side.BUY, "61800.01", "0.03000", SPOT.taker_fee, T0 + 1))
    pf.on_mark(SPOT.instrument_id, D("61850.005"), T0 + 2)

    # Assert
    entry = (D("0.01") * D("61837.63") + D("0.03") * D("61800.01")) / D("0.04")
    fees = D("0.01") * D("61837.63") * D("0.001") + D("0.03") * D("61800.01") * D("0.001")
    snap = pf.position("s1", SPOT.instrument_id)
    assert pos.size == 4_000_000 and pos.status == "open"
    assert snap.avg_entry_price == entry == D("61809.415")
    assert snap.unrealized_pnl == D("0.04") * (D("61850.005") - entry)
    assert snap.fees == fees and snap.pnl_currency == "USDT"
    assert pf.pnl_usd("s1")["net"] == D("0.04") * (D("61850.005") - entry) - fees
    assert pf.equity_usd("s1") == D(10_000) + D("0.04") * (D("61850.005") - entry) - fees


def test_partial_close_realizes_at_average_entry_and_full_close_ends_the_round_trip(pf):
    # Arrange: long 0.04 at 61809.415 (two buys).
    buys = [("61837.63", "0.01000"), ("61800.01", "0.03000")]
    for i, (p, q) in enumerate(buys):
        pf.on_fill(fill(SPOT, Side.BUY, p, q, "0.001", T0 + i))
    entry = D("61809.415")

    # Act: sell 0.015 higher (partial), then 0.025 lower (close).
    part = pf.on_fill(fill(SPOT, Side.SELL, "61860.80", "0.01500", "0.001", T0 + 10))
    records_partial = pf.position_records("s1")
    closed = pf.on_fill(fill(SPOT, Side.SELL, "61750.00", "0.02500", "0.001", T0 + 20))

    # Assert: realized = q · (exit − entry) per reducing fill; fees on every fill.
    r1 = D("0.015") * (D("61860.80") - entry)
    r2 = D("0.025") * (D("61750.00") - entry)
    fees = sum(D(q) * D(p) * D("0.001") for p, q in buys + [("61860.80", "0.015"), ("61750.00", "0.025")])
    assert part.status == "partial" and part.realized_pnl == r1 and part.size == 2_500_000
    assert part.avg_entry_price == entry  # reducing never moves the entry
    assert records_partial[0]["status"] == "partial" and records_partial[0]["open_size"] == "0.025"
    assert closed.size == 0 and closed.status == "closed" and closed.realized_pnl == r1 + r2
    (rt,) = pf.round_trips("s1")
    assert rt.side == "long" and rt.size == D("0.04") and rt.entry_price == entry
    assert rt.exit_price == (D("0.015") * D("61860.80") + D("0.025") * D("61750.00")) / D("0.04")
    assert rt.realized_pnl == r1 + r2 and rt.fees == fees and rt.net_pnl_usd == r1 + r2 - fees
    assert rt.close_reason == "strategy" and rt.opened_ns == T0 and rt.closed_ns == T0 + 20
    # Spot moves both currencies: BTC back to 0, USDT = capital − buys + sells − fees.
    usdt = D(10_000) - sum(D(q) * D(p) for p, q in buys) + D("0.015") * D("61860.80") + D("0.025") * D("61750.00")
    assert pf.balances("s1") == {"USDT": usdt - fees, "BTC": D(0)}
    assert pf.equity_usd("s1") == D(10_000) + r1 + r2 - fees == usdt - fees


def test_short_on_usdm_gains_when_price_falls_and_settles_realized_pnl_in_usdt(pf):
    # Arrange / Act: short 0.010 at 61850.0, cover 0.004 at 61800.5 and 0.006 at 61900.0 (taker 0.05 %).
    pf.on_fill(fill(USDM, Side.SELL, "61850.0", "0.010", USDM.taker_fee, T0))
    pf.on_mark(USDM.instrument_id, D("61830.05"), T0 + 1)
    marked = pf.position("s1", USDM.instrument_id)
    pf.on_fill(fill(USDM, Side.BUY, "61800.5", "0.004", USDM.taker_fee, T0 + 2))
    pf.on_fill(fill(USDM, Side.BUY, "61900.0", "0.006", USDM.taker_fee, T0 + 3))

    # Assert: short realized = q · (entry − exit).
    assert marked.size == -10 and marked.unrealized_pnl == D("0.010") * (D("61850.0") - D("61830.05"))
    assert pf.notional_usd("s1") == 0  # flat now
    realized = D("0.004") * (D("61850.0") - D("61800.5")) + D("0.006") * (D("61850.0") - D("61900.0"))
    fees = (D("0.010") * D("61850.0") + D("0.004") * D("61800.5") + D("0.006") * D("61900.0")) * D("0.0005")
    (rt,) = pf.round_trips("s1")
    assert rt.side == "short" and rt.realized_pnl == realized == D("-0.102") and rt.fees == fees
    assert pf.pnl_usd("s1") == {"realized": realized, "unrealized": 0, "fees": fees, "net": realized - fees}
    assert pf.balances("s1") == {"USDT": D(10_000) + realized - fees}  # a perpetual moves no BTC


def test_a_fill_larger_than_the_position_flips_it_closing_one_round_trip_and_opening_the_next(pf):
    # Arrange: long 0.002 at 61000.0.
    pf.on_fill(fill(USDM, Side.BUY, "61000.0", "0.002", "0.0005", T0))

    # Act: sell 0.005 at 61200.0.
    snap = pf.on_fill(fill(USDM, Side.SELL, "61200.0", "0.005", "0.0005", T0 + 5))

    # Assert: 0.002 closed at +200, the fee split 2/5 : 3/5, a new short 0.003 at 61200.0 opened at the flip.
    flip_fee = D("0.005") * D("61200.0") * D("0.0005")
    (rt,) = pf.round_trips("s1")
    assert rt.realized_pnl == D("0.002") * (D("61200.0") - D("61000.0"))
    assert rt.fees == D("0.002") * D("61000.0") * D("0.0005") + flip_fee * 2 / 5
    assert rt.close_reason == "flip" and rt.closed_ns == T0 + 5
    assert snap.size == -3 and snap.avg_entry_price == D("61200.0") and snap.status == "open"
    assert snap.ts_opened == T0 + 5
    assert snap.fees == rt.fees + flip_fee * 3 / 5  # cumulative over the instrument
    records = pf.position_records("s1")
    assert [(r["side"], r["status"]) for r in records] == [("long", "closed"), ("short", "open")]
    assert D(records[1]["fees"]) == flip_fee * 3 / 5


def test_notional_is_absolute_size_at_mark_and_entry_before_any_mark(pf):
    pf.on_fill(fill(USDM, Side.SELL, "61850.0", "0.010", "0.0005", T0))
    before = pf.notional_usd("s1", USDM.instrument_id)
    pf.on_mark(USDM.instrument_id, D("61900.0"), T0 + 1)
    assert before == D("0.010") * D("61850.0")
    assert pf.notional_usd("s1") == pf.notional_usd(None) == D("0.010") * D("61900.0")


def test_an_unknown_strategy_and_a_replayed_fill_are_handled_and_flat_positions_read_closed(pf):
    f = fill(SPOT, Side.BUY, "61837.63", "0.01000", "0.001", T0, strategy="manual")
    pf.on_fill(f)
    again = pf.on_fill(f)  # the same fill_id: ignored
    assert again.size == 1_000_000 and pf.equity_usd("manual") == -f.fee
    assert pf.position("s1", SPOT.instrument_id).status == "closed"
    assert pf.open_position_count() == 1 and pf.open_position_count("s1") == 0
    assert [p.strategy_id for p in pf.positions(open_only=True)] == ["manual"]
