from decimal import Decimal

from actors.messages import BookView
from strategies.base import StrategyContext
from strategies.basis_monitor import BasisMonitor
from strategies.registry import build

SPOT, PERP = "BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM"
CTX = StrategyContext("basis", 0, {})


def view(iid, t_ms, bid, ask, ready=True):
    return BookView(iid, ready, 1, ((bid, 1),), ((ask, 1),), 2, 3, t_ms * 1_000_000, 0, 0)


def test_basis_is_an_as_of_join_on_event_time_whatever_the_arrival_order():
    m = BasisMonitor(SPOT, [PERP], max_skew_ms=1000)
    # The spot venue runs ahead (arrives first) of the perp one, as a fast replay would deliver them.
    for t, mid in [(1000, 100_00), (2000, 101_00), (3000, 102_00)]:
        m.on_book(view(SPOT, t, mid - 1, mid + 1), CTX)
    assert m.stats[PERP].count == 0  # nothing to join yet
    m.on_book(view(PERP, 1500, 90_00 - 1, 90_00 + 1), CTX)
    m.on_book(view(PERP, 3000, 95_00 - 1, 95_00 + 1), CTX)
    s = m.summary()["basis"][f"{SPOT} - {PERP}"]
    # points 1500 (100-90), 2000 (101-90), 3000 (102-95) and 3000 again from the perp view; 1000 has no perp yet
    assert (s["samples"], s["skipped"]) == (4, 1)
    assert Decimal(s["min"]) == Decimal("7") and Decimal(s["max"]) == Decimal("11")


def test_stale_side_is_skipped_and_not_ready_books_give_no_mid():
    m = BasisMonitor(SPOT, [PERP], max_skew_ms=100)
    m.on_book(view(PERP, 1, 10, 12), CTX)
    m.on_book(view(SPOT, 1000, 20, 22), CTX)  # point t=1 has no spot mid yet
    assert m.stats[PERP].skipped == 1 and m.stats[PERP].count == 0
    m.on_book(view(PERP, 1000, 10, 12, ready=False), CTX)  # point t=1000 (twice): the perp has no mid
    assert m.stats[PERP].skipped == 3 and m.stats[PERP].count == 0
    m.on_book(view(PERP, 1500, 10, 12), CTX)  # waits until spot reaches t=1500
    m.on_book(view(SPOT, 1500, 20, 22), CTX)
    assert m.stats[PERP].count == 2 and m.stats[PERP].skipped == 3
    assert m.stats[PERP].last == Decimal("0.10")


def test_registry_builds_the_monitor_with_spot_first_and_it_never_trades():
    m = build("basis_monitor", "b1", [SPOT, PERP], {"max_skew_ms": 250})
    assert (m.spot, m.perps, m.max_skew_ns, m.strategy_id) == (SPOT, [PERP], 250_000_000, "b1")
    assert m.on_book(view(SPOT, 1, 10, 12), CTX) == [] and m.on_timer(CTX) == []


def test_a_reset_then_a_timeless_snapshot_never_pairs_new_prices_with_an_old_clock(spot_events):
    # Issue 8 item 5: a Binance spot REST snapshot has no venue time; after a reset the view used to keep the
    # pre-reset ts_event, and the as-of join paired a new spot mid with an old perp mid (-210 USD against +22).
    from actors.book.keeper import BookKeeper
    from actors.instruments import spec_for
    from actors.messages import BookDeltas, BookReset, BookSnapshot

    keeper = BookKeeper([spec_for("binance", "BTCUSDT")])
    snapshot = next(e for kind, e in spot_events if kind == "rest")
    diffs = [e for kind, e in spot_events if kind == "ws" and type(e) is BookDeltas and e.sequence > snapshot.sequence]
    keeper.apply([snapshot, *diffs[:20]], 0)
    before = keeper.view("BTCUSDT.BINANCE", 5, 0)
    assert before.ts_event == diffs[19].ts_event > 0

    later = BookSnapshot(snapshot.instrument_id, diffs[30].sequence, snapshot.bids, snapshot.asks,
                         snapshot.price_decimals, snapshot.size_decimals, 0, diffs[30].ts_recv)  # fmt: skip
    keeper.apply([BookReset("BTCUSDT.BINANCE", "gap", 0), later], 0)
    after = keeper.view("BTCUSDT.BINANCE", 5, 0)
    assert after.ready and after.ts_event == 0  # unknown, not the old time

    monitor = BasisMonitor("BTCUSDT.BINANCE", ["BTCUSDT.BINANCE_USDM"])
    ctx = StrategyContext("basis", 0, {})
    monitor.on_book(after, ctx)
    assert monitor.views == 0  # a view without a venue time is not a sample point
    keeper.apply(diffs[31:32], 0)
    assert keeper.view("BTCUSDT.BINANCE", 5, 0).ts_event == diffs[31].ts_event
