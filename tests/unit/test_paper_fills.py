"""The paper fill model on a hand-checked window of the recorded Binance spot capture (2024-08-08 23:54 UTC).

Events come from the project's own feed core (FeedPipeline over the raw frames: REST snapshot + sequenced diffs,
stale diffs dropped), exactly what the execution actor receives. Expected values are computed in each test from the
events by a few independent lines, and the key numbers are also written out, hand-checked against the raw file.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.book.orderbook import OrderBook
from actors.execution import PaperConfig, PaperVenue
from actors.feed.pipeline import sequence_records
from actors.instruments import spec_for
from actors.messages import BookDeltas, BookSnapshot, Trade
from actors.orders import IntentAction, OrderEventKind, OrderIntent, OrderType, Side, TimeInForce
from actors.replay.captures import read_recordings
from tests.conftest import SPOT

IID = "BTCUSDT.BINANCE"
SPEC = spec_for("binance", "BTCUSDT")
MS = 1_000_000
BTC = 10**8  # size fixed-point scale (8 decimals)


@pytest.fixture(scope="module")
def events():
    """The first 8,000 records of the spot capture as the feed forwards them (Quotes included, as a feed sends)."""
    (recording,) = read_recordings(SPOT[:1])
    return [e for _, batch in sequence_records(recording.records(), "binance", [SPEC], limit=8000) for e in batch]


def intent(coid, side=Side.BUY, size=BTC // 1000, price=None, order_type=OrderType.LIMIT, tif=TimeInForce.GTC,
           trigger=None, action=IntentAction.SUBMIT, strategy="s1", reduce_only=False):  # fmt: skip
    return OrderIntent(action, strategy, coid, IID, 8, 8, side, order_type, size, price, trigger, tif, reduce_only)


def book_before(events, ts):
    """Independent rebuild: the book after every event with ts_recv < ts."""
    book = OrderBook(IID, 8, 8)
    for e in events:
        if e.ts_recv >= ts:
            break
        if type(e) is BookSnapshot:
            book.on_snapshot(e)
        elif type(e) is BookDeltas:
            book.on_deltas(e)
    return book


def run(venue, events, start=0):
    out = []
    for e in events[start:]:
        out += venue.on_market([e])
    return out


def fills_of(out, coid):
    return [e for e in out if e.fill is not None and e.order.client_order_id == coid]


# The window: the strategy acts on event 3304 (ts_recv 1723161284.353 s, 23:54:44 UTC) with a bid at the best bid 61855.36.
K = 3304


def test_resting_bid_fills_only_after_the_traded_size_at_its_price_has_cleared_the_queue_ahead(events):
    # Arrange: a 0.001 BTC bid at the touch, sent when event K is seen.
    now = events[K].ts_recv
    arrival = now + 5 * MS
    book = book_before(events, arrival)
    price, ahead = book.best_bid()
    assert (price, ahead) == (6185536000000, 179362000)  # 61855.36, 1.79362 BTC ahead (hand-checked)
    # Independently: conservative queue = seller-aggressor trades at our price; level shrinks only clamp it.
    front, clearing, check = ahead, None, book_before(events, arrival)
    for e in events:
        if e.ts_recv < arrival:
            continue
        if type(e) is BookDeltas:
            front = min([front] + [s for p, s in e.bids if p == price])
            check.on_deltas(e)
            assert check.best_ask_price() > price  # the ask never comes down to our bid in this window
        elif type(e) is Trade and e.aggressor_side == "sell":
            assert e.price >= price  # nothing trades through our bid in this window
            if e.price == price:
                front -= e.size
                if front < 0:
                    clearing = e
                    break
    # Hand-checked in the raw file: 16 seller trades at 61855.36 and 9 level updates later, trade 3735683821
    # leaves front == 0 exactly (no fill: the rule is front < 0), and trade 3735683822 (0.0001 BTC) fills us.
    assert clearing.trade_id == "3735683822" and -front == 10_000
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])

    # Act: feed event by event and note which call releases the fill.
    venue.submit(intent("b1", price=price), now)
    fills, released_by = [], None
    for e in events[K + 1:]:
        got = fills_of(venue.on_market([e]), "b1")
        if got and released_by is None:
            released_by = e
        fills += got

    # Assert: the first fill is exactly the clearing trade's excess, at its receive time, released once the model
    # clock has passed it by the 5 ms response latency.
    first = fills[0].fill
    assert first.ts_event == clearing.ts_recv == 1723161286655303619
    assert (first.size, first.price, first.liquidity.value) == (10_000, price, "maker")
    assert fills[0].kind is OrderEventKind.PARTIALLY_FILLED
    assert released_by is next(e for e in events if e.ts_recv >= clearing.ts_recv + 5 * MS)


def test_partial_fills_sum_to_the_order(events):
    # Arrange: the same bid, 0.002 BTC: after the queue ahead is gone every seller trade at the price fills us.
    now = events[K].ts_recv
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])
    price = book_before(events, now + 5 * MS).best_bid()[0]

    # Act
    venue.submit(intent("b2", size=200_000, price=price), now)
    out = run(venue, events, K + 1)

    # Assert
    fills = fills_of(out, "b2")
    assert len(fills) >= 2 and fills[-1].kind is OrderEventKind.FILLED
    assert all(f.kind is OrderEventKind.PARTIALLY_FILLED for f in fills[:-1])
    assert sum(f.fill.size for f in fills) == 200_000 == venue.order("b2").filled
    assert venue.position("s1", IID) == 200_000
    assert [f.fill.ts_event for f in fills] == sorted(f.fill.ts_event for f in fills)
    total_fee = sum((f.fill.fee for f in fills), Decimal(0))
    assert total_fee == Decimal("61855.36") * Decimal("0.002") * Decimal("0.001") == venue.order("b2").fee


def test_latency_delays_entry_by_exactly_the_configured_time(events):
    # Arrange: 7 ms entry, 3 ms response; send between two events.
    config = PaperConfig(entry_latency_ms=7.0, response_latency_ms=3.0)
    venue = PaperVenue({IID: SPEC}, config)
    run(venue, events[:K + 1])
    now = events[K].ts_recv + 1

    # Act
    assert venue.submit(intent("b3", price=6180000000000), now) == []
    out = run(venue, events, K + 1)

    # Assert: accepted at the venue exactly 7 ms after sending, released with the first event >= 3 ms later.
    accepted = next(e for e in out if e.kind is OrderEventKind.ACCEPTED)
    assert accepted.ts_event == now + 7 * MS
    assert venue.advance(now + 7 * MS - 1) == []
    release = next(e.ts_recv for e in events if e.ts_recv >= accepted.ts_event + 3 * MS)
    seen_at = None
    venue2 = PaperVenue({IID: SPEC}, config)
    run(venue2, events[:K + 1])
    venue2.submit(intent("b3", price=6180000000000), now)
    for e in events[K + 1:]:
        if any(x.kind is OrderEventKind.ACCEPTED for x in venue2.on_market([e])):
            seen_at = e.ts_recv
            break
    assert seen_at == release


def test_a_stop_triggers_on_the_first_trade_through_its_price(events):
    # Arrange: a buy stop 2 USDT above the last trade.
    now = events[K].ts_recv
    last = next(e for e in reversed(events[:K + 1]) if type(e) is Trade)
    trigger = last.price + 2 * 10**8
    first_through = next(e for e in events if type(e) is Trade and e.ts_recv >= now + 5 * MS and e.price >= trigger)
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])

    # Act
    venue.submit(intent("st", order_type=OrderType.STOP_MARKET, trigger=trigger), now)
    out = run(venue, events, K + 1)

    # Assert: triggered by that trade, then filled as a taker against the book at that moment.
    trig = next(e for e in out if e.kind is OrderEventKind.TRIGGERED)
    assert trig.ts_event == first_through.ts_recv
    fill = fills_of(out, "st")[0]
    assert fill.fill.ts_event == first_through.ts_recv and fill.fill.liquidity.value == "taker"
    assert book_before(events, first_through.ts_recv + 1).best_ask()[0] == fill.fill.price


def test_post_only_that_would_cross_is_rejected(events):
    now = events[K].ts_recv
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])
    ask = book_before(events, now + 5 * MS).best_ask_price()

    venue.submit(intent("gtx", price=ask, tif=TimeInForce.GTX), now)
    out = run(venue, events[K + 1:K + 200])

    (ev,) = [e for e in out if e.order.client_order_id == "gtx"]
    assert ev.kind is OrderEventKind.REJECTED and ev.reason == "post_only_would_take"
    assert ev.ts_event == now + 5 * MS and venue.stats()["rejected"] == {"post_only_would_take": 1}


def test_ioc_takes_what_the_touch_offers_and_cancels_the_leftover(events):
    now = events[K].ts_recv
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])
    ask, shown = book_before(events, now + 5 * MS).best_ask()

    venue.submit(intent("ioc", size=shown + 100_000, price=ask, tif=TimeInForce.IOC), now)
    out = run(venue, events[K + 1:K + 200])

    mine = [e for e in out if e.order.client_order_id == "ioc"]
    assert [e.kind for e in mine] == [OrderEventKind.ACCEPTED, OrderEventKind.PARTIALLY_FILLED,
                                      OrderEventKind.CANCELED]  # fmt: skip
    assert mine[1].fill.size == shown and mine[1].fill.price == ask
    assert mine[2].reason == "ioc_remainder" and mine[2].order.remaining == 100_000


def test_fok_fills_wholly_across_levels_or_not_at_all(events):
    now = events[K].ts_recv
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])
    asks = book_before(events, now + 5 * MS).depth(3)[1]
    two_levels = asks[0][1] + asks[1][1]

    venue.submit(intent("fok-big", size=two_levels + 1000, price=asks[1][0], tif=TimeInForce.FOK), now)
    venue.submit(intent("fok-ok", size=two_levels, price=asks[1][0], tif=TimeInForce.FOK), now)
    out = run(venue, events[K + 1:K + 200])

    big = [e for e in out if e.order.client_order_id == "fok-big"]
    assert [e.kind for e in big] == [OrderEventKind.ACCEPTED, OrderEventKind.EXPIRED]
    assert big[-1].reason == "fok_unfilled" and big[-1].order.filled == 0
    ok = fills_of(out, "fok-ok")
    assert [(f.fill.price, f.fill.size) for f in ok] == [asks[0], asks[1]]  # slippage across two levels
    assert ok[-1].kind is OrderEventKind.FILLED


def test_repeated_takes_consume_the_same_displayed_liquidity_until_the_level_changes(events):
    now = events[K].ts_recv
    venue = PaperVenue({IID: SPEC})
    run(venue, events[:K + 1])
    asks = book_before(events, now + 5 * MS).depth(2)[1]

    venue.submit(intent("m1", size=asks[0][1], order_type=OrderType.MARKET), now)
    venue.submit(intent("m2", size=1000, order_type=OrderType.MARKET), now)
    venue.advance(now + 5 * MS)  # both arrive before the next market event
    out = venue.advance(now + 10 * MS)

    assert [(f.fill.price, f.fill.size) for f in fills_of(out, "m1")] == [asks[0]]
    assert [(f.fill.price, f.fill.size) for f in fills_of(out, "m2")] == [(asks[1][0], 1000)]


def test_probabilistic_model_fills_the_same_bid_no_later_than_the_conservative_one(events):
    now = events[K].ts_recv
    times = {}
    for model in ("conservative", "prob_linear", "prob_log", "prob_pow3"):
        venue = PaperVenue({IID: SPEC}, PaperConfig(queue_model=model))
        run(venue, events[:K + 1])
        price = book_before(events, now + 5 * MS).best_bid()[0]
        venue.submit(intent("b", price=price), now)
        fills = fills_of(run(venue, events, K + 1), "b")
        times[model] = fills[0].fill.ts_event
    assert times["conservative"] == 1723161286655303619
    assert all(t <= times["conservative"] for t in times.values())
    assert times["prob_linear"] < times["conservative"]  # level decreases moved it forward
