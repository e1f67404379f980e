"""basis_arbitrage on the bundled spot, USD-M and COIN-M captures: the normal premium never trades, a dislocation
does (both legs, matched in BTC), and a lone leg is flattened."""

from __future__ import annotations

from decimal import Decimal

from actors.orders import IntentAction, OrderType, Side
from strategies.registry import build
from tests.unit.test_strategy_replay import COINM_ID, SPOT_ID, USDM_ID, Host, market_stream, shifted


def dislocate(iid: str, usd: int, from_s: float, to_s: float, t0: int, price_decimals: int):
    """A view transform moving ``iid``'s prices by ``usd`` between ``from_s`` and ``to_s`` after ``t0``."""
    def transform(view):
        if view.instrument_id == iid and t0 + from_s * 1e9 <= view.ts_recv < t0 + to_s * 1e9:
            return shifted(view, usd * 10**price_decimals)
        return view
    return transform


def test_the_normal_premium_of_the_whole_capture_never_trades_with_default_thresholds():
    strategy = build("basis_arbitrage", "arb", [SPOT_ID, USDM_ID, COINM_ID], {})
    host = Host(strategy).run(market_stream(SPOT_ID, USDM_ID, COINM_ID))
    assert host.intents == [] and host.fills == []
    pairs = strategy.summary()["pairs"]
    # The capture's basis moves (USD-M deviations up to ~68 USD from its rolling mean) but never past the ~92 USD of
    # taker fees: every opportunity is signalled, none executed.
    assert all(p["entries"] == 0 and p["opportunities"] > 0 and p["max_edge_usd"] < -10 for p in pairs.values())
    assert len(host.signals) == sum(p["opportunities"] for p in pairs.values())
    assert not any(s.executed for s in host.signals)
    assert Decimal("15") < Decimal(pairs[USDM_ID]["expected_basis"]) < Decimal("30")


def test_a_150_usd_dislocation_of_usdm_trades_both_legs_buying_spot_and_selling_the_rich_perp():
    stream = market_stream(SPOT_ID, USDM_ID)
    strategy = build("basis_arbitrage", "arb", [SPOT_ID, USDM_ID], {})
    host = Host(strategy).run(stream, transform=dislocate(USDM_ID, 150, 180, 240, stream[0][0], 2))
    spot_leg, perp_leg = host.intents[:2]
    assert (spot_leg.instrument_id, spot_leg.side, perp_leg.instrument_id, perp_leg.side) == (
        SPOT_ID, Side.BUY, USDM_ID, Side.SELL)
    assert spot_leg.order_type is perp_leg.order_type is OrderType.MARKET
    assert spot_leg.size == 1_000_000 and perp_leg.size == 10  # 0.01 BTC each (8 and 3 decimals)
    assert spot_leg.ts_created - stream[0][0] < 180.1e9  # at the first dislocated view
    executed = [s for s in host.signals if s.executed]
    assert executed[0].action == "buy_spot_sell_perp" and "edge" in executed[0].reasoning
    # The pair is held until the deviation reverts, then closed with reduce-only orders on both legs.
    exits = [i for i in host.intents if i.tag.startswith("basis-exit")]
    assert {(i.instrument_id, i.side, i.size) for i in exits} == {(USDM_ID, Side.BUY, 10), (SPOT_ID, Side.SELL, 1_000_000)}
    assert all(i.reduce_only for i in exits) and strategy.summary()["pairs"][USDM_ID]["unwinds"] == 0


def test_coinm_legs_are_sized_in_100_usd_contracts_matching_the_spot_btc():
    stream = market_stream(SPOT_ID, COINM_ID)
    strategy = build("basis_arbitrage", "arb", [SPOT_ID, COINM_ID], {})
    host = Host(strategy).run(stream, transform=dislocate(COINM_ID, -150, 200, 230, stream[0][0], 1),
                              until_ns=stream[0][0] + 231 * 10**9)  # fmt: skip
    spot_leg, perp_leg = host.intents[:2]
    assert (spot_leg.side, perp_leg.side) == (Side.SELL, Side.BUY)  # COIN-M is now cheap: buy it, sell spot
    price = host.fills[1].price_decimal()
    assert perp_leg.size == round(Decimal("0.01") * price / 100) == 6  # contracts
    assert abs(Decimal(spot_leg.size).scaleb(-8) - 6 * Decimal(100) / price) < Decimal("0.00001")


def test_a_leg_whose_partner_was_rejected_is_flattened_by_a_reduce_only_market_order():
    stream = market_stream(SPOT_ID, USDM_ID)
    strategy = build("basis_arbitrage", "arb", [SPOT_ID, USDM_ID], {"failed_pair_backoff_ms": 30_000})
    reject = lambda i: "insufficient_margin" if i.tag == "basis-perp" else None  # noqa: E731
    host = Host(strategy, reject=reject).run(stream, transform=dislocate(USDM_ID, 150, 180, 240, stream[0][0], 2),
                                             until_ns=stream[0][0] + 239 * 10**9)  # fmt: skip
    entry, rejected, unwind = host.intents[:3]
    assert entry.side is Side.BUY and rejected.instrument_id == USDM_ID
    assert (unwind.instrument_id, unwind.side, unwind.size, unwind.reduce_only) == (SPOT_ID, Side.SELL, entry.size, True)
    assert unwind.order_type is OrderType.MARKET and host.positions[SPOT_ID] == 0
    # The pair backs off for 30 s instead of retrying at every view.
    entries = [i for i in host.intents if i.tag == "basis-spot" and i.action is IntentAction.SUBMIT]
    assert len(entries) == 2 and entries[1].ts_created - entries[0].ts_created >= 30e9
