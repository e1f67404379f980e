"""RecorderActor on the embedded store: write-ahead, flush interval, back-pressure, restarts never duplicate."""

from __future__ import annotations

import asyncio

import pytest

from actors.recorder.actor import RecorderActor
from actors.recorder.schema import COLUMNS
from tests.unit.test_recorder_samples import RUN, market_events, trading_items


def _recorder(tmp_path, **kw) -> RecorderActor:
    return RecorderActor({"kind": "embedded", "run_dir": str(tmp_path)}, RUN, **kw)


def test_write_now_is_committed_before_it_returns(tmp_path):
    async def go():
        rec = _recorder(tmp_path)
        await rec.write_now("orders", trading_items()["orders"])
        assert len(rec.store.read("orders")) == 4  # visible at once: nothing buffered
        await rec.close()

    asyncio.run(go())


def test_market_rows_are_flushed_within_the_flush_interval(tmp_path):
    async def go():
        rec = _recorder(tmp_path, flush_interval_s=0.05)
        trades = market_events()[0]
        await rec.write_market("trades", trades)
        assert rec.store.count("trades") == 0 and rec.status()["buffered_rows"] == len(trades)
        await asyncio.sleep(0.3)
        assert rec.store.count("trades") == len(trades) and rec.counts()["trades"] == len(trades)
        await rec.close()

    asyncio.run(go())


def test_full_buffers_make_the_producer_wait_for_the_flush(tmp_path):
    async def go():
        rec = _recorder(tmp_path, flush_interval_s=60, max_batch_rows=100)
        quotes = market_events()[1][:450]  # >= 4 x 100 buffered: back-pressure
        await rec.write_market("quotes", quotes)
        assert rec.status()["buffered_rows"] == 0 and rec.store.count("quotes") == 450
        await rec.close()

    asyncio.run(go())


def test_a_restarted_recorder_resending_everything_duplicates_nothing(tmp_path):
    async def once() -> dict:
        rec = _recorder(tmp_path)
        for table, items in trading_items().items():
            await rec.write_now(table, items)
        await rec.write_market("trades", market_events()[0])
        return (await rec.close())["counts"]

    first, second = asyncio.run(once()), asyncio.run(once())
    assert first["orders"] == 4 and first["trades"] == len(market_events()[0])
    assert sum(second.values()) == 0


def test_unknown_table_is_refused(tmp_path):
    async def go():
        rec = _recorder(tmp_path)
        with pytest.raises(ValueError, match="unknown table"):
            await rec.write_now("nope", [{}])
        await rec.close()

    asyncio.run(go())
    assert "orders" in COLUMNS
