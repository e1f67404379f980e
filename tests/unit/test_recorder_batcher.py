"""Batching: size and age triggers, bounded buffers that ask the caller to flush (back-pressure)."""

from actors.recorder.batcher import Batcher


def test_table_is_due_after_the_flush_interval_not_before():
    b = Batcher(max_batch_rows=100, flush_interval_ns=1_000)
    b.add("trades", [1, 2], now_ns=10)
    assert b.due(1_009) == [] and b.due(1_010) == ["trades"]


def test_take_splits_into_batches_of_max_rows_and_empties_the_buffer():
    b = Batcher(max_batch_rows=3)
    b.add("quotes", list(range(7)), now_ns=0)
    assert [len(rows) for _, rows in b.take()] == [3, 3, 1] and b.buffered == 0 and b.oldest_ns() is None


def test_add_asks_for_a_flush_when_the_buffers_reach_their_bound():
    b = Batcher(max_batch_rows=10, max_buffered_rows=15)
    assert b.add("trades", list(range(8)), 0) is False
    assert b.add("quotes", list(range(8)), 0) is True  # 16 buffered >= 15: the producer waits for the flush


def test_put_back_keeps_order_in_front_of_newer_rows():
    b = Batcher(max_batch_rows=10)
    b.add("trades", [3, 4], 5)
    b.put_back("trades", [1, 2], 1)
    assert b.take() == [("trades", [1, 2, 3, 4])]
