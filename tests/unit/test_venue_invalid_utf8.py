"""Invalid UTF-8 inside a frame's JSON strings is a typed error from every venue parser.

msgspec raises ``UnicodeDecodeError`` (not a ``msgspec.DecodeError``) for invalid UTF-8 in a string; a parser that
caught only ``DecodeError`` let it escape (hypothesis found ``b'"\\x80"'`` in the Binance parser).
"""

from __future__ import annotations

import pytest

from actors.errors import RaytradeError
from actors.feed.venues import parser_for, supported_venues

FRAMES = (b'"\x80"', b'{"e":"\xff\xfe"}', b'{"stream":"btcusdt@depth@100ms","data":{"s":"\xc3"}}',
          b'[1,{"a":[["\x80","1","1"]]},"book-10","XBT/USD"]', b'{"type":"\xe2\x82"}')  # fmt: skip


@pytest.mark.parametrize("venue", supported_venues())
def test_invalid_utf8_raises_only_typed_errors(venue):
    parser = parser_for(venue)
    for frame in FRAMES:
        try:
            parser.parse_frame(frame, 0)
        except RaytradeError:
            pass


@pytest.mark.parametrize(("market", "event"), [("binance", b"executionReport"), ("binance_usdm", b"ORDER_TRADE_UPDATE")])
def test_invalid_utf8_in_a_user_data_event_is_a_malformed_frame(market, event):
    from actors.errors import MalformedFrame
    from actors.execution.userdata.parse import UserDataParser

    with pytest.raises(MalformedFrame):
        UserDataParser(market).parse(b'{"e":"' + event + b'","s":"\x80"}', 0)
