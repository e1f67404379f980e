"""Gemini market data v2: pure parser for ``l2_updates``, ``trade`` and ``heartbeat``; symbols and frames.

Source: Gemini "WebSocket API", "Market Data Version 2" (``wss://api.gemini.com/v2/marketdata``; subscribe
``{"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD"]}]}``; "the first ``l2_updates`` message
is the full order book, with the most recent trades and any auction events", later ``l2_updates`` carry
``changes`` ``[side buy/sell, price, new quantity]`` with the absolute quantity, ``"0"`` removing the level;
``trade`` messages; ``heartbeat`` every five seconds).

Documentation example (there is no Gemini recording here)::

    {"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]],
     "trades":[{"type":"trade","symbol":"BTCUSD","event_id":169841458,"timestamp":1560976400428,"price":"9122.04",
     "quantity":"0.0073173","side":"sell","tid":2840140800042677}],"auction_events":[]}
    {"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":151231241,"price":"9004.21000000",
     "quantity":"0.09110000","side":"buy"}

* The initial ``l2_updates`` (the full book) is the only one that carries the ``trades`` / ``auction_events``
  lists, which is how this stateless parser tells it: it becomes a ``BookSnapshot``; later ones ``BookDeltas``.
  The initial message's recent trades predate the subscription and are not emitted.
* **No sequence numbers** (v2 market data has none, unlike v1's ``socket_sequence``): a lost ``l2_updates`` cannot be
  detected; the book stays wrong until the next subscription (a resubscribe or reconnect sends a fresh full book)
  unless it crosses. Book events carry their receive time ``ts_recv`` as ``sequence`` (arrival order: updates
  received before a new full book are older than it) and ``ts_event`` 0 (``l2_updates`` has no time).
* ``trade``: ``side`` is the taker's; ``event_id`` is the trade id; ``timestamp`` in ms.
* ``heartbeat`` and ``subscription``/``subscribed`` replies -> ``()``; ``{"type":"error"}`` -> ``VenueError``.

Symbols: ``BTCUSD`` (as Gemini writes them in v2, upper case), instrument id ``BTCUSD.GEMINI``, ccxt ``BTC/USD``.
Decimals: 10 price and 10 size decimals by default (Gemini's tick sizes go down to 1e-8, sizes to 1e-8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import msgspec

from actors.errors import ConfigError, FeedError, MalformedFrame, UnsupportedFrame, VenueError
from actors.feed.venues.symbols import join_spot, split_concatenated
from actors.feed.venues.base import ConnectionPlan, SnapshotRequest
from actors.feed.venues.policies import InOrderStreamPolicy, decimals_of, join_ws, market_decimal
from actors.feed.venues.entries import InstrumentEntry, InstrumentTable
from actors.feed.venues.module_adapter import ModuleAdapter, public_private_hosts
from actors.instruments import InstrumentSpec, Venue
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Trade

__all__ = ["ADAPTER", "GEMINI_POLICY", "L2", "WS_PATH", "GeminiAdapter", "GeminiParser", "WS_URL", "ccxt_symbol", "default_spec", "subscribe_frame", "symbol_from_ccxt"]

WS_PATH = "/v2/marketdata"
WS_URL = "wss://api.gemini.com" + WS_PATH
L2 = "l2"  # the v2 subscription carrying l2_updates and trade messages
REST_URL = "https://api.gemini.com"
VENUE = "gemini"
_QUOTES = ("GUSD", "USDT", "USDC", "USD", "EUR", "GBP", "SGD", "BTC", "ETH", "DAI")
_FEES = (Decimal("0.002"), Decimal("0.004"))  # Gemini ActiveTrader base tier: maker 0.20 %, taker 0.40 %
_GENERIC = msgspec.json.Decoder()


def _split(symbol: str) -> tuple[str, str]:
    return split_concatenated(symbol, _QUOTES, VENUE)


def ccxt_symbol(symbol: str) -> str:
    """``"BTCUSD"`` -> ``"BTC/USD"`` (longest known quote suffix: GUSD, USDT, USDC, USD, EUR, GBP, SGD, BTC, ETH, DAI).

    Raises:
        ConfigError: no known quote suffix.
    """
    base, quote = _split(symbol)
    return f"{base}/{quote}"


def symbol_from_ccxt(unified: str) -> str:
    """``"BTC/USD"`` -> ``"BTCUSD"``.

    Raises:
        ConfigError: not a spot ``BASE/QUOTE`` symbol.
    """
    return join_spot(unified, VENUE)


def default_spec(symbol: str) -> InstrumentSpec:
    """10 price and 10 size decimals (exact for every Gemini symbol); base/quote from :func:`ccxt_symbol`'s split."""
    try:
        base, quote = _split(symbol)
    except ConfigError:
        base, quote = symbol.upper(), "?"
    return InstrumentSpec(Venue.GEMINI, symbol.upper(), "spot", base, quote, quote, False, 10, 10,
                          Decimal("1e-10"), Decimal("1e-10"), Decimal(1), *_FEES)  # fmt: skip


def subscribe_frame(symbols: Sequence[str]) -> str:
    """``{"type":"subscribe","subscriptions":[{"name":"l2","symbols":[...]}]}`` (``l2`` carries book and trades)."""
    return msgspec.json.encode(
        {"type": "subscribe", "subscriptions": [{"name": L2, "symbols": [s.upper() for s in symbols]}]}
    ).decode()


def unsubscribe_frame(symbols: Sequence[str]) -> str:
    """The matching ``unsubscribe`` frame."""
    return msgspec.json.encode(
        {"type": "unsubscribe", "subscriptions": [{"name": L2, "symbols": [s.upper() for s in symbols]}]}
    ).decode()




class GeminiParser:
    """Translate Gemini v2 market data frames (module docstring). ``specs`` override the default by symbol."""

    def __init__(self, specs: Sequence[InstrumentSpec] = ()) -> None:
        self._symbols = InstrumentTable(Venue.GEMINI, specs, default_spec)

    def instrument_spec(self, symbol: str) -> InstrumentSpec:
        """The spec used for ``symbol``."""
        return self._symbol(symbol.upper()).spec

    def _symbol(self, symbol: object) -> InstrumentEntry:
        if not isinstance(symbol, str) or not symbol.isalnum():
            raise MalformedFrame(VENUE, f"symbol {symbol!r} is not alphanumeric", repr(symbol))
        return self._symbols.get(symbol)

    def parse_frame(self, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
        """One v2 frame -> ``(BookSnapshot,)``, ``(BookDeltas,)``, ``(Trade,)`` or ``()``.

        Raises:
            MalformedFrame: not JSON or not the documented shape. UnsupportedFrame: another message type
            (``candles_*``, ``auction_*``). VenueError: an ``error`` message.
        """
        try:
            value = _GENERIC.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 raises UnicodeDecodeError
            raise MalformedFrame(VENUE, f"not JSON: {exc}", frame) from None
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise MalformedFrame(VENUE, "frame is not an object with a type", frame)
        try:
            kind = value["type"]
            if kind == "l2_updates":
                return (self._l2(value, frame, ts_recv),)
            if kind == "trade":
                return (self._trade(value, frame, ts_recv),)
            if kind in ("heartbeat", "subscription_ack", "subscribed", "unsubscribed"):
                return ()
            if kind == "error":
                raise VenueError(f"gemini: error: {value.get('reason')}: {value.get('message', '')}")
            raise UnsupportedFrame(VENUE, kind)
        except FeedError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise MalformedFrame(VENUE, str(exc) or type(exc).__name__, frame) from None

    def parse_snapshot(self, body: bytes | str | Mapping, symbol: str, ts_recv: int) -> BookSnapshot:
        """Gemini v2 books are snapshotted on the stream (the first ``l2_updates``).

        Raises:
            MalformedFrame: always.
        """
        raise MalformedFrame(VENUE, "Gemini books are snapshotted on the stream, not over REST", b"")

    def _l2(self, value: dict, frame: bytes | str, ts_recv: int) -> BookSnapshot | BookDeltas:
        entry = self._symbol(value["symbol"])
        changes = value["changes"]
        if not isinstance(changes, list):
            raise MalformedFrame(VENUE, "changes is not an array", frame)
        prices, sizes = entry.levels.prices, entry.levels.sizes
        bids, asks = [], []
        for change in changes:
            if not isinstance(change, list) or len(change) != 3:
                raise MalformedFrame(VENUE, f"change {change!r} is not [side, price, quantity]", frame)
            side, price, size = change
            if not isinstance(price, str) or not isinstance(size, str):
                raise MalformedFrame(VENUE, f"change {change!r} has non-string values", frame)
            if side == "buy":
                bids.append((prices[price], sizes[size]))
            elif side == "sell":
                asks.append((prices[price], sizes[size]))
            else:
                raise MalformedFrame(VENUE, f"change side {side!r} is not buy/sell", frame)
        if "trades" in value or "auction_events" in value:  # the initial full book (module docstring)
            bids.sort(key=lambda lv: -lv[0])
            asks.sort()
            return BookSnapshot(entry.instrument_id, ts_recv, tuple(bids), tuple(asks), entry.pd, entry.sd, 0, ts_recv)
        return BookDeltas(entry.instrument_id, ts_recv, ts_recv, -1, tuple(bids), tuple(asks), entry.pd, entry.sd, 0,
                          ts_recv)

    def _trade(self, value: dict, frame: bytes | str, ts_recv: int) -> Trade:
        entry = self._symbol(value["symbol"])
        side, price, size, ts, tid = value["side"], value["price"], value["quantity"], value["timestamp"], value["event_id"]
        if side not in ("buy", "sell") or not isinstance(price, str) or not isinstance(size, str):
            raise MalformedFrame(VENUE, "trade side/price/quantity is not buy|sell and strings", frame)
        if type(ts) is not int or type(tid) is not int:
            raise MalformedFrame(VENUE, "trade timestamp/event_id are not ints", frame)
        return Trade(entry.instrument_id, str(tid), entry.levels.prices[price], entry.levels.sizes[size], side,
                     entry.pd, entry.sd, ts * 1_000_000, ts_recv)  # fmt: skip


# -- the venue seam (actors.feed.venues.base) ------------------------------------------------------------------
GEMINI_POLICY = InOrderStreamPolicy()
"""The first ``l2_updates`` is the book (stream snapshot); no sequence numbers: every update applies in order and
a lost one is undetectable (module docstring)."""


@dataclass(frozen=True)
class GeminiAdapter(ModuleAdapter):
    """The :class:`~actors.feed.venues.base.VenueAdapter` of Gemini market data v2.

    Connections: one ``wss://api.gemini.com/v2/marketdata`` with one ``subscribe`` (``l2`` for every symbol: book
    and trades); Gemini sends ``heartbeat`` every 5 s, so no client ping. Resync of one symbol: ``unsubscribe`` +
    ``subscribe`` its ``l2`` (Gemini sends the full book again).
    """

    venue: Venue = Venue.GEMINI
    ccxt_id: str = "gemini"
    ws_url: str = WS_URL
    rest_url: str = REST_URL
    parser_class = GeminiParser
    sequence_policy = GEMINI_POLICY
    default_spec = staticmethod(default_spec)
    from_ccxt = staticmethod(symbol_from_ccxt)
    to_ccxt = staticmethod(ccxt_symbol)



    def connections(self, symbols: Sequence[str], ws_base: str | None = None,
                    streams: Sequence[str] | None = None) -> list[ConnectionPlan]:  # fmt: skip
        names = tuple(s.upper() for s in symbols)
        url = join_ws(ws_base, WS_PATH) if ws_base else self.ws_url
        return [ConnectionPlan(url, names, (subscribe_frame(names),))]

    def resubscribe_frames(self, symbol: str) -> tuple[str, ...]:
        return unsubscribe_frame([symbol]), subscribe_frame([symbol])


    def snapshot_request(self, symbol: str, limit: int) -> SnapshotRequest:
        raise ConfigError("gemini: books are snapshotted on the stream (the first l2_updates), not over REST")

    def ccxt_api_urls(self, rest_base: str) -> dict[str, str]:
        """ccxt ``urls["api"]`` entries pointing at ``rest_base`` (a replay venue): ccxt ``gemini``'s ``public``/``private`` hosts."""
        return public_private_hosts(rest_base)


    def spec_from_market(self, market: Mapping[str, Any]) -> InstrumentSpec:
        """A spec from a ccxt ``gemini`` market (``precision`` ticks; spot only).

        Raises:
            ConfigError: not a spot market.
        """
        if market.get("type", "spot") != "spot":
            raise ConfigError(f"gemini: market {market.get('symbol')!r} is not spot")
        symbol = str(market["id"]).upper()
        tick, lot = market_decimal(market, "price"), market_decimal(market, "amount")
        spec = default_spec(symbol)
        if tick is None or lot is None:
            return spec
        return replace(spec, base=str(market.get("base", spec.base)), quote=str(market.get("quote", spec.quote)),
                       settle=str(market.get("quote", spec.quote)), price_decimals=max(decimals_of(tick), 8),
                       size_decimals=max(decimals_of(lot), 8), tick_size=tick, lot_size=lot)  # fmt: skip




ADAPTER = GeminiAdapter()
