"""When a finished replay run may end: every instrument of a running feed ready at the feed and in its book."""

from __future__ import annotations

from cluster.run import _resynced

SPOT = "BTCUSDT.BINANCE"


def _status(feed_ready=True, book=None, supervision=None) -> dict:
    return {
        "feeds": {"binance_spot": {"state": "running", "instruments": {SPOT: {"ready": feed_ready}}}},
        "books": {"book": book if book is not None else {"instruments": {SPOT: {"ready": True}}}},
        "supervision": supervision or {"book": {"role": "book", "state": "running"}},
    }


def test_a_run_whose_feeds_and_books_are_all_ready_may_end():
    assert _resynced(_status())


def test_a_resync_at_the_feed_holds_the_end():
    assert not _resynced(_status(feed_ready=False))


def test_a_restarted_book_still_waiting_for_its_snapshot_holds_the_end():
    # the feed's sequencing state is ready, but the book actor was replaced and holds nothing yet
    assert not _resynced(_status(book={"instruments": {SPOT: {"ready": False}}}))


def test_a_dead_or_restarting_book_holds_the_end():
    assert not _resynced(_status(book={"state": "unreachable", "error": "ActorDiedError"}))
    assert not _resynced(_status(supervision={"book": {"role": "book", "state": "restarting"}}))


def test_books_of_a_feed_that_ended_do_not_hold_the_end():
    status = _status(book={"instruments": {SPOT: {"ready": False}}})
    status["feeds"]["binance_spot"]["state"] = "ended"
    assert _resynced(status)
