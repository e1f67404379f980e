"""The book actor's fan-out to several subscribers, without Ray: by value (a copy each) or by reference (one
``put`` per group of subscribers due the same payload), on the recorded spot capture."""

from __future__ import annotations

import pytest

from actors.book.actor import BookActor
from actors.errors import ConfigError
from actors.feed.pipeline import sequence_records
from actors.instruments import Venue, spec_for
from actors.messages import EventBatch
from actors.replay.captures import read_recordings
from tests.conftest import SPOT

IID = "BTCUSDT.BINANCE"


class _Calls:
    def __init__(self, sink: list) -> None:
        self.sink = sink

    def remote(self, *args):
        self.sink.append(args)
        return object()


class _Subscriber:
    def __init__(self) -> None:
        self.got: list[tuple] = []
        self.on_views = _Calls(self.got)


class _Put:
    """Stands for ``ray.put``: wraps the payload so the test can see what was shared."""

    def __init__(self) -> None:
        self.objects: list = []

    def __call__(self, value):
        ref = ("ref", len(self.objects))
        self.objects.append(value)
        return ref


def _batches(n: int):
    (recording,) = read_recordings(SPOT)
    out = []
    for ts, events in sequence_records(recording.records(), Venue.BINANCE, [spec_for(Venue.BINANCE, "BTCUSDT")]):
        out.append(EventBatch("binance-spot", tuple(events), ts))
        if len(out) == n:
            return out
    return out


def _subscribed(fanout: str, put: _Put):
    book = BookActor("book", [IID], max_in_flight=10, fanout=fanout, put=put)
    subs = {name: _Subscriber() for name in ("mm-1", "mm-2", "deep")}
    for name, sub in subs.items():
        book.subscribe(name, sub, [IID], depth=20 if name == "deep" else 5, trades=True)
    for s in book._subscribers.values():  # their first views were acknowledged
        s.in_flight.clear()
    for sub in subs.values():
        sub.got.clear()
    return book, subs


def test_by_reference_subscribers_due_the_same_views_share_one_put_and_others_get_their_own():
    put = _Put()
    book, subs = _subscribed("ref", put)
    for batch in _batches(40):
        book.apply(batch)
        for s in book._subscribers.values():
            s.in_flight.clear()
    assert book.shared_puts > 0
    assert subs["mm-1"].got == subs["mm-2"].got  # the same references, call for call, not copies
    shared = [args for args in subs["mm-1"].got if put.objects[args[0][1]]]  # calls that carried views
    assert shared and all(args[0][0] == "ref" for args in subs["mm-1"].got)
    views = put.objects[shared[0][0][1]]
    assert views[0].instrument_id == IID and len(views[0].bids) <= 5
    deep = [args for args in subs["deep"].got if args[0]]
    assert isinstance(deep[0][0], list) and len(deep[0][0][0].bids) > 5  # alone in its group: by value


def test_by_value_every_subscriber_gets_its_own_equal_copy():
    put = _Put()
    book, subs = _subscribed("value", put)
    for batch in _batches(40):
        book.apply(batch)
        for s in book._subscribers.values():
            s.in_flight.clear()
    assert put.objects == [] and book.shared_puts == 0
    one, two = subs["mm-1"].got[0], subs["mm-2"].got[0]
    assert one is not two and isinstance(one[0], list) and one == two


def test_an_unknown_fanout_is_a_config_error():
    with pytest.raises(ConfigError, match="fanout"):
        BookActor("book", [IID], fanout="multicast")
