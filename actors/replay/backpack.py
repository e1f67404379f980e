"""Backpack Exchange's replay protocol (``wss://ws.backpack.exchange``) and its REST depth endpoint.

Wire constants come from :mod:`actors.feed.venues.backpack` (``DEPTH_PATH``, the stream kinds). Sources: Backpack
"Streams" (``{"method":"SUBSCRIBE","params":["depth.SOL_USDC",...]}``, ``UNSUBSCRIBE`` alike; frames
``{"stream":<name>,"data":{...}}``; "Depth": ``U``/``u`` first and last update id, consecutive across messages) and
"Markets > Get depth" (``GET /api/v1/depth?symbol=``: ``{"asks","bids","lastUpdateId","timestamp"}``).

* Streams are the stream names (``depth.SOL_USDC``, ``trade.SOL_USDC``, ``bookTicker.SOL_USDC``).
* Replies: the docs show no acknowledgement of ``SUBSCRIBE``, so none is sent. A request that is not a
  documented one, or a stream the recording does not have, is answered ``{"id":null,"error":{"code":4005,
  "message":...}}`` (the docs give no example of it: the shape is this replay's).
* The true book is rebuilt from the recording's REST depth body and ``depth`` diffs with Backpack's first/last
  update-id rule (:class:`~actors.feed.venues.policies.FirstLastIdPolicy`); ``GET /api/v1/depth`` answers it at
  the current replay time with ``lastUpdateId`` = the last applied ``u`` (an unknown symbol: HTTP 400
  ``{"code":"INVALID_CLIENT_REQUEST","message":"Invalid symbol"}``).
* Gaps are detectable: a dropped or reordered ``depth`` frame breaks ``U == previous u + 1``.

**No Backpack recording exists here**: the one the tests and ``examples/backpack.toml`` use is generated from the
docs' example messages (``scripts/make_doc_recordings.py``), not real traffic.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from actors.book.sync import BookSync
from actors.feed.venues.backpack import DEPTH_PATH
from actors.instruments import Venue
from actors.replay.protocol import RecordedSession, Reply, plain_levels
from actors.replay.streambook import StreamTrueBook

__all__ = ["BACKPACK", "BackpackReplay", "BackpackSession"]

_STREAM = b'{"stream":"'
_MAX_DEPTH = 5000


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _error(message: str) -> bytes:
    return _json({"id": None, "error": {"code": 4005, "message": message}})


class BackpackSession(RecordedSession):
    """One connection: its subscribed streams and the ``SUBSCRIBE``/``UNSUBSCRIBE`` requests."""

    def handle(self, text: str | bytes, known: Collection[str]) -> Reply:
        try:
            request = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            return Reply([_error("Invalid JSON")])
        method = request.get("method") if isinstance(request, dict) else None
        params = request.get("params") if isinstance(request, dict) else None
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE") or not isinstance(params, list) \
                or not all(isinstance(p, str) for p in params):  # fmt: skip
            return Reply([_error("Invalid request")])
        if method == "UNSUBSCRIBE":
            self.streams[:] = [s for s in self.streams if s not in params]
            return Reply()
        unknown = [p for p in params if p not in known]
        if unknown:
            return Reply([_error(f"Invalid stream {unknown[0]}")])
        new = [p for p in dict.fromkeys(params) if p not in self.streams]
        self.streams.extend(new)
        return Reply([], new)


@dataclass(frozen=True)
class BackpackReplay:
    """The :class:`~actors.replay.protocol.ReplayProtocol` of Backpack Exchange."""

    venue: Venue = Venue.BACKPACK

    def stream_of(self, frame: bytes) -> str | None:
        if not frame.startswith(_STREAM):
            return None
        end = frame.find(b'"', len(_STREAM))
        return frame[len(_STREAM):end].decode("ascii", "replace") if end > len(_STREAM) else None

    def stream_symbol(self, stream: str) -> str:
        return stream.rpartition(".")[2].upper()

    def is_book_stream(self, stream: str) -> bool:
        return stream.startswith("depth.")

    def is_snapshot_body(self, body: bytes) -> bool:
        return body.startswith(b"{") and b'"lastUpdateId"' in body and b'"asks"' in body[:20]

    def accept(self, path: str, known: Collection[str]) -> BackpackSession | None:
        return BackpackSession() if path.split("?", 1)[0].rstrip("/") == "" else None

    def true_book(self, symbols: Collection[str]) -> StreamTrueBook:
        return StreamTrueBook(self.venue, symbols, self._rest_body)

    def snapshot_frame(self, stream: str, book: Any) -> bytes | None:
        return None  # snapshots come from REST

    def rest_symbol(self, query: Mapping[str, str]) -> str | None:
        return query.get("symbol")

    def error_body(self, code: int, msg: str) -> bytes:
        return _json({"code": "TOO_MANY_REQUESTS" if code in (429, 418) else "SERVICE_UNAVAILABLE", "message": msg})

    def rest_routes(self, venue: Any) -> list[tuple[str, Any]]:
        return [(DEPTH_PATH, self._depth)]

    def urls(self, ws: str, rest: str, index: Any) -> dict:
        return {"stream": ws + "/", "depth": rest + DEPTH_PATH}

    def _rest_body(self, symbol: str, sync: BookSync, limit: int, now_ms: int) -> bytes:
        b = sync.book
        bids, asks = b.depth(limit)
        bids.reverse()  # Backpack lists both sides from the lowest price up
        return _json({"asks": plain_levels(asks, b.price_decimals, b.size_decimals),
                      "bids": plain_levels(bids, b.price_decimals, b.size_decimals),
                      "lastUpdateId": str(sync.last_sequence), "timestamp": now_ms})  # fmt: skip

    async def _depth(self, venue: Any, query: Mapping[str, str]) -> tuple[int, bytes, dict]:
        symbol = query.get("symbol", "").upper()
        if symbol not in venue.index.symbols:
            return 400, _json({"code": "INVALID_CLIENT_REQUEST", "message": "Invalid symbol"}), {}
        limit_text = query.get("limit", str(_MAX_DEPTH))
        limit = min(int(limit_text), _MAX_DEPTH) if limit_text.isdigit() and int(limit_text) > 0 else _MAX_DEPTH
        body = await venue.depth_snapshot(symbol, limit)
        if body is None:
            return 503, self.error_body(503, "Service unavailable: no depth yet"), {}
        return 200, body, {}


BACKPACK = BackpackReplay()
