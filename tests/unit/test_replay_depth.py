"""REST depth, server side: Binance's parameter rules and error bodies, bodies in Binance's shape, exchangeInfo."""

from __future__ import annotations

import json

import pytest

from actors.errors import CaptureError
from actors.instruments import Venue
from actors.replay.depth import RecordedSnapshot, RestError, depth_body, load_exchange_info, parse_depth_query

SYMBOLS = {"BTCUSDT"}


def test_spot_limit_defaults_to_100_and_is_capped_at_5000():
    assert parse_depth_query(Venue.BINANCE, {"symbol": "BTCUSDT"}, SYMBOLS) == ("BTCUSDT", 100)
    assert parse_depth_query(Venue.BINANCE, {"symbol": "BTCUSDT", "limit": "7"}, SYMBOLS) == ("BTCUSDT", 7)
    assert parse_depth_query(Venue.BINANCE, {"symbol": "BTCUSDT", "limit": "9000"}, SYMBOLS) == ("BTCUSDT", 5000)


def test_futures_limit_defaults_to_500_and_must_be_a_listed_value():
    assert parse_depth_query(Venue.BINANCE_USDM, {"symbol": "BTCUSDT"}, SYMBOLS) == ("BTCUSDT", 500)
    assert parse_depth_query(Venue.BINANCE_COINM, {"symbol": "BTCUSDT", "limit": "1000"}, SYMBOLS)[1] == 1000
    with pytest.raises(RestError) as err:
        parse_depth_query(Venue.BINANCE_USDM, {"symbol": "BTCUSDT", "limit": "7"}, SYMBOLS)
    assert (err.value.status, err.value.code) == (400, -1130)


@pytest.mark.parametrize(
    ("query", "code", "body"),
    [
        ({}, -1102, b'{"code":-1102,"msg":"Mandatory parameter \'symbol\' was not sent, was empty/null, or malformed."}'),
        ({"symbol": "ETHUSDT"}, -1121, b'{"code":-1121,"msg":"Invalid symbol."}'),
        ({"symbol": "btcusdt"}, -1121, b'{"code":-1121,"msg":"Invalid symbol."}'),
        ({"symbol": "BTCUSDT", "limit": "ten"}, -1100,
         b'{"code":-1100,"msg":"Illegal characters found in parameter \'limit\'; legal range is \'^[0-9]{1,20}$\'."}'),
        ({"symbol": "BTCUSDT", "limit": "0"}, -1130, b'{"code":-1130,"msg":"Data sent for parameter \'limit\' is not valid."}'),
    ],
)  # fmt: skip
def test_bad_requests_get_binance_400_bodies(query, code, body):
    with pytest.raises(RestError) as err:
        parse_depth_query(Venue.BINANCE, query, SYMBOLS)
    assert (err.value.status, err.value.code, err.value.body()) == (400, code, body)


def test_spot_body_has_binance_shape_and_spelling():
    body = depth_body(Venue.BINANCE, "BTCUSDT", 50093239218, [(6183763000000, 378826000)], [(6183764000000, 1)], 8, 8)
    assert body == (b'{"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],'
                    b'"asks":[["61837.64000000","0.00000001"]]}')  # fmt: skip


def test_usdm_body_carries_event_and_transaction_time():
    body = depth_body(Venue.BINANCE_USDM, "BTCUSDT", 5, [(6180020, 2909)], [], 2, 3, 1723161256501, 1723161256493)
    assert body == b'{"lastUpdateId":5,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"]],"asks":[]}'


def test_coinm_body_names_symbol_and_pair_and_sizes_are_contracts():
    body = depth_body(Venue.BINANCE_COINM, "BTCUSD_PERP", 9, [(618047, 35)], [], 1, 0, 2, 1)
    assert body == (b'{"lastUpdateId":9,"E":2,"T":1,"symbol":"BTCUSD_PERP","pair":"BTCUSD",'
                    b'"bids":[["61804.7","35"]],"asks":[]}')  # fmt: skip


def test_recorded_snapshot_knows_its_id_levels_and_times():
    body = b'{"lastUpdateId":7,"E":3,"T":2,"bids":[["1.0","1"],["0.9","1"]],"asks":[["1.1","1"]]}'
    assert RecordedSnapshot.from_body(body) == RecordedSnapshot(body, 7, 2, 3, 2)
    with pytest.raises(ValueError):
        RecordedSnapshot.from_body(b'{"code":-1121,"msg":"Invalid symbol."}')


def test_exchange_info_is_the_recorded_response_byte_for_byte():
    body = load_exchange_info()
    info = json.loads(body)
    assert info["timezone"] == "UTC"
    assert any(s["symbol"] == "BTCUSDT" for s in info["symbols"])
    assert body.startswith(b'{"timezone":"UTC","serverTime":1633998511098,')


def test_exchange_info_from_a_file_without_one_is_a_capture_error(tmp_path):
    path = tmp_path / "BINANCE.0"
    path.write_text('configuration: {"trades":[]}\n')
    with pytest.raises(CaptureError):
        load_exchange_info(path)
