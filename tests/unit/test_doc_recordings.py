"""The generated Gemini / Bitstamp / Backpack recordings: equal to their generator's output, read as the venue's
capture, and what the replay protocols make of their frames and REST URLs."""

from __future__ import annotations

import importlib.util
import json

import pytest

from actors.feed.venues import adapter_for
from actors.replay.captures import read_recordings
from actors.replay.protocol import protocol_for
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "venue_docs"


def _generator():
    spec = importlib.util.spec_from_file_location("make_doc_recordings", ROOT / "scripts" / "make_doc_recordings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["GEMINI.jsonl", "BITSTAMP.jsonl", "BACKPACK.jsonl"])
def test_the_committed_recording_is_the_generators_output(name):
    assert (DATA / name).read_text() == _generator().render(name)


def test_each_file_is_one_recording_of_its_venue():
    venues = {r.venue.value for r in read_recordings(sorted(DATA.glob("*.jsonl")))}
    assert venues == {"gemini", "bitstamp", "backpack"}


def test_stream_names_and_snapshot_bodies():
    gemini, bitstamp, backpack = (protocol_for(v) for v in ("gemini", "bitstamp", "backpack"))
    assert gemini.stream_of(b'{"type":"l2_updates","symbol":"BTCUSD","changes":[]}') == "l2:BTCUSD"
    assert gemini.stream_of(b'{"type":"trade","symbol":"ETHUSD","event_id":1}') == "l2:ETHUSD"
    assert gemini.stream_of(b'{"type":"heartbeat","timestamp":1}') == "heartbeat"
    assert gemini.stream_of(b'{"type":"error","reason":"x"}') is None
    diff = b'{"data":{"microtimestamp":"1","bids":[],"asks":[]},"channel":"diff_order_book_btcusd","event":"data"}'
    assert bitstamp.stream_of(diff) == "diff_order_book_btcusd" and bitstamp.stream_symbol("live_trades_ethusd") == "ETHUSD"
    assert bitstamp.stream_of(b'{"event":"bts:subscription_succeeded","channel":"live_trades_btcusd","data":{}}') is None
    assert bitstamp.is_snapshot_body(b'{"timestamp":"1","microtimestamp":"1000000","bids":[],"asks":[]}')
    assert backpack.stream_of(b'{"stream":"depth.SOL_USDC","data":{}}') == "depth.SOL_USDC"
    assert backpack.is_snapshot_body(b'{"asks":[],"bids":[],"lastUpdateId":"5","timestamp":1}')
    assert not backpack.is_snapshot_body(b'{"code":"INVALID_CLIENT_REQUEST","message":"Invalid symbol"}')


def test_recorded_rest_snapshots_are_named_by_their_url():
    bitstamp, backpack = adapter_for("bitstamp"), adapter_for("backpack")
    assert bitstamp.snapshot_symbol_of("https://www.bitstamp.net/api/v2/order_book/btcusd/") == "BTCUSD"
    assert bitstamp.snapshot_symbol_of("https://www.bitstamp.net/api/v2/ticker/btcusd/") is None
    assert backpack.snapshot_symbol_of("https://api.backpack.exchange/api/v1/depth?symbol=SOL_USDC") == "SOL_USDC"
    assert backpack.snapshot_symbol_of("https://api.backpack.exchange/api/v1/markets") is None


def test_sessions_answer_as_the_venues_do():
    known = {"diff_order_book_btcusd", "live_trades_btcusd"}
    session = protocol_for("bitstamp").accept("/", known)
    reply = session.handle('{"event":"bts:subscribe","data":{"channel":"diff_order_book_btcusd"}}', known)
    assert json.loads(reply.frames[0]) == {"event": "bts:subscription_succeeded", "channel": "diff_order_book_btcusd",
                                           "data": {}} and reply.subscribed == ["diff_order_book_btcusd"]  # fmt: skip
    assert json.loads(session.handle('{"event":"bts:heartbeat"}', known).frames[0])["data"] == {"status": "success"}
    assert json.loads(session.handle('{"event":"bts:subscribe","data":{"channel":"x"}}', known).frames[0])["event"] \
        == "bts:error"  # fmt: skip
    gemini = protocol_for("gemini").accept("/v2/marketdata", {"l2:BTCUSD", "heartbeat"})
    reply = gemini.handle('{"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD"]}]}',
                          {"l2:BTCUSD", "heartbeat"})  # fmt: skip
    assert reply.frames == [] and reply.subscribed == ["l2:BTCUSD"] and gemini.streams == ["l2:BTCUSD", "heartbeat"]
    assert protocol_for("gemini").accept("/v1/marketdata", set()) is None
    backpack = protocol_for("backpack").accept("/", {"depth.SOL_USDC"})
    assert backpack.handle('{"method":"SUBSCRIBE","params":["depth.SOL_USDC"]}', {"depth.SOL_USDC"}).subscribed == [
        "depth.SOL_USDC"]
    assert "error" in json.loads(backpack.handle('{"method":"SUBSCRIBE","params":["depth.X"]}', {"depth.SOL_USDC"}).frames[0])
