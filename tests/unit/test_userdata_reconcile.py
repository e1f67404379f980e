"""OrderTracker + reconcile: a stream that lost updates is repaired from REST, idempotently, the venue winning."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.execution.userdata import (
    Balance,
    OrderTracker,
    OrderUpdate,
    VenueFill,
    VenueOrder,
    VenueTrade,
    VenueView,
    apply_report,
    reconcile,
    venue_fill_id,
)
from actors.orders import IntentAction, Liquidity, OrderIntent, OrderState, OrderStatus, OrderType, Side, TimeInForce

SYMBOL, IID, LOT = "BTCUSDT", "BTCUSDT.BINANCE", 10**5  # spot BTCUSDT: 8 price / 8 size decimals, lot 0.001
PRICE = 6_000_000_000_000  # 60,000.00000000


def intent(coid: str, size: int) -> OrderIntent:
    return OrderIntent(IntentAction.SUBMIT, "s1", coid, IID, 8, 8, Side.BUY, OrderType.LIMIT, size, PRICE)


def track(tracker: OrderTracker, coid: str, size: int) -> None:
    tracker.track(OrderState(intent(coid, size), "USDT", "", 1))


def update(coid: str, vid: str, size: int, status: OrderStatus, filled: int, execution: str, ts: int,
           fill: VenueFill | None = None) -> OrderUpdate:  # fmt: skip
    return OrderUpdate("binance", SYMBOL, IID, coid, vid, Side.BUY, OrderType.LIMIT, "LIMIT", TimeInForce.GTC, size,
                       PRICE, None, 8, 8, status, execution, filled, None, ts, ts, ts, fill)  # fmt: skip


def vfill(trade_id: int, size: int, ts: int) -> VenueFill:
    fee = Decimal(size * PRICE).scaleb(-16) * Decimal("0.001")
    return VenueFill(venue_fill_id(SYMBOL, trade_id), trade_id, PRICE, size, fee, "USDT", Liquidity.MAKER, ts)


def venue_order(coid: str, vid: str, size: int, status: OrderStatus, filled: int) -> VenueOrder:
    return VenueOrder("binance", SYMBOL, IID, coid, vid, Side.BUY, OrderType.LIMIT, "LIMIT", TimeInForce.GTC, size,
                      PRICE, None, 8, 8, status, filled, None, 99)  # fmt: skip


def summary(tracker: OrderTracker) -> dict:
    """What must agree with the venue: per order status, filled, fees, venue id; the fills counted; balances."""
    orders = {c: (s.status, s.filled, s.fee, s.venue_order_id) for c, s in tracker.orders.items()}
    balances = {a: b for a, b in tracker.balances.items() if b.free or b.locked}  # an asset absent at the venue is 0
    return {"orders": orders, "fills": frozenset(tracker.fill_ids), "balances": balances}


# one order: (size in lots, fill sizes in lots, how it ends)
_order = st.tuples(st.integers(1, 6), st.lists(st.integers(1, 3), max_size=4),
                   st.sampled_from(["open", "canceled", "expired"]))


@st.composite
def scenarios(draw):
    orders = draw(st.lists(_order, min_size=1, max_size=4))
    stream, venue_open, venue_closed, trades = [], [], [], []
    trade_id, ts = 100, 1_000
    for n, (lots, fill_lots, end) in enumerate(orders):
        coid, vid, size = f"o{n}", str(5000 + n), lots * LOT
        ups = [update(coid, vid, size, OrderStatus.ACCEPTED, 0, "NEW", ts)]
        filled = 0
        for fl in fill_lots:
            f = min(fl * LOT, size - filled)
            if f <= 0:
                break
            filled += f
            trade_id += 1
            ts += 10
            fill = vfill(trade_id, f, ts)
            status = OrderStatus.FILLED if filled == size else OrderStatus.PARTIALLY_FILLED
            ups.append(update(coid, vid, size, status, filled, "TRADE", ts, fill))
            trades.append(VenueTrade("binance", SYMBOL, IID, vid, Side.BUY, fill, 8, 8))
        final = OrderStatus.FILLED if filled == size else None
        if final is None and end != "open":
            final = OrderStatus.CANCELED if end == "canceled" else OrderStatus.EXPIRED
            ts += 10
            ups.append(update(coid, vid, size, final, filled, end.upper(), ts))
        if final is None:
            working = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED
            venue_open.append(venue_order(coid, vid, size, working, filled))
        else:
            venue_closed.append(venue_order(coid, vid, size, final, filled))
        stream.append((coid, size, ups))
    all_updates = [u for _, _, ups in stream for u in ups]
    delivered = draw(st.lists(st.sampled_from(["drop", "once", "twice"]), min_size=len(all_updates),
                              max_size=len(all_updates)))  # fmt: skip
    balances_venue = (Balance("USDT", Decimal("9000.5"), Decimal("12.25")), Balance("BTC", Decimal("1.001")))
    balances_local = draw(st.sampled_from([
        {}, {"USDT": Balance("USDT", Decimal("9000.5"), Decimal("12.25"))},
        {"BTC": Balance("BTC", Decimal(1)), "ETH": Balance("ETH", Decimal(2))},
    ]))
    venue = VenueView(tuple(venue_open), tuple(trades), balances_venue, tuple(venue_closed), (), 10**6)
    return stream, all_updates, delivered, balances_local, venue


def build(stream, updates_to_apply, balances=None) -> OrderTracker:
    tracker = OrderTracker()
    for coid, size, _ in stream:
        track(tracker, coid, size)
    for u in updates_to_apply:
        tracker.apply(u)
    tracker.set_balances((balances or {}).values())
    return tracker


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_reconcile_repairs_any_lost_updates_idempotently(case):
    stream, all_updates, delivered, balances_local, venue = case
    truth = build(stream, all_updates)
    truth.set_balances(venue.balances)
    applied = [u for u, d in zip(all_updates, delivered) for _ in range({"drop": 0, "once": 1, "twice": 2}[d])]
    local = build(stream, applied, balances_local)

    report = reconcile(local.view(), venue)
    first = apply_report(local, report)
    after_once = summary(local)
    second = apply_report(local, report)

    assert second == [] and summary(local) == after_once  # apply(report) twice == once
    assert reconcile(local.view(), venue).is_empty  # nothing left to resolve
    assert after_once == summary(truth)  # the venue's state, every fill counted once
    assert [local.venue_fill_ids[e.fill.fill_id] for e in first if e.fill] == [u.fill.fill_id for u in report.fills]
    assert len(report.fills) == len(truth.fill_ids) - len(set(u.fill.fill_id for u in applied if u.fill))


def test_an_order_closed_with_missed_fills_is_filled_first_then_closed_with_the_venue_status():
    tracker = build([("o1", 4 * LOT, [])], [update("o1", "77", 4 * LOT, OrderStatus.ACCEPTED, 0, "NEW", 1)])
    fill = vfill(9, LOT, 5)
    venue = VenueView(trades=(VenueTrade("binance", SYMBOL, IID, "77", Side.BUY, fill, 8, 8),),
                      queried=(venue_order("o1", "77", 4 * LOT, OrderStatus.CANCELED, LOT),), ts_recv=50)  # fmt: skip

    report = reconcile(tracker.view(), venue)
    events = apply_report(tracker, report)

    assert [e.kind.value for e in events] == ["partially_filled", "canceled"]
    assert events[0].fill.fill_id == "o1-1" and events[0].fill.fee_currency == "USDT"  # numbered as paper numbers
    assert tracker.venue_fill_ids == {"o1-1": "BTCUSDT:9"}
    assert tracker.orders["o1"].status is OrderStatus.CANCELED and tracker.orders["o1"].filled == LOT
    assert tracker.last_trade_id == {SYMBOL: 9}
    assert "missing fill BTCUSDT:9 of o1 recorded from REST" in report.alerts


def test_a_closure_that_reports_more_filled_than_counted_leaves_the_order_open_for_reconciliation():
    stream = [update("o1", "77", 4 * LOT, OrderStatus.ACCEPTED, 0, "NEW", 1),
              update("o1", "77", 4 * LOT, OrderStatus.CANCELED, LOT, "CANCELED", 9)]
    tracker = build([("o1", 4 * LOT, [])], stream)

    assert tracker.orders["o1"].status is OrderStatus.ACCEPTED
    assert "left open for reconciliation" in tracker.anomalies[-1]


def test_unknown_venue_orders_unmatched_trades_and_balance_differences_are_alerted_not_adopted():
    tracker = build([("o1", LOT, [])], [update("o1", "77", LOT, OrderStatus.ACCEPTED, 0, "NEW", 1)])
    tracker.set_balances([Balance("USDT", Decimal("100"))])
    stranger = venue_order("manual-1", "900", LOT, OrderStatus.ACCEPTED, 0)
    orphan = VenueTrade("binance", SYMBOL, IID, "901", Side.BUY, vfill(3, LOT, 2), 8, 8)
    venue = VenueView(open_orders=(venue_order("o1", "77", LOT, OrderStatus.ACCEPTED, 0), stranger),
                      trades=(orphan,), balances=(Balance("USDT", Decimal("99.9")),))  # fmt: skip

    report = reconcile(tracker.view(), venue)
    apply_report(tracker, report)

    assert report.unknown_orders == (stranger,) and report.unmatched_trades == (orphan,)
    assert [d.asset for d in report.balance_diffs] == ["USDT"] and tracker.balances["USDT"].free == Decimal("99.9")
    assert "manual-1" not in tracker.orders
    assert any("open at the venue, unknown locally" in a for a in report.alerts)
    assert any("matches no local order" in a for a in report.alerts)


def test_orders_gone_from_the_venue_are_queried_and_unknown_ones_rejected():
    tracker = build([("o1", LOT, []), ("o2", LOT, [])], [update("o2", "78", LOT, OrderStatus.ACCEPTED, 0, "NEW", 1)])

    first = reconcile(tracker.view(), VenueView())
    second = reconcile(tracker.view(), VenueView(queried=(venue_order("o2", "78", LOT, OrderStatus.EXPIRED, 0),),
                                                 not_found=("o1",)))  # fmt: skip
    events = apply_report(tracker, second)

    assert set(first.to_query) == {"o1", "o2"} and not first.updates
    assert {(e.order.client_order_id, e.kind.value) for e in events} == {("o1", "rejected"), ("o2", "expired")}
    assert tracker.orders["o1"].reason == "unknown_at_venue"


def test_a_fill_gap_is_alerted_and_the_order_not_closed_before_its_fills_are_known():
    tracker = build([("o1", 4 * LOT, [])], [update("o1", "77", 4 * LOT, OrderStatus.ACCEPTED, 0, "NEW", 1)])

    canceled = venue_order("o1", "77", 4 * LOT, OrderStatus.CANCELED, LOT)

    report = reconcile(tracker.view(), VenueView(queried=(canceled,)))

    assert not report.updates and any("fill gap" in c for c in report.conflicts)


def test_venue_fill_ids_on_request_and_the_transport_s_own_order_map_shared():
    states: dict = {}
    tracker = OrderTracker(orders=states, fill_id_source="venue")
    track(tracker, "o1", 2 * LOT)

    trade = update("o1", "77", 2 * LOT, OrderStatus.PARTIALLY_FILLED, LOT, "TRADE", 5, vfill(11, LOT, 5))

    events = tracker.apply(trade)
    again = tracker.apply(trade)

    assert [e.kind.value for e in events] == ["accepted", "partially_filled"] and again == []
    assert events[1].fill.fill_id == "BTCUSDT:11"
    assert states["o1"].filled == LOT and states["o1"].venue_order_id == "77"


def test_stream_balance_events_set_add_and_lock_balances():
    from actors.execution.userdata import UserDataParser
    from tests.unit.test_userdata_parse import frame

    tracker = OrderTracker()
    spot, usdm = UserDataParser("binance"), UserDataParser("binance_usdm")

    for name in ("spot_outbound_account_position.json", "spot_balance_update.json", "spot_balance_update.json"):
        assert tracker.apply_event(spot.parse(frame(name), 1)) == []
    tracker.apply_event(spot.parse(b'{"e":"externalLockUpdate","E":1,"a":"BTC","d":"40.5","T":1}', 1))
    tracker.apply_event(usdm.parse(frame("usdm_account_update.json"), 1))

    assert tracker.balances["ETH"] == Balance("ETH", Decimal("10000"), Decimal(0))
    assert tracker.balances["BTC"] == Balance("BTC", Decimal("159.5"), Decimal("40.5"))  # 2 x 100 deposited, 40.5 locked
    assert tracker.balances["USDT"].free == Decimal("122624.12345678")
