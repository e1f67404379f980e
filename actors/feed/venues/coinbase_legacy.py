"""The legacy Coinbase Pro / Exchange feed (``wss://ws-feed.exchange.coinbase.com``, formerly ``ws-feed.pro``).

Source: Coinbase Exchange "WebSocket Channels": ``level2`` (``snapshot`` with ``bids``/``asks`` ``[price, size]``,
then ``l2update`` with ``changes`` ``[side buy/sell, price, new size]``: the size is absolute, ``"0"`` removes the
level), ``matches`` (``match`` / ``last_match``: "the side field indicates the maker order side"), ``ticker``
(``side`` is the taker's), ``heartbeat``, ``subscriptions``, ``error``.

A frame, as recorded (``cryptofeed/v1/COINBASE.ws.28.0``)::

    {"type":"l2update","product_id":"SKL-BTC","changes":[["sell","0.00001306","660.5"]],
     "time":"2021-04-17T16:43:37.075687Z"}

**Gaps are undetectable on this ``level2`` channel**: neither ``snapshot`` nor ``l2update`` carries a sequence
number, so a lost update leaves a wrong book that nothing flags except a crossed book. (``match`` and ``ticker``
carry the product's full-channel ``sequence``, which does not count level2 messages.) Book events carry their
receive time ``ts_recv`` as ``sequence`` (arrival order); the Coinbase policy applies every diff received after the
snapshot, in order.

Emits: ``BookSnapshot`` / ``BookDeltas`` (``ts_event``: the ``time`` of an ``l2update``, 0 for a snapshot),
``Trade`` (aggressor = the side opposite the maker's), ``Quote`` from ``ticker`` (``best_bid``/``best_ask``;
the legacy ticker sends no sizes: 0, and ``sequence`` -1); ``()`` for ``subscriptions``/``heartbeat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from actors.errors import MalformedFrame, UnsupportedFrame
from actors.feed.venues.wiretime import iso8601_ns
from actors.messages import BookDeltas, BookSnapshot, MarketEvent, Quote, Trade

if TYPE_CHECKING:
    from actors.feed.venues.coinbase import CoinbaseParser

__all__ = ["translate"]

VENUE = "coinbase"


def translate(parser: CoinbaseParser, value: dict, frame: bytes | str, ts_recv: int) -> Sequence[MarketEvent]:
    """One decoded legacy message -> events (see the module docstring).

    Raises:
        MalformedFrame: not the documented shape. UnsupportedFrame: a type not translated (``received``, ...).
    """
    kind = value.get("type")
    if kind == "l2update":
        product = parser.product(value["product_id"])
        prices, sizes = product.levels.prices, product.levels.sizes
        bids, asks = [], []
        for change in value["changes"]:
            if not isinstance(change, list) or len(change) != 3:
                raise MalformedFrame(VENUE, f"change {change!r} is not [side, price, size]", frame)
            side, price, size = change
            if not isinstance(price, str) or not isinstance(size, str):
                raise MalformedFrame(VENUE, f"change {change!r} has non-string values", frame)
            if side == "buy":
                bids.append((prices[price], sizes[size]))
            elif side == "sell":
                asks.append((prices[price], sizes[size]))
            else:
                raise MalformedFrame(VENUE, f"change side {side!r} is not buy/sell", frame)
        ts = iso8601_ns(value["time"], VENUE) if value.get("time") else 0
        return (BookDeltas(product.instrument_id, ts_recv, ts_recv, -1, tuple(bids), tuple(asks), product.pd, product.sd, ts,
                           ts_recv),)  # fmt: skip
    if kind == "snapshot":
        product = parser.product(value["product_id"])
        bids = sorted(product.levels(_pairs(value["bids"], frame)), key=lambda lv: -lv[0])
        asks = sorted(product.levels(_pairs(value["asks"], frame)))
        return (BookSnapshot(product.instrument_id, ts_recv, tuple(bids), tuple(asks), product.pd, product.sd, 0,
                             ts_recv),)  # fmt: skip
    if kind in ("match", "last_match"):
        product = parser.product(value["product_id"])
        maker = value["side"]
        price, size = value["price"], value["size"]
        if maker not in ("buy", "sell") or not isinstance(price, str) or not isinstance(size, str):
            raise MalformedFrame(VENUE, "match side/price/size is not buy|sell and strings", frame)
        return (Trade(product.instrument_id, str(int(value["trade_id"])), product.levels.prices[price],
                      product.levels.sizes[size], "sell" if maker == "buy" else "buy", product.pd, product.sd,
                      iso8601_ns(value["time"], VENUE), ts_recv),)  # fmt: skip
    if kind == "ticker":
        product = parser.product(value["product_id"])
        bid, ask = value["best_bid"], value["best_ask"]
        if not isinstance(bid, str) or not isinstance(ask, str):
            raise MalformedFrame(VENUE, "ticker best_bid/best_ask are not strings", frame)
        prices, sizes = product.levels.prices, product.levels.sizes
        bid_size, ask_size = value.get("best_bid_size"), value.get("best_ask_size")
        ts = iso8601_ns(value["time"], VENUE) if value.get("time") else 0
        return (Quote(product.instrument_id, -1, prices[bid], sizes[bid_size] if isinstance(bid_size, str) else 0,
                      prices[ask], sizes[ask_size] if isinstance(ask_size, str) else 0, product.pd, product.sd, ts,
                      ts_recv),)  # fmt: skip
    if kind in ("subscriptions", "heartbeat"):
        return ()
    if isinstance(kind, str):
        raise UnsupportedFrame(VENUE, kind)
    raise MalformedFrame(VENUE, "frame has neither channel nor type", frame)


def _pairs(levels: object, frame: bytes | str) -> list:
    if not isinstance(levels, list) or not all(isinstance(lv, list) and len(lv) == 2 for lv in levels):
        raise MalformedFrame(VENUE, "snapshot side is not a list of [price, size]", frame)
    return levels
