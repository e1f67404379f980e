"""Binance's stream protocol as the replay venue serves it: paths, envelopes, JSON methods and their replies."""

from __future__ import annotations

import json

import pytest

from actors.replay.streams import StreamSession, depth_ids, parse_ws_path, raw_payload, stream_of, stream_symbol

# Recorded frames (hftbacktest/binance_spot/btcusdt_20240808.gz and binance_usdm/btcusdt_20240808.gz).
SPOT_DEPTH = (b'{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT",'
              b'"U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],'
              b'"a":[["61838.04000000","0.32332000"]]}}')  # fmt: skip
USDM_DEPTH = (b'{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,'
              b'"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"]],'
              b'"a":[]}}')  # fmt: skip
KNOWN = {"btcusdt@depth@100ms", "btcusdt@trade", "btcusdt@bookTicker"}


@pytest.mark.parametrize(
    ("path", "streams", "combined"),
    [
        ("/stream?streams=btcusdt@depth@100ms/btcusdt@trade", ("btcusdt@depth@100ms", "btcusdt@trade"), True),
        ("/stream", (), True),
        ("/ws/btcusdt@trade", ("btcusdt@trade",), False),
        ("/ws/btcusdt@trade/btcusdt@bookTicker", ("btcusdt@trade", "btcusdt@bookTicker"), False),
        ("/ws", (), False),
        ("/stream?streams=a/a", ("a",), True),
    ],
)
def test_connection_paths_name_streams_and_envelope(path, streams, combined):
    wanted = parse_ws_path(path)
    assert wanted is not None
    assert (wanted.streams, wanted.combined) == (streams, combined)


@pytest.mark.parametrize("path", ["/", "/api/v3/depth", "/streams", "/wss/btcusdt@trade"])
def test_other_paths_are_not_served(path):
    assert parse_ws_path(path) is None


def test_stream_name_and_raw_payload_are_exact_slices_of_the_recorded_frame():
    assert stream_of(SPOT_DEPTH) == "btcusdt@depth@100ms"
    raw = raw_payload(SPOT_DEPTH, "btcusdt@depth@100ms")
    assert raw == json.dumps(json.loads(SPOT_DEPTH)["data"], separators=(",", ":")).encode()
    assert SPOT_DEPTH.find(raw) > 0


def test_raw_payload_refuses_a_frame_of_another_stream():
    with pytest.raises(ValueError):
        raw_payload(SPOT_DEPTH, "btcusdt@trade")


def test_frames_without_envelope_have_no_stream():
    assert stream_of(b'{"result":null,"id":1}') is None


def test_depth_ids_read_update_ids_and_times():
    assert depth_ids(SPOT_DEPTH) == {"U": 50093239203, "u": 50093239207, "E": 1723161255308}
    assert depth_ids(USDM_DEPTH) == {"U": 5123107832006, "u": 5123107837557, "pu": 5123107831937,
                                     "E": 1723161256299, "T": 1723161256298}  # fmt: skip
    assert depth_ids(SPOT_DEPTH[:50]) == {}


def test_stream_symbol_is_the_upper_case_venue_symbol():
    assert stream_symbol("btcusd_perp@depth@0ms") == "BTCUSD_PERP"


def test_subscribe_unsubscribe_and_list_reply_as_binance_does():
    session = StreamSession([], combined=True)
    req = '{"method":"SUBSCRIBE","params":["btcusdt@trade","btcusdt@depth@100ms"],"id":1}'
    assert session.handle(req, KNOWN) == b'{"result":null,"id":1}'
    assert session.handle('{"method":"LIST_SUBSCRIPTIONS","id":3}', KNOWN) == (
        b'{"result":["btcusdt@trade","btcusdt@depth@100ms"],"id":3}'
    )
    assert session.handle('{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":312}', KNOWN) == (
        b'{"result":null,"id":312}'
    )
    assert session.streams == ["btcusdt@depth@100ms"]


def test_unknown_stream_is_refused_and_changes_nothing():
    session = StreamSession(["btcusdt@trade"])
    reply = session.handle('{"method":"SUBSCRIBE","params":["ethusdt@trade","btcusdt@bookTicker"],"id":7}', KNOWN)
    assert reply == b'{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":7}'
    assert session.streams == ["btcusdt@trade"]


def test_combined_property_can_be_read_and_set():
    session = StreamSession([], combined=False)
    assert session.handle('{"method":"GET_PROPERTY","params":["combined"],"id":2}', KNOWN) == b'{"result":false,"id":2}'
    assert session.handle('{"method":"SET_PROPERTY","params":["combined",true],"id":5}', KNOWN) == (
        b'{"result":null,"id":5}'
    )
    assert session.combined is True


@pytest.mark.parametrize(
    ("request_text", "code", "msg_start"),
    [
        ("{not json", 3, "Invalid JSON:"),
        ("[1, 2]", 2, "Invalid request: expected a JSON object"),
        ('{"params":[],"id":1}', 2, "Invalid request: missing field `method`"),
        ('{"method":"FLY","id":1}', 2, "Invalid request: unknown variant `FLY`, expected one of `SUBSCRIBE`"),
        ('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":-1}', 2, "Invalid request: request ID must be"),
        ('{"method":"SUBSCRIBE","params":"btcusdt@trade","id":1}', 2, "Invalid request: invalid type"),
        ('{"method":"SUBSCRIBE","params":[],"id":1}', 2, "Invalid request: invalid stream"),
        ('{"method":"SET_PROPERTY","params":["speed",true],"id":1}', 0, "Unknown property"),
        ('{"method":"SET_PROPERTY","params":["combined","yes"],"id":1}', 1, "Invalid value type: expected Boolean"),
        ('{"method":"GET_PROPERTY","params":[1],"id":1}', 2, "Invalid request: property name must be a string"),
    ],
)
def test_bad_requests_get_binance_error_replies_never_an_exception(request_text, code, msg_start):
    reply = json.loads(StreamSession().handle(request_text, KNOWN))
    assert reply["error"]["code"] == code
    assert reply["error"]["msg"].startswith(msg_start)
    assert list(reply) == ["error", "id"]
