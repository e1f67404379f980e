"""market_making on the bundled spot capture: GLFT quotes, tick-exact, skewed by inventory, passive, pulled."""

from __future__ import annotations

from decimal import Decimal

from actors.messages import BookView
from actors.orders import (
    IntentAction,
    Liquidity,
    OrderEvent,
    OrderEventKind,
    OrderIntent,
    OrderState,
    PositionSnapshot,
    Side,  # fmt: skip
    TimeInForce,
)
from strategies.base import StrategyContext
from strategies.market_making import MarketMaker, MarketMakingParams, glft_quote
from strategies.registry import build
from tests.unit.test_strategy_replay import SPECS, SPOT_ID, Host, market_stream, shifted, venue_stream

SPEC = SPECS[SPOT_ID]
TICK = 1_000_000  # 0.01 USDT at 8 decimals
LOT = 1_000  # 0.00001 BTC


def first_view(after_s: float = 0) -> BookView:
    views = [v for _, v in venue_stream(SPOT_ID) if isinstance(v, BookView)]
    return next(v for v in views if v.ts_event >= views[0].ts_event + after_s * 1e9)


def quotes(mm: MarketMaker, view: BookView, position: int = 0, now: int | None = None) -> dict[Side, OrderIntent]:
    pos = {SPOT_ID: PositionSnapshot("mm", SPOT_ID, position, 8, None, Decimal(0), Decimal(0), Decimal(0), "USDT",
                                     "open")} if position else {}  # fmt: skip
    ctx = StrategyContext("mm", view.ts_recv if now is None else now, {SPOT_ID: SPEC}, pos, {}, {SPOT_ID: view})
    return {a.side: a for a in mm.on_book(view, ctx) if isinstance(a, OrderIntent)}


def test_quotes_both_sides_post_only_at_tick_exact_prices_around_the_reservation_price():
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams())
    q = quotes(mm, view)
    bid, ask = q[Side.BUY], q[Side.SELL]
    assert bid.action is ask.action is IntentAction.SUBMIT and bid.time_in_force is TimeInForce.GTX
    assert bid.price % TICK == 0 and ask.price % TICK == 0 and bid.size == ask.size == 100_000  # 0.001 BTC
    # Flat inventory: reservation = mid; bid rounded down, ask up, from the GLFT model quotes.
    model_bid, model_ask, _ = glft_quote(float(view.mid()), 0.0, 5.0, 0.01, 2.0, 1.0)
    assert Decimal(bid.price).scaleb(-8) <= Decimal(model_bid) < Decimal(bid.price + TICK).scaleb(-8)
    assert Decimal(ask.price - TICK).scaleb(-8) < Decimal(model_ask) <= Decimal(ask.price).scaleb(-8)
    assert bid.price < view.bids[0][0] <= view.asks[0][0] < ask.price  # about 0.8 USDT each side of a 1-tick book


def test_a_long_inventory_shifts_both_quotes_down_by_the_skew_per_quote_and_a_short_one_up():
    view = first_view(60)
    flat = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view)
    long1 = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=100_000)  # q = +1
    short1 = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=-100_000)
    _, _, skew = glft_quote(float(view.mid()), 0.0, 5.0, 0.01, 2.0, 1.0)  # USDT per unit of q (~0.41)
    for side in (Side.BUY, Side.SELL):
        down = (flat[side].price - long1[side].price) / 1e8
        up = (short1[side].price - flat[side].price) / 1e8
        assert abs(down - skew) <= 0.011 and abs(up - skew) <= 0.011


def test_a_skew_that_would_cross_the_book_is_clamped_to_stay_passive():
    view = first_view(60)
    short3 = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=-300_000)
    # The model bid is mid - 0.50 + 2.5 * 0.41 USDT, above the best ask: it joins one tick below it instead.
    assert short3[Side.BUY].price == view.asks[0][0] - TICK
    long3 = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=300_000)
    assert long3[Side.SELL].price == view.bids[0][0] + TICK


def test_the_side_that_would_grow_inventory_past_the_cap_is_not_quoted():
    view = first_view(60)
    at_cap = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=500_000)  # 0.005 BTC long
    assert set(at_cap) == {Side.SELL}
    short_cap = quotes(MarketMaker("mm", SPOT_ID, MarketMakingParams()), view, position=-500_000)
    assert set(short_cap) == {Side.BUY}


def test_quotes_move_by_replace_only_when_the_target_moved_past_the_threshold():
    view = first_view(60)
    host = Host(MarketMaker("mm", SPOT_ID, MarketMakingParams(requote_threshold_ticks=10)))
    host.deliver_view(view)
    assert [i.action for i in host.intents] == [IntentAction.SUBMIT, IntentAction.SUBMIT]
    host.deliver_view(shifted(view, 9 * TICK))  # the targets move 9 ticks: keep the queue position
    assert len(host.intents) == 2
    host.deliver_view(shifted(view, -10 * TICK))  # 10 ticks from the resting quotes: replace both
    replaces = host.intents[2:]
    assert [i.action for i in replaces] == [IntentAction.REPLACE, IntentAction.REPLACE]
    assert {i.client_order_id for i in replaces} == {i.client_order_id for i in host.intents[:2]}
    assert all(i.new_client_order_id for i in replaces) and len(host.open) == 2


def test_quotes_are_pulled_when_the_book_is_not_ready_crossed_or_stale():
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams(stale_after_ms=5000))
    host = Host(mm)
    not_ready = BookView(SPOT_ID, False, view.sequence, (), (), 8, 8, view.ts_event, view.ts_recv, 0)
    crossed = BookView(SPOT_ID, True, view.sequence, ((view.asks[0][0], 1),), (view.asks[0],), 8, 8, view.ts_event,
                       view.ts_recv, 0)  # fmt: skip
    for bad in (not_ready, crossed):
        host.deliver_view(view)
        assert len(host.open) == 2
        host.deliver_view(bad)
        assert len(host.open) == 0 and host.intents[-1].action is IntentAction.CANCEL
    host.deliver_view(view)
    host.now = view.ts_recv + 5_001_000_000  # no book update for 5.001 s
    host.handle(mm.on_timer(host.ctx()))
    assert len(host.open) == 0 and mm.summary()["pulled"] == "stale"


def test_rejections_back_off_instead_of_resubmitting_in_a_loop():
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams(reject_backoff_ms=1000))
    stream = market_stream(SPOT_ID)
    host = Host(mm, reject=lambda intent: "insufficient_balance").run(stream, until_ns=stream[0][0] + 30 * 10**9)
    # 30 s of views (~300): backoff 1, 2, 4, 8, 16 s -> at most 5-6 tries per side.
    assert 2 <= len(host.intents) <= 12 and mm.summary()["rejects"] == len(host.intents)


def test_default_market_maker_quotes_passively_and_gets_fills_on_both_sides_of_the_whole_capture():
    mm = build("market_making", "mm", [SPOT_ID], {})
    host = Host(mm).run(market_stream(SPOT_ID))
    rejected = [e for e in host.events if e.kind.value == "rejected"]
    assert rejected == []  # no quote was ever marketable (post-only would have been rejected)
    buys = sum(f.size for f in host.fills if f.side is Side.BUY)
    sells = sum(f.size for f in host.fills if f.side is Side.SELL)
    assert buys > 10 * 100_000 and sells > 10 * 100_000  # more than ten 0.001 BTC fills each side
    running, peak = 0, 0
    for f in host.fills:
        running += f.side.sign * f.size
        peak = max(peak, abs(running))
    assert peak <= 500_000  # never past max_inventory (0.005 BTC)
    assert all(i.price % TICK == 0 for i in host.intents if i.price is not None)
    assert 0 < len(host.signals) <= 140  # one summary signal per 5 s of an 11-minute capture


# --- round trips: what the host shows is one round trip old -------------------------------------------------
def resting(intent: OrderIntent, ts: int) -> OrderState:
    """The order ``intent`` (a submit, or the new half of a replace) as the venue accepted it."""
    if intent.action is IntentAction.REPLACE:
        intent = OrderIntent(IntentAction.SUBMIT, intent.strategy_id, intent.new_client_order_id, intent.instrument_id,
                             8, 8, intent.side, intent.order_type, intent.size, intent.price, None,
                             intent.time_in_force, False, None, intent.ts_created, intent.tag)  # fmt: skip
    state = OrderState(intent, "USDT", "paper", ts)
    state.accept(ts)
    return state


def answered(mm: MarketMaker, sent, view: BookView) -> list[OrderState]:
    """The venue accepted ``sent`` (submits / replaces' new halves) and the strategy got the events."""
    states = [resting(i, view.ts_recv) for i in sent]
    for s in states:
        mm.on_order_event(OrderEvent(OrderEventKind.ACCEPTED, s.snapshot(), view.ts_recv), context(view, states))
    return states


def context(view: BookView, states, now: int | None = None) -> StrategyContext:
    return StrategyContext("mm", view.ts_recv if now is None else now, {SPOT_ID: SPEC}, {},
                           {s.client_order_id: s.snapshot() for s in states if s.is_open}, {SPOT_ID: view},
                           _seq=_SEQ)  # fmt: skip


_SEQ = [100]  # one client order id counter for the tests below, as the host keeps one


def intents(actions) -> list[OrderIntent]:
    return [a for a in actions if isinstance(a, OrderIntent)]


def test_a_quote_being_replaced_is_not_replaced_again_until_the_venue_answered_both_halves():
    # Arrange: both quotes rest; the market moves 10 ticks: both are replaced.
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams())
    states = answered(mm, intents(mm.on_book(view, context(view, []))), view)
    moved = shifted(view, -10 * TICK)
    replaces = intents(mm.on_book(moved, context(moved, states)))
    assert [i.action for i in replaces] == [IntentAction.REPLACE, IntentAction.REPLACE]

    # Act: the market moves on while the replaces travel; the context still shows the old quotes.
    further = [shifted(view, -d * TICK) for d in (20, 30, 40)]
    while_travelling = [intents(mm.on_book(v, context(v, states))) for v in further]
    # The venue answers the new halves only (the old halves' cancels still on their way).
    new = answered(mm, replaces, moved)
    before_old_closed = intents(mm.on_book(further[-1], context(further[-1], states + new)))
    for s in states:
        s.cancel("replaced", moved.ts_recv)
        mm.on_order_event(OrderEvent(OrderEventKind.CANCELED, s.snapshot(), moved.ts_recv, reason="replaced"),
                          context(further[-1], new))  # fmt: skip
    after = intents(mm.on_book(further[-1], context(further[-1], new)))

    # Assert: nothing is sent for a side while its replace is unanswered; then the new quotes are moved.
    assert while_travelling == [[], [], []] and before_old_closed == []
    assert [i.action for i in after] == [IntentAction.REPLACE, IntentAction.REPLACE]
    assert {i.client_order_id for i in after} == {s.client_order_id for s in new}


def test_an_id_the_venue_said_is_closed_is_ignored_though_the_context_still_lists_it():
    # Arrange: the bid filled, but the host never applied the fill: the context still lists it as open.
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams())
    bid, ask = answered(mm, intents(mm.on_book(view, context(view, []))), view)
    zombie = bid.snapshot()
    bid.fill(bid.intent.price, bid.intent.size, Liquidity.MAKER, Decimal(0), view.ts_recv)
    moved = shifted(view, 10 * TICK)
    (replace,) = [i for i in intents(mm.on_book(moved, context(moved, [ask]) | _with(zombie))) if i.side is Side.BUY]

    # Act: the venue answers: cancel rejected (order_closed, the order as it is: filled), new half accepted.
    new = resting(replace, moved.ts_recv)
    ctx = context(moved, [ask, new]) | _with(zombie)
    mm.on_order_event(OrderEvent(OrderEventKind.CANCEL_REJECTED, bid.snapshot(), moved.ts_recv,
                                 reason="order_closed"), ctx)  # fmt: skip
    mm.on_order_event(OrderEvent(OrderEventKind.ACCEPTED, new.snapshot(), moved.ts_recv), ctx)
    later = [shifted(view, d * TICK) for d in (10, 30)]
    out = [intents(mm.on_book(v, context(v, [ask, new]) | _with(zombie))) for v in later]

    # Assert: the live new bid is neither canceled as a leftover nor is the closed id touched again; the new bid
    # is what moves when the market moves 20 ticks further.
    assert out[0] == []
    bids = [i for i in out[1] if i.side is Side.BUY]
    assert [(i.action, i.client_order_id) for i in bids] == [(IntentAction.REPLACE, new.client_order_id)]


def _with(order) -> _Extra:
    return _Extra(order)


class _Extra:
    """``ctx | _with(order)``: the context with one more open order (one the host failed to close)."""

    def __init__(self, order) -> None:
        self.order = order

    def __ror__(self, ctx: StrategyContext) -> StrategyContext:
        ctx.open_orders[self.order.client_order_id] = self.order
        return ctx


def test_a_replace_the_risk_gate_refused_frees_the_side_at_once():
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams())
    states = answered(mm, intents(mm.on_book(view, context(view, []))), view)
    moved = shifted(view, -10 * TICK)
    bid_replace = next(i for i in intents(mm.on_book(moved, context(moved, states))) if i.side is Side.BUY)
    # The host's fail-closed answer to a refused replace: cancel_rejected for the old id, nothing for the new one.
    sub = OrderIntent(IntentAction.SUBMIT, "mm", bid_replace.client_order_id, SPOT_ID, 8, 8, size=1)
    refused = OrderState(sub, "", "", moved.ts_recv).reject("risk_unavailable", moved.ts_recv)
    mm.on_order_event(OrderEvent(OrderEventKind.CANCEL_REJECTED, refused.order, moved.ts_recv,
                                 reason="risk_unavailable"), context(moved, states))  # fmt: skip

    again = [i for i in intents(mm.on_book(moved, context(moved, states))) if i.side is Side.BUY]

    assert [(i.action, i.client_order_id) for i in again] == [(IntentAction.REPLACE, bid_replace.client_order_id)]
    assert again[0].new_client_order_id != bid_replace.new_client_order_id


def test_two_live_quotes_on_one_side_keep_the_one_nearest_the_target_and_cancel_the_other():
    # Arrange: a restart in the middle of a replace: execution reports two bids, 10 ticks apart.
    view = first_view(60)
    target_bid = intents(MarketMaker("mm", SPOT_ID, MarketMakingParams()).on_book(view, context(view, [])))[0]
    near = resting(target_bid, view.ts_recv)
    far_intent = OrderIntent(IntentAction.SUBMIT, "mm", "mm-mm-bid-7", SPOT_ID, 8, 8, Side.BUY, size=100_000,
                             price=target_bid.price - 10 * TICK, time_in_force=TimeInForce.GTX,
                             tag="mm-bid")  # fmt: skip
    far = resting(far_intent, view.ts_recv)
    restarted = MarketMaker("mm", SPOT_ID, MarketMakingParams())

    # Act
    out = intents(restarted.on_book(view, context(view, [far, near])))

    # Assert: one cancel, of the far one; no new bid until the venue confirmed it.
    bids = [i for i in out if i.side is Side.BUY]
    assert [(i.action, i.client_order_id) for i in bids] == [(IntentAction.CANCEL, far.client_order_id)]
    assert intents(restarted.on_book(view, context(view, [far, near]))) == []  # the cancel is still travelling


def test_a_quote_the_book_has_reached_waits_for_its_fill_instead_of_being_replaced():
    # Arrange: a bid rests; then the best ask comes down to it (the venue fills it) and the target moves away.
    view = first_view(60)
    mm = MarketMaker("mm", SPOT_ID, MarketMakingParams(pending_timeout_ms=2000))
    states = answered(mm, intents(mm.on_book(view, context(view, []))), view)
    bid = next(s for s in states if s.intent.side is Side.BUY)
    through = BookView(SPOT_ID, True, view.sequence, ((bid.intent.price - 50 * TICK, 100_000),),
                       ((bid.intent.price, 100_000),), 8, 8, view.ts_event, view.ts_recv, 0)  # fmt: skip

    # Act: the fill has not arrived yet (ctx still shows the bid), then still nothing 2.001 s later.
    now = [through.ts_recv, through.ts_recv + 1_000_000_000, through.ts_recv + 2_001_000_000]
    out = [[i for i in intents(mm.on_book(through, context(through, states, now=t))) if i.side is Side.BUY]
           for t in now]  # fmt: skip

    # Assert: left alone while its fill may be travelling; after pending_timeout_ms the replace's cancel is sent.
    assert out[0] == [] and out[1] == []
    assert [(i.action, i.client_order_id) for i in out[2]] == [(IntentAction.REPLACE, bid.client_order_id)]
