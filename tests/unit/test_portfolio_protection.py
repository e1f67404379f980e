"""Stop loss / take profit on the real trade series of the bundled Binance spot capture (2024-08-08 23:54 UTC).

The first trade is 61837.63; over the first 20,000 records (3,589 trades) the price ranges 61713.45 .. 61860.80.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.messages import Trade
from actors.orders import Fill, Liquidity, Side
from actors.portfolio import Portfolio
from tests.conftest import SPOT as SPOT_CAPTURE
from tests.conftest import load_events

SPOT = spec_for("binance", "BTCUSDT")


@pytest.fixture(scope="module")
def trades() -> list[Trade]:
    return [e for _, e in load_events(SPOT_CAPTURE[:1], "binance", limit=20_000) if isinstance(e, Trade)]


def fill_at(trade: Trade, side: Side, size: str, fill_id: str, tag: str = "") -> Fill:
    fee = D(size) * trade.price_decimal() * SPOT.taker_fee
    return Fill(fill_id, fill_id, "s1", SPOT.instrument_id, side, trade.price, to_fixed(size, SPOT.size_decimals),
                SPOT.price_decimals, SPOT.size_decimals, Liquidity.TAKER, fee, "USDT", trade.ts_event, tag)  # fmt: skip


def run(pf: Portfolio, trades: list[Trade], start: int):
    """Feed trades from ``start`` to the protection check; return ``[(index, trigger)]``."""
    out = []
    for i in range(start, len(trades)):
        price, ts = trades[i].price_decimal(), trades[i].ts_event
        out += [(i, t) for t in pf.protection_triggers(SPOT.instrument_id, price, ts)]
    return out


@pytest.fixture
def pf():
    p = Portfolio({SPOT.instrument_id: SPOT})
    p.add_strategy("s1", D(10_000))
    return p


def test_long_stop_loss_triggers_on_the_first_trade_at_or_below_it_once(pf, trades):
    # Arrange: long 0.01 at the first trade, stop 61800.00, take profit 61870.00 (never reached).
    pf.on_fill(fill_at(trades[0], Side.BUY, "0.01", "entry"))
    pf.set_protection("s1", SPOT.instrument_id, D("61800.00"), D("61870.00"))

    # Act
    fired = run(pf, trades, 1)

    # Assert: trade 3735685003 prints exactly 61800.00 (at the stop counts); every earlier one was above it.
    ((i, trig),) = fired
    assert trades[i].trade_id == "3735685003" and trig.last_price == D("61800.00")
    assert all(t.price_decimal() > D("61800.00") for t in trades[1:i])
    assert (trig.reason, trig.close_side, trig.size, trig.trigger_price) == ("stop_loss", Side.SELL, 1_000_000,
                                                                          D("61800.00"))  # fmt: skip
    assert trig.ts_event == trades[i].ts_event
    # The trades after it go lower still (61713.45), and nothing is reported again.
    assert min(t.price_decimal() for t in trades[i + 1:]) < D("61800.00")


def test_closing_fill_after_a_trigger_records_the_reason_and_disarms_protection(pf, trades):
    # Arrange: the stop loss above fires at trade 3735685003.
    pf.on_fill(fill_at(trades[0], Side.BUY, "0.01", "entry"))
    pf.set_protection("s1", SPOT.instrument_id, D("61800.00"), D("61870.00"))
    ((i, trig),) = run(pf, trades, 1)

    # Act: the host's reduce-only market order fills on the next trade.
    close = trades[i + 1]
    pf.on_fill(fill_at(close, trig.close_side, "0.01", "close"))

    # Assert
    (rt,) = pf.round_trips("s1")
    assert rt.close_reason == "stop_loss" and rt.stop_loss == D("61800.00") and rt.take_profit == D("61870.00")
    assert rt.realized_pnl == D("0.01") * (close.price_decimal() - D("61837.63"))
    assert rt.closed_ns == close.ts_event
    assert pf.position("s1", SPOT.instrument_id).size == 0
    assert run(pf, trades, i + 1) == []  # flat: nothing left to protect
    assert pf.position_records("s1")[0]["close_reason"] == "stop_loss"


def test_long_take_profit_triggers_on_the_first_trade_at_or_above_it(pf, trades):
    pf.on_fill(fill_at(trades[0], Side.BUY, "0.01", "entry"))
    pf.set_protection("s1", SPOT.instrument_id, D("61700.00"), D("61855.00"))

    ((i, trig),) = run(pf, trades, 1)

    assert trades[i].trade_id == "3735683789" and trig.reason == "take_profit"
    assert trades[i].price_decimal() >= D("61855.00")
    assert all(D("61700.00") < t.price_decimal() < D("61855.00") for t in trades[1:i])


def test_short_take_profit_triggers_on_the_first_trade_at_or_below_it(pf, trades):
    # Arrange: short at the session high (trade 1236, 61860.80), take profit 61760.00, stop 61900.00.
    top = max(range(len(trades)), key=lambda k: trades[k].price)
    pf.on_fill(fill_at(trades[top], Side.SELL, "0.02", "entry"))
    pf.set_protection("s1", SPOT.instrument_id, D("61900.00"), D("61760.00"))

    # Act
    ((i, trig),) = run(pf, trades, top + 1)

    # Assert
    assert trades[top].price_decimal() == D("61860.80")
    assert trig.reason == "take_profit" and trig.close_side == Side.BUY and trig.size == 2_000_000
    assert trades[i].price_decimal() <= D("61760.00")
    assert all(D("61760.00") < t.price_decimal() < D("61900.00") for t in trades[top + 1:i])


def test_a_partial_close_re_arms_the_trigger_for_the_rest(pf, trades):
    # Arrange: stop fired; the closing order filled only half.
    pf.on_fill(fill_at(trades[0], Side.BUY, "0.01", "entry"))
    pf.set_protection("s1", SPOT.instrument_id, D("61800.00"), None)
    ((i, _),) = run(pf, trades, 1)
    pf.on_fill(fill_at(trades[i + 1], Side.SELL, "0.005", "close-1"))

    # Act: the price is still through the stop on the next trade.
    again = pf.protection_triggers(SPOT.instrument_id, trades[i + 2].price_decimal(), trades[i + 2].ts_event)

    # Assert: reported again for the remaining 0.005; the close reason survives to the final fill.
    assert [(t.reason, t.size) for t in again] == [("stop_loss", 500_000)]
    pf.on_fill(fill_at(trades[i + 2], Side.SELL, "0.005", "close-2"))
    assert pf.round_trips("s1")[0].close_reason == "stop_loss"


def test_protection_set_while_flat_arms_the_next_round_trip_only(pf, trades):
    pf.set_protection("s1", SPOT.instrument_id, D("61800.00"), None)
    pf.on_fill(fill_at(trades[0], Side.BUY, "0.01", "entry"))
    pf.on_fill(fill_at(trades[1], Side.SELL, "0.01", "exit"))  # closed by the strategy before the stop
    pf.on_fill(fill_at(trades[2], Side.BUY, "0.01", "entry-2"))

    assert run(pf, trades, 3) == []  # the second round trip has no protection
    assert pf.round_trips("s1")[0].close_reason == "strategy"
    assert pf.round_trips("s1")[0].stop_loss == D("61800.00")
