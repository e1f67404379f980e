"""Bars in the runtime, without Ray: the book actor's bars equal the CLI's, strategies get on_bar, bars rows."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pydantic

from actors.bars.bar import Bar
from actors.bars.captures import bars_from_captures
from actors.book.actor import BookActor
from actors.feed.pipeline import sequence_records
from actors.instruments import Venue, spec_for
from actors.messages import EventBatch
from actors.recorder.embedded import EmbeddedStore
from actors.recorder.rows import to_row
from actors.replay.captures import read_recordings
from actors.strategy.actor import StrategyActor
from strategies import registry
from tests.conftest import SPOT

IID = "BTCUSDT.BINANCE"


def _spot_batches():
    (recording,) = read_recordings(SPOT)
    for ts, events in sequence_records(recording.records(), Venue.BINANCE, [spec_for(Venue.BINANCE, "BTCUSDT")]):
        yield EventBatch("binance-spot", tuple(events), ts)


def test_book_actor_bars_equal_the_capture_bars_and_close_on_venue_time():
    book = BookActor("book", [IID], bar_intervals=("1m", "5m"))
    for batch in _spot_batches():
        book.apply(batch)
    expected, _ = bars_from_captures(SPOT, "1m")
    got = book.bars(IID, "1m", limit=1000)
    assert [b.to_dict() for b in got] == [b.to_dict() for b in expected]
    assert book.bars(IID, "1m", limit=3) == got[-3:] and not got[-1].closed
    assert book.bar_builder.late_trades == 0
    assert [b.start for b in book.bars(IID, "5m")] == [1723161000000000000, 1723161300000000000,
                                                       1723161600000000000, 1723161900000000000]  # fmt: skip


def test_a_bar_closes_on_depth_time_past_its_end_plus_grace_without_a_trade():
    book = BookActor("book", [IID], bar_close_grace_ms=1000)
    batches = list(_spot_batches())
    last_trade_ts = max(e.ts_event for b in batches for e in b.events if type(e).__name__ == "Trade")
    for batch in batches:
        book.apply(batch)
    open_bar = book.bars(IID, "1m")[-1]
    assert not open_bar.closed
    from actors.messages import Quote

    quiet = Quote(IID, 0, 1, 1, 2, 1, 8, 5, open_bar.end + 999_000_000, 0)
    book.apply(EventBatch("f", (quiet,), 0))
    assert not book.bars(IID, "1m")[-1].closed  # within the grace
    book.apply(EventBatch("f", (Quote(IID, 0, 1, 1, 2, 1, 8, 5, open_bar.end + 1_000_000_000, 0),), 0))
    assert book.bars(IID, "1m")[-1].closed and book.bars(IID, "1m")[-1].ts_event == last_trade_ts


class _Params(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class _BarReader:
    kind = "test_bar_reader"
    wants_trades = False
    bar_intervals = ("1m",)

    def __init__(self, strategy_id, instruments):
        self.strategy_id, self._instruments, self.seen = strategy_id, instruments, []

    def instruments(self):
        return self._instruments

    def on_bar(self, bar, ctx):
        self.seen.append((bar.start, ctx.now_ns))
        return []

    def on_book(self, view, ctx):
        return []

    def on_trade(self, trade, ctx):
        return []

    def on_order_event(self, event, ctx):
        return []

    def on_fill(self, fill, ctx):
        return []

    def on_timer(self, ctx):
        return []

    def summary(self):
        return {}


def test_strategy_that_declares_bar_intervals_gets_each_closed_bar():
    registry.register("test_bar_reader", _Params, lambda sid, inst, params: _BarReader(sid, inst))
    actor = StrategyActor("s", "s-1", "test_bar_reader", [IID], lookup=lambda name: None, timer_interval_ms=0)
    assert actor.wants_bars() == ["1m"]
    bars = [Bar(IID, "1m", 60_000_000_000 * k, 1, 1, 1, 1, 1, 1, 1, 8, 8, True, 5, 7 + k) for k in range(3)]
    asyncio.run(actor.on_views([], [], bars))
    assert actor.strategy.seen == [(0, 7), (60_000_000_000, 8), (120_000_000_000, 9)]
    assert actor.bars == 3


def test_bar_row_is_exact_and_idempotent(tmp_path):
    bar = Bar(IID, "1m", 1723161240000000000, 6183763000000, 6185537000000, 6182400000000, 6182800000000,
              1243238000, 7687917880000000000000, 875, 8, 8, True, 1723161299990000000, 1723161300000000000)
    row = to_row("bars", bar, "run-1")
    assert row["row_key"] == "run-1:BTCUSDT.BINANCE:60:1723161240000000000"
    assert (row["venue"], row["interval_s"], row["trades"]) == ("binance", 60, 875)
    assert row["open"] == Decimal("61837.63") and row["volume"] == Decimal("12.43238")
    assert row["vwap"] == bar.vwap() and str(row["vwap"]).count(".") == 1
    store = EmbeddedStore(tmp_path)
    assert store.write("bars", [row]) == 1 and store.write("bars", [row]) == 0
    (back,) = store.read("bars")
    assert Decimal(back["vwap"]) == bar.vwap() and back["ts_open"] == bar.start
