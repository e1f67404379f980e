"""Binance REST depth snapshots, server side: parameter validation, error bodies, and bodies built from a book. Pure.

Sources: Binance Spot API docs, "Market Data endpoints", ``GET /api/v3/depth`` (``symbol`` mandatory; ``limit``
default 100, max 5000, larger values truncated to 5000); Binance USD-M / COIN-M Futures docs, "Order Book"
(``GET /fapi/v1/depth``, ``GET /dapi/v1/depth``: ``limit`` default 500, valid 5, 10, 20, 50, 100, 500, 1000; the
body has ``E`` (message output time) and ``T`` (transaction time), COIN-M also ``symbol`` and ``pair``); Binance
"Error codes" (-1100 ILLEGAL_CHARS, -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED, -1121 BAD_SYMBOL, -1130
INVALID_PARAMETER), all answered with HTTP 400 and a ``{"code":..,"msg":..}`` body.

Replay-venue choices where Binance documents nothing: spot ``limit=0`` and a futures ``limit`` outside the valid
list are refused with -1130 (real Binance may round them).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from actors.errors import CaptureError
from actors.fixedpoint import fixed_to_str
from actors.instruments import Venue
from actors.messages import Level

__all__ = [
    "DEFAULT_EXCHANGE_INFO",
    "RecordedSnapshot",
    "RestError",
    "depth_body",
    "error_body",
    "load_exchange_info",
    "parse_depth_query",
]

DEFAULT_EXCHANGE_INFO = Path(__file__).resolve().parents[2] / "data" / "sample" / "cryptofeed" / "BINANCE.0"
"""The bundled recorded ``GET /api/v3/exchangeInfo`` response (cryptofeed v1 ``BINANCE.0``, 2021-10-12)."""

SPOT_MAX_LIMIT = 5000
FUTURES_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


def error_body(code: int, msg: str) -> bytes:
    """A Binance REST error body ``{"code":-1121,"msg":"Invalid symbol."}``."""
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()


class RestError(Exception):
    """A request Binance would refuse.

    Attributes:
        status: HTTP status (400 for bad parameters).
        code, msg: the Binance error code and message.
    """

    def __init__(self, status: int, code: int, msg: str) -> None:
        self.status, self.code, self.msg = status, code, msg
        super().__init__(f"HTTP {status}: {code} {msg}")

    def body(self) -> bytes:
        """The JSON error body."""
        return error_body(self.code, self.msg)


def parse_depth_query(venue: Venue, query: Mapping[str, str], symbols: Collection[str]) -> tuple[str, int]:
    """Validate the ``symbol`` and ``limit`` query parameters of a depth request.

    Args:
        venue: the venue the path belongs to (spot rules or futures rules).
        query: the query parameters (first value of each).
        symbols: the symbols the venue serves (upper case).

    Returns:
        ``(symbol, limit)`` with the venue default limit when none was given (spot capped at 5000).

    Raises:
        RestError: -1102 no symbol, -1100 non-numeric limit, -1121 unknown symbol, -1130 invalid limit.
    """
    symbol = query.get("symbol", "")
    if not symbol:
        raise RestError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    text = query.get("limit")
    spot = venue is Venue.BINANCE
    limit = 100 if spot else 500
    if text is not None:
        if not text.isdigit() or len(text) > 20:
            raise RestError(400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")
        limit = int(text)
    if symbol not in symbols:
        raise RestError(400, -1121, "Invalid symbol.")
    if spot:
        if limit < 1:
            raise RestError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return symbol, min(limit, SPOT_MAX_LIMIT)
    if limit not in FUTURES_LIMITS:
        raise RestError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    return symbol, limit


def _levels(levels: Sequence[Level], pd: int, sd: int) -> list[list[str]]:
    return [[fixed_to_str(price, pd), fixed_to_str(size, sd)] for price, size in levels]


def depth_body(
    venue: Venue,
    symbol: str,
    last_update_id: int,
    bids: Sequence[Level],
    asks: Sequence[Level],
    price_decimals: int,
    size_decimals: int,
    event_ms: int = 0,
    transaction_ms: int = 0,
) -> bytes:
    """Build a depth snapshot body in Binance's own shape, with the venue's decimal spelling.

    Args:
        venue: spot bodies are ``{"lastUpdateId","bids","asks"}``; USD-M adds ``E``, ``T``; COIN-M adds ``E``,
            ``T``, ``symbol``, ``pair`` (the symbol before ``_``).
        symbol: the venue symbol.
        last_update_id: the update id the book is consistent with (the last applied diff's ``u``).
        bids, asks: fixed-point levels, best first, already truncated to the requested limit.
        price_decimals, size_decimals: the instrument's fixed-point scales (Binance's own decimals).
        event_ms, transaction_ms: futures ``E`` and ``T`` (ms).

    Returns:
        The compact JSON body, e.g. ``{"lastUpdateId":1,"bids":[["61837.63000000","3.78826000"]],"asks":[]}``.
    """
    body: dict = {"lastUpdateId": last_update_id}
    if venue is not Venue.BINANCE:
        body["E"] = event_ms
        body["T"] = transaction_ms
        if venue is Venue.BINANCE_COINM:
            body["symbol"] = symbol
            body["pair"] = symbol.partition("_")[0]
    body["bids"] = _levels(bids, price_decimals, size_decimals)
    body["asks"] = _levels(asks, price_decimals, size_decimals)
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class RecordedSnapshot:
    """A REST depth body as recorded, with what is needed to know when it is still the venue's answer.

    Attributes:
        body: the exact recorded bytes.
        last_update_id: its ``lastUpdateId``.
        levels: the larger of its bid and ask level counts (a request for fewer levels gets a truncated body).
        event_ms, transaction_ms: its ``E`` and ``T`` (futures), else 0.
    """

    body: bytes
    last_update_id: int
    levels: int
    event_ms: int = 0
    transaction_ms: int = 0

    @classmethod
    def from_body(cls, body: bytes) -> RecordedSnapshot:
        """Read a recorded depth body.

        Raises:
            ValueError: not a depth snapshot body.
        """
        value = json.loads(body)
        if not isinstance(value, dict) or "lastUpdateId" not in value:
            raise ValueError("not a depth snapshot body")
        levels = max(len(value.get("bids", ())), len(value.get("asks", ())))
        return cls(body, int(value["lastUpdateId"]), levels, int(value.get("E", 0)), int(value.get("T", 0)))


def load_exchange_info(path: str | Path = DEFAULT_EXCHANGE_INFO) -> bytes:
    """The recorded ``GET /api/v3/exchangeInfo`` body from a cryptofeed v1 REST file (``<url> -> <ts>: <body>``).

    Returns:
        The first exchangeInfo response body in the file, byte for byte.

    Raises:
        CaptureError: the file cannot be read or holds no exchangeInfo response.
    """
    try:
        with Path(path).open("rb") as fh:
            for line in fh:
                url, arrow, rest = line.partition(b" -> ")
                if arrow and b"/exchangeInfo" in url:
                    _, sep, body = rest.partition(b": ")
                    if sep:
                        return body.rstrip(b"\r\n")
    except OSError as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None
    raise CaptureError(f"{path}: no recorded exchangeInfo response")
