"""to_state / from_state: an exact round trip of the whole portfolio, through JSON, for recovery."""

from __future__ import annotations

import json
from decimal import Decimal as D

from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.orders import Fill, Liquidity, Side
from actors.portfolio import EquityCurve, Portfolio

SPOT = spec_for("binance", "BTCUSDT")
COINM = spec_for("binance_coinm", "BTCUSD_PERP")
SPECS = {SPOT.instrument_id: SPOT, COINM.instrument_id: COINM}
T0 = 1_723_161_255_342_000_000


def fill(spec, fill_id, side, price, size, fee, fee_currency, ts, strategy="mm"):
    return Fill(fill_id, fill_id, strategy, spec.instrument_id, side, to_fixed(price, spec.price_decimals),
                to_fixed(size, spec.size_decimals), spec.price_decimals, spec.size_decimals, Liquidity.MAKER,
                D(fee), fee_currency, ts)  # fmt: skip


def build() -> Portfolio:
    pf = Portfolio(SPECS)
    pf.add_strategy("mm", D("2500.5"))
    pf.add_strategy("basis", D(7500))
    pf.on_fill(fill(SPOT, "a", Side.BUY, "61837.63", "0.00300", "0.18551289", "USDT", T0))
    pf.on_fill(fill(SPOT, "b", Side.BUY, "61800.01", "0.00700", "0.000007", "BTC", T0 + 1))  # fee in base
    pf.on_fill(fill(SPOT, "c", Side.SELL, "61850.00", "0.00400", "0.01", "BNB", T0 + 2))  # fee in BNB
    pf.on_fill(fill(COINM, "d", Side.SELL, "61850.1", "7", "0.0000022", "BTC", T0 + 3, "basis"))
    pf.on_mark(COINM.instrument_id, D("61849.9"), T0 + 4)
    pf.on_mark(SPOT.instrument_id, D("61840.005"), T0 + 4)
    pf.set_protection("mm", SPOT.instrument_id, D("61500"), D("62500"))
    return pf


def test_state_survives_json_and_rebuilds_an_identical_portfolio():
    # Arrange
    pf = build()

    # Act
    state = json.loads(json.dumps(pf.to_state()))
    back = Portfolio.from_state(SPECS, state)

    # Assert: every view is equal, and the state itself round-trips.
    assert back.to_state() == pf.to_state()
    for sid in ("mm", "basis", None):
        assert back.positions(sid) == pf.positions(sid)
        assert back.pnl_usd(sid) == pf.pnl_usd(sid)
        assert back.equity_usd(sid) == pf.equity_usd(sid)
        assert back.balances(sid) == pf.balances(sid)
        assert back.position_records(sid) == pf.position_records(sid)


def test_a_rebuilt_portfolio_continues_exactly_like_the_original():
    pf = build()
    back = Portfolio.from_state(SPECS, json.loads(json.dumps(pf.to_state())))
    closing = [fill(SPOT, "e", Side.SELL, "61790.00", "0.00600", "0.37074", "USDT", T0 + 9),
               fill(COINM, "f", Side.BUY, "61700.0", "7", "0.0000022", "BTC", T0 + 9, "basis")]  # fmt: skip

    for f in closing:
        assert back.on_fill(f) == pf.on_fill(f)
    assert back.protection_triggers(SPOT.instrument_id, D("61000"), T0 + 10) == []
    assert back.round_trips() == pf.round_trips() and len(pf.round_trips()) == 2
    assert back.to_state() == pf.to_state()
    # A replayed fill after recovery is ignored by both.
    assert back.on_fill(closing[0]).size == 0 and back.to_state() == pf.to_state()


def test_fees_in_other_currencies_are_converted_or_kept_apart():
    pf = build()
    mm = pf.position("mm", SPOT.instrument_id)
    # USDT fee as is; a BTC fee at the fill price; the BNB fee kept apart (no BNB mark: unconverted).
    assert mm.fees == D("0.18551289") + D("0.000007") * D("61800.01")
    assert pf.pnl("mm")["BNB"]["fees"] == D("0.01") and pf.unconverted("mm") == {"BNB": D("-0.01")}
    assert pf.balances("mm")["BTC"] == D("0.003") + D("0.007") - D("0.004") - D("0.000007")


def test_equity_curve_state_round_trips():
    curve = EquityCurve(60.0)
    for k, e in enumerate(["100", "101.5", "99.25"]):
        curve.sample(T0 + k * 90 * 10**9, D(e))
    back = EquityCurve.from_state(json.loads(json.dumps(curve.to_state())))
    assert back.points() == curve.points()
