"""Pre-trade rules: each rejects one step beyond its limit and passes at it, on the real instrument specs and the
real top of book of the bundled recordings (the first REST depth snapshot of each capture)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import msgspec
import pytest

from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.messages import BookView
from actors.orders import IntentAction, OrderIntent, OrderType, Side
from actors.risk.limits import RiskLimits
from actors.risk.rules import (
    RULES,
    BookState,
    RiskContext,
    check_book_not_ready,
    check_book_stale,
    check_instrument_unknown,
    check_max_open_orders,
    check_max_open_positions,
    check_max_order_notional,
    check_max_position,
    check_order_rate,
    check_price_band,
    is_reducing,
    order_notional_usd,
)
from tests.conftest import COINM, SPOT, USDM, load_events

SPOT_SPEC = spec_for("binance", "BTCUSDT")
USDM_SPEC = spec_for("binance_usdm", "BTCUSDT")
COINM_SPEC = spec_for("binance_coinm", "BTCUSD_PERP")
LIMITS = RiskLimits()


@pytest.fixture(scope="module")
def snapshots():
    """The first REST depth snapshot of each bundled capture, by instrument id."""
    out = {}
    for paths, venue in ((SPOT[:1], "binance"), (USDM, "binance_usdm"), (COINM[:1], "binance_coinm")):
        snap = next(e for kind, e in load_events(paths, venue, limit=3000) if kind == "rest")
        out[snap.instrument_id] = snap
    return out


@pytest.fixture(scope="module")
def books(snapshots):
    """BookState of each snapshot, fresh (age 0)."""
    return {iid: BookState.from_view(_view(s), s.ts_recv) for iid, s in snapshots.items()}


def _view(snap) -> BookView:
    return BookView(snap.instrument_id, True, snap.sequence, snap.bids[:5], snap.asks[:5], snap.price_decimals,
                    snap.size_decimals, snap.ts_event, snap.ts_recv, snap.ts_recv)  # fmt: skip


def order(spec, size: str, price: str | None = None, side: Side = Side.BUY, **kw) -> OrderIntent:
    """An intent in decimal strings, converted to the spec's fixed point."""
    kw.setdefault("order_type", OrderType.LIMIT if price is not None else OrderType.MARKET)
    return OrderIntent(
        action=kw.pop("action", IntentAction.SUBMIT), strategy_id=kw.pop("strategy_id", "s1"), client_order_id="c1",
        instrument_id=spec.instrument_id, price_decimals=spec.price_decimals, size_decimals=spec.size_decimals,
        side=side, size=to_fixed(size, spec.size_decimals),
        price=None if price is None else to_fixed(price, spec.price_decimals), **kw,
    )  # fmt: skip


def replace_intent(intent: OrderIntent, **changes) -> OrderIntent:
    return msgspec.structs.replace(intent, **changes)


def context(spec, book, **changes) -> RiskContext:
    """A flat strategy with 1,000,000 USD of equity, no orders, no positions."""
    base = RiskContext(now_ns=0, spec=spec, book=book, position_size=0,
                       position_notional_usd=Decimal(0), strategy_equity_usd=Decimal(1_000_000),
                       portfolio_equity_usd=Decimal(1_000_000), open_positions_total=0, open_positions_strategy=0,
                       has_position=False, open_orders_total=0, open_orders_strategy=0)  # fmt: skip
    return replace(base, **changes)


def test_rules_run_in_the_documented_order_and_are_named_after_their_reason():
    assert [rule.__name__.removeprefix("check_") for rule in RULES] == [
        "instrument_unknown", "book_not_ready", "book_stale", "price_band", "max_order_notional", "max_position",
        "max_open_positions", "max_open_orders", "order_rate",
    ]  # fmt: skip


def test_real_snapshots_give_the_recorded_touch(books):
    # Arrange/Act: fixture. Assert: the recorded best bid/ask of 2024-08-08 23:54 UTC, exact.
    assert books["BTCUSDT.BINANCE"].mid == Decimal("61837.635")
    assert books["BTCUSDT.BINANCE_USDM"].best_bid == Decimal("61800.20")
    assert books["BTCUSD_PERP.BINANCE_COINM"].best_ask == Decimal("61804.8")


def test_unknown_instrument_or_foreign_decimals_reject(books):
    book = books[USDM_SPEC.instrument_id]
    intent = order(USDM_SPEC, "0.010", "61800.20")
    assert check_instrument_unknown(intent, context(None, book), LIMITS).reason == "instrument_unknown"
    foreign = replace_intent(intent, price_decimals=8)
    assert check_instrument_unknown(foreign, context(USDM_SPEC, book), LIMITS).reason == "instrument_unknown"
    assert check_instrument_unknown(intent, context(USDM_SPEC, book), LIMITS) is None


def test_missing_or_resyncing_book_rejects(books):
    book = books[SPOT_SPEC.instrument_id]
    intent = order(SPOT_SPEC, "0.01", "61837.63")
    assert check_book_not_ready(intent, context(SPOT_SPEC, None), LIMITS).reason == "book_not_ready"
    resyncing = replace(book, ready=False)
    assert check_book_not_ready(intent, context(SPOT_SPEC, resyncing), LIMITS).reason == "book_not_ready"
    assert check_book_not_ready(intent, context(SPOT_SPEC, book), LIMITS) is None


def test_book_exactly_stale_after_ms_old_passes_one_ns_older_rejects(snapshots):
    snap = snapshots[SPOT_SPEC.instrument_id]
    intent = order(SPOT_SPEC, "0.01", "61837.63")
    at_limit = BookState.from_view(_view(snap), snap.ts_recv + 5_000_000_000)
    beyond = BookState.from_view(_view(snap), snap.ts_recv + 5_000_000_001)
    assert at_limit.age_ms == 5000.0
    assert check_book_stale(intent, context(SPOT_SPEC, at_limit), LIMITS) is None
    assert check_book_stale(intent, context(SPOT_SPEC, beyond), LIMITS).reason == "book_stale"
    unknown_age = replace(at_limit, age_ms=None)
    assert check_book_stale(intent, context(SPOT_SPEC, unknown_age), LIMITS).reason == "book_stale"


def test_price_band_is_five_percent_of_the_real_mid_to_the_tick(books):
    # Arrange: USD-M mid 61800.25; 5 % band = [58710.2375, 64890.2625]; tick 0.10.
    ctx = context(USDM_SPEC, books[USDM_SPEC.instrument_id])
    # Act / Assert: the last tick inside passes, the first tick outside rejects, on both sides.
    assert check_price_band(order(USDM_SPEC, "0.010", "64890.20"), ctx, LIMITS) is None
    assert check_price_band(order(USDM_SPEC, "0.010", "64890.30"), ctx, LIMITS).reason == "price_band"
    assert check_price_band(order(USDM_SPEC, "0.010", "58710.30", Side.SELL), ctx, LIMITS) is None
    assert check_price_band(order(USDM_SPEC, "0.010", "58710.20", Side.SELL), ctx, LIMITS).reason == "price_band"


def test_price_exactly_at_the_band_passes():
    book = BookState(True, Decimal("100.00"), Decimal("100.00"), 0.0)
    ctx = context(SPOT_SPEC, book)
    assert check_price_band(order(SPOT_SPEC, "1", "105.00"), ctx, LIMITS) is None
    assert check_price_band(order(SPOT_SPEC, "1", "105.01"), ctx, LIMITS).reason == "price_band"


def test_market_order_needs_a_mid(books):
    book = books[SPOT_SPEC.instrument_id]
    market = order(SPOT_SPEC, "0.01")
    assert check_price_band(market, context(SPOT_SPEC, book), LIMITS) is None
    one_sided = replace(book, best_ask=None)
    assert check_price_band(market, context(SPOT_SPEC, one_sided), LIMITS).reason == "price_band"


def test_order_notional_exactly_at_the_limit_passes_one_lot_more_rejects(books):
    # Arrange: 0.01 BTC at the real best bid 61837.63 = 618.3763 USDT.
    limits = RiskLimits(max_order_notional=Decimal("618.3763"))
    ctx = context(SPOT_SPEC, books[SPOT_SPEC.instrument_id])
    # Act / Assert
    assert check_max_order_notional(order(SPOT_SPEC, "0.01", "61837.63"), ctx, limits) is None
    rejection = check_max_order_notional(order(SPOT_SPEC, "0.01001", "61837.63"), ctx, limits)
    assert rejection.reason == "max_order_notional"
    assert rejection.detail == "notional 618.9946763 USD > 618.3763 USD"


def test_market_order_is_valued_at_the_touch_it_takes(books):
    book = books[SPOT_SPEC.instrument_id]  # bid 61837.63, ask 61837.64
    assert order_notional_usd(order(SPOT_SPEC, "1"), SPOT_SPEC, book) == Decimal("61837.64")
    assert order_notional_usd(order(SPOT_SPEC, "1", side=Side.SELL), SPOT_SPEC, book) == Decimal("61837.63")


def test_inverse_notional_is_contracts_times_contract_size_whatever_the_price(books):
    # Arrange: COIN-M BTCUSD_PERP, 100 USD per contract; default limit 100,000 USD = 1,000 contracts.
    ctx = context(COINM_SPEC, books[COINM_SPEC.instrument_id])
    # Act / Assert
    assert order_notional_usd(order(COINM_SPEC, "1000", "61804.7"), COINM_SPEC, ctx.book) == Decimal(100_000)
    assert order_notional_usd(order(COINM_SPEC, "1000", "30000.0"), COINM_SPEC, ctx.book) == Decimal(100_000)
    assert check_max_order_notional(order(COINM_SPEC, "1000", "61804.7"), ctx, LIMITS) is None
    assert check_max_order_notional(order(COINM_SPEC, "1001", "61804.7"), ctx, LIMITS).reason == "max_order_notional"


def test_quote_currency_is_converted_to_usd(books):
    ctx = context(USDM_SPEC, books[USDM_SPEC.instrument_id], usd_per_quote=Decimal("0.5"))
    limits = RiskLimits(max_order_notional=Decimal(500))
    assert check_max_order_notional(order(USDM_SPEC, "0.020", "50000.0"), ctx, limits) is None  # 1000 USDT = 500 USD
    assert check_max_order_notional(order(USDM_SPEC, "0.021", "50000.0"), ctx, limits).reason == "max_order_notional"


def test_position_after_the_order_may_reach_max_position_pct_of_strategy_equity(books):
    # Arrange: equity 10,000 USD -> cap 2,000 USD; already long 1,000 USD.
    ctx = context(USDM_SPEC, books[USDM_SPEC.instrument_id], strategy_equity_usd=Decimal(10_000),
                  position_size=to_fixed("0.020", 3), position_notional_usd=Decimal(1000), has_position=True)
    # Act / Assert: +1,000 USD reaches the cap exactly; one lot more (+50 USD) is over.
    assert check_max_position(order(USDM_SPEC, "0.020", "50000.0"), ctx, LIMITS) is None
    rejection = check_max_position(order(USDM_SPEC, "0.021", "50000.0"), ctx, LIMITS)
    assert rejection.reason == "max_position"
    assert rejection.detail == "position after order 2050 USD > 20 % of equity 10000 USD = 2000 USD"


def test_flipping_order_is_valued_by_the_size_beyond_flat(books):
    # Arrange: long 0.010 at equity 10,000 USD (cap 2,000 USD).
    ctx = context(USDM_SPEC, books[USDM_SPEC.instrument_id], strategy_equity_usd=Decimal(10_000),
                  position_size=to_fixed("0.010", 3), position_notional_usd=Decimal(500), has_position=True)
    # Act / Assert: selling 0.050 leaves short 0.040 = 2,000 USD; 0.051 leaves 2,050 USD.
    assert check_max_position(order(USDM_SPEC, "0.050", "50000.0", Side.SELL), ctx, LIMITS) is None
    assert check_max_position(order(USDM_SPEC, "0.051", "50000.0", Side.SELL), ctx, LIMITS).reason == "max_position"


def test_reducing_orders_pass_the_position_limits_even_over_them(books):
    # Arrange: long 0.100 worth 5,000 USD, far over a 2,000 USD cap, and 5 of 5 positions open.
    ctx = context(USDM_SPEC, books[USDM_SPEC.instrument_id], strategy_equity_usd=Decimal(10_000),
                  position_size=to_fixed("0.100", 3), position_notional_usd=Decimal(5000), has_position=True,
                  open_positions_total=5, open_positions_strategy=3)  # fmt: skip
    sell_part = order(USDM_SPEC, "0.100", "50000.0", Side.SELL)
    buy_more = order(USDM_SPEC, "0.001", "50000.0")
    # Act / Assert
    assert is_reducing(sell_part, ctx)
    assert check_max_position(sell_part, ctx, LIMITS) is None
    assert check_max_position(buy_more, ctx, LIMITS).reason == "max_position"
    assert not is_reducing(order(USDM_SPEC, "0.101", "50000.0", Side.SELL), ctx)  # would flip: not reducing
    flat = replace(ctx, position_size=0, position_notional_usd=Decimal(0), has_position=False)
    assert check_max_open_positions(order(USDM_SPEC, "0.001", "50000.0", reduce_only=True), flat, LIMITS) is None


def test_new_position_rejects_when_the_open_positions_are_at_the_limit(books):
    ctx = context(SPOT_SPEC, books[SPOT_SPEC.instrument_id])
    intent = order(SPOT_SPEC, "0.01", "61837.63")
    assert check_max_open_positions(intent, replace(ctx, open_positions_total=4), LIMITS) is None
    assert check_max_open_positions(intent, replace(ctx, open_positions_total=5), LIMITS).reason == "max_open_positions"
    assert check_max_open_positions(intent, replace(ctx, open_positions_strategy=2), LIMITS) is None
    per_strategy = check_max_open_positions(intent, replace(ctx, open_positions_strategy=3), LIMITS)
    assert per_strategy.reason == "max_open_positions" and "per strategy" in per_strategy.detail
    # Adding to a position this strategy already holds opens no new position.
    assert check_max_open_positions(intent, replace(ctx, open_positions_total=5, has_position=True), LIMITS) is None


def test_new_order_rejects_when_the_open_orders_are_at_the_limit(books):
    ctx = context(SPOT_SPEC, books[SPOT_SPEC.instrument_id])
    intent = order(SPOT_SPEC, "0.01", "61837.63")
    assert check_max_open_orders(intent, replace(ctx, open_orders_total=49), LIMITS) is None
    assert check_max_open_orders(intent, replace(ctx, open_orders_total=50), LIMITS).reason == "max_open_orders"
    assert check_max_open_orders(intent, replace(ctx, open_orders_strategy=19), LIMITS) is None
    assert check_max_open_orders(intent, replace(ctx, open_orders_strategy=20), LIMITS).reason == "max_open_orders"
    swap = replace_intent(intent, action=IntentAction.REPLACE, new_client_order_id="c2")
    assert check_max_open_orders(swap, replace(ctx, open_orders_total=50), LIMITS) is None


def test_order_rate_rejects_the_order_beyond_max_orders_per_s(books):
    ctx = context(SPOT_SPEC, books[SPOT_SPEC.instrument_id])
    intent = order(SPOT_SPEC, "0.01", "61837.63")
    assert check_order_rate(intent, replace(ctx, orders_in_window=19), LIMITS) is None
    assert check_order_rate(intent, replace(ctx, orders_in_window=20), LIMITS).reason == "order_rate"
