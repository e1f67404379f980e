"""Binance market-stream protocol, server side: connection paths, frame routing and the JSON methods. Pure.

Source: Binance Spot API docs, "WebSocket Streams" (raw streams ``/ws/<streamName>``, combined streams
``/stream?streams=<a>/<b>``, combined payloads ``{"stream":"<streamName>","data":<rawPayload>}``), and "Live
Subscribing/Unsubscribing to streams" (``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, ``SET_PROPERTY``,
``GET_PROPERTY``; replies ``{"result":null,"id":1}``; error replies with codes 0 "Unknown property", 1 "Invalid value
type: expected Boolean", 2 "Invalid request: ...", 3 "Invalid JSON: ..."). The USD-M and COIN-M docs are the same.

The error reply frame is ``{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}``, as Binance sends it
(seen in the wild, e.g. ctubio/Krypto-trading-bot#1121 and ccxt/ccxt#19833).

Replay-venue choices where Binance documents nothing: a stream the recording does not contain is refused with
code 2 "Invalid request: invalid stream" (Binance accepts well-formed names of any listed symbol and then sends
nothing; refusing makes a misconfigured feed visible). Unknown streams in the connection URL are answered with one
such error frame (``"id":null``) right after the handshake; the known ones are served.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec

__all__ = [
    "StreamSession",
    "WsPath",
    "depth_ids",
    "error_reply",
    "parse_ws_path",
    "raw_payload",
    "result_reply",
    "stream_of",
    "stream_symbol",
]

_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_PREFIX = b'{"stream":"'


@dataclass(frozen=True, slots=True)
class WsPath:
    """What a connection URL asks for.

    Attributes:
        streams: stream names in URL order (may be empty: subscribe later with ``SUBSCRIBE``).
        combined: True for ``/stream`` (payloads in the ``{"stream":..,"data":..}`` envelope), False for ``/ws``.
    """

    streams: tuple[str, ...]
    combined: bool


def parse_ws_path(path: str) -> WsPath | None:
    """Parse a request path: ``/stream?streams=a/b``, ``/stream``, ``/ws/a``, ``/ws/a/b``, ``/ws``.

    Returns:
        The :class:`WsPath`, or None for a path Binance does not serve (answer 404).
    """
    parts = urlsplit(path)
    route = parts.path.rstrip("/")
    if route == "/stream":
        values = parse_qs(parts.query).get("streams", [])
        names = [name for value in values for name in value.split("/") if name]
        return WsPath(tuple(dict.fromkeys(names)), True)
    if route == "/ws" or route.startswith("/ws/"):
        names = [unquote(name) for name in route[4:].split("/") if name]
        return WsPath(tuple(dict.fromkeys(names)), False)
    return None


def stream_of(frame: bytes) -> str | None:
    """The stream name of a combined-stream frame (``{"stream":"btcusdt@trade",...}``), or None for other frames."""
    if not frame.startswith(_PREFIX):
        return None
    end = frame.find(b'"', 11)
    return frame[11:end].decode("ascii", "replace") if end > 11 else None


def raw_payload(frame: bytes, stream: str) -> bytes:
    """The ``data`` part of a combined frame, byte for byte: what ``/ws/<stream>`` sends.

    Raises:
        ValueError: the frame is not exactly ``{"stream":"<stream>","data":<payload>}``.
    """
    head = b'{"stream":"' + stream.encode() + b'","data":'
    if not frame.startswith(head) or not frame.endswith(b"}"):
        raise ValueError(f"not a combined frame of {stream!r}: {frame[:60]!r}")
    return frame[len(head) : -1]


def stream_symbol(stream: str) -> str:
    """The venue symbol of a stream name: ``"btcusd_perp@depth@0ms"`` -> ``"BTCUSD_PERP"``."""
    return stream.partition("@")[0].upper()


class _DepthIds(msgspec.Struct):
    U: int = -1
    u: int = -1
    pu: int = -1
    E: int = 0
    T: int = 0


_DEPTH_IDS = msgspec.json.Decoder(msgspec.defstruct("_DepthEnvelope", [("data", _DepthIds)]))


def depth_ids(frame: bytes) -> dict[str, int]:
    """Update ids and times of a combined depth frame: ``{"U":..,"u":..}`` plus ``pu``/``E``/``T`` where present.

    Returns ``{}`` when the frame is not a decodable depth frame (e.g. a corrupted copy).
    """
    try:
        ids = _DEPTH_IDS.decode(frame).data
    except (msgspec.DecodeError, ValueError):
        return {}
    if ids.u < 0:
        return {}
    out = {"U": ids.U, "u": ids.u}
    if ids.pu >= 0:
        out["pu"] = ids.pu
    if ids.E:
        out["E"] = ids.E
    if ids.T:
        out["T"] = ids.T
    return out


def result_reply(request_id: object, result: object = None) -> bytes:
    """``{"result":<result>,"id":<id>}``, compact, as Binance writes it."""
    return json.dumps({"result": result, "id": request_id}, separators=(",", ":")).encode()


def error_reply(request_id: object, code: int, msg: str) -> bytes:
    """``{"error":{"code":<code>,"msg":"<msg>"},"id":<id>}``, compact, as Binance writes it."""
    return json.dumps({"error": {"code": code, "msg": msg}, "id": request_id}, separators=(",", ":")).encode()


@dataclass
class StreamSession:
    """The stream subscriptions and properties of one connection, and the JSON methods that change them.

    Args:
        streams: subscribed stream names, in subscription order.
        combined: payload envelope on/off (Binance property ``combined``).
    """

    streams: list[str] = field(default_factory=list)
    combined: bool = True

    def handle(self, text: str | bytes, known: Collection[str]) -> bytes:
        """Apply one client request and return the reply frame.

        Args:
            text: the request frame, e.g. ``{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}``.
            known: the stream names the venue can serve.

        Returns:
            The reply (``{"result":...,"id":...}`` or an error reply). Never raises on bad input.
        """
        try:
            request = json.loads(text)
        except json.JSONDecodeError as exc:
            return error_reply(None, 3, f"Invalid JSON: {exc.msg.lower()} at line {exc.lineno} column {exc.colno}")
        except (UnicodeDecodeError, ValueError):
            return error_reply(None, 3, "Invalid JSON: invalid UTF-8")
        if not isinstance(request, dict):
            return error_reply(None, 2, "Invalid request: expected a JSON object")
        request_id = request.get("id")
        if not _valid_id(request_id):
            return error_reply(None, 2, "Invalid request: request ID must be an unsigned integer")
        method = request.get("method")
        if method is None:
            return error_reply(request_id, 2, "Invalid request: missing field `method`")
        if method not in _METHODS:
            expected = ", ".join(f"`{m}`" for m in _METHODS)
            return error_reply(request_id, 2, f"Invalid request: unknown variant `{method}`, expected one of {expected}")
        params = request.get("params", [])
        if not isinstance(params, list):
            return error_reply(request_id, 2, "Invalid request: invalid type: expected a sequence of parameters")
        if method == "LIST_SUBSCRIPTIONS":
            return result_reply(request_id, list(self.streams))
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            return self._property(method, params, request_id)
        if not params or not all(isinstance(p, str) for p in params):
            return error_reply(request_id, 2, "Invalid request: invalid stream")
        if method == "SUBSCRIBE":
            if any(p not in known for p in params):
                return error_reply(request_id, 2, "Invalid request: invalid stream")
            self.streams.extend(p for p in dict.fromkeys(params) if p not in self.streams)
        else:
            self.streams[:] = [s for s in self.streams if s not in params]
        return result_reply(request_id, None)

    def _property(self, method: str, params: list, request_id: object) -> bytes:
        if not params or not isinstance(params[0], str):
            return error_reply(request_id, 2, "Invalid request: property name must be a string")
        if params[0] != "combined":
            return error_reply(request_id, 0, "Unknown property")
        if method == "GET_PROPERTY":
            return result_reply(request_id, self.combined)
        if len(params) < 2 or not isinstance(params[1], bool):
            return error_reply(request_id, 1, "Invalid value type: expected Boolean")
        self.combined = params[1]
        return result_reply(request_id, None)


def _valid_id(value: object) -> bool:
    """Binance accepts an unsigned integer id (and, on spot, null or a string of up to 36 characters)."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**63
    return isinstance(value, str) and 0 < len(value) <= 36
