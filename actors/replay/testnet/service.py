"""The testnet mode of one replay venue: exchange, listen keys, faults, and the hooks the engine calls.

Built by :class:`~actors.replay.venue.ReplayVenue` when its config has ``testnet``; the REST server adds
:func:`~actors.replay.testnet.routes.add_routes`, the websocket server hands ``/ws/<listenKey>`` connections to
:meth:`TestnetService.serve_user_stream`, and the pump calls :meth:`TestnetService.on_frame` with each frame it
dispatches (wall clock ``time.time_ns()`` = the send time).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from actors.replay.testnet import errors
from actors.replay.testnet.exchange import TestnetExchange
from actors.replay.testnet.faults import RateLimitFault, TestnetFaults
from actors.replay.testnet.userdata import ListenKeys
from actors.replay.testnet.wire import plain, s8

if TYPE_CHECKING:
    from actors.replay.venue import ReplayVenue

__all__ = ["TestnetService"]


class TestnetService:
    """Testnet mode of ``venue`` (its ``config.testnet`` must be set).

    Raises:
        ConfigError: the venue is not Binance spot or USD-M.
    """

    __test__ = False

    def __init__(self, venue: ReplayVenue) -> None:
        cfg = venue.config.testnet
        assert cfg is not None
        self.venue = venue
        self.config = cfg
        self.secrets = dict(cfg.keys)
        self.event_clock = cfg.event_clock
        # on the event clock the model's book comes from the recording's snapshot records (on_snapshot), as the
        # feed pipeline's does; on the wall clock from the venue's own GET depth answer now
        answer = (lambda symbol, limit: None) if cfg.event_clock else (
            lambda symbol, limit: venue.book.answer(symbol, limit, venue.position_ns() // 1_000_000))
        self.exchange = TestnetExchange(venue.venue, venue.index.symbols, cfg, venue.exchange_info, answer,
                                        time.time_ns() // 1_000_000)  # fmt: skip
        self.listen_keys = ListenKeys(cfg.listen_key_ttl_s, time.time_ns)
        self.exchange.listener = self.listen_keys.push
        self.faults = TestnetFaults()
        self.futures = self.exchange.futures
        self._expiry: asyncio.Task | None = None

    def start(self) -> None:
        """Start the listen-key expiry task (call inside the venue's loop)."""
        if self._expiry is None:
            self._expiry = asyncio.create_task(self._expire_loop(), name="testnet-listen-keys")

    async def stop(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            await asyncio.gather(self._expiry, return_exceptions=True)
            self._expiry = None
        self.listen_keys.drop_all()

    async def _expire_loop(self) -> None:
        period = min(1.0, self.config.listen_key_ttl_s / 4)
        while True:
            await asyncio.sleep(period)
            self.listen_keys.expire(time.time_ns(), self.futures)

    # -- engine hooks -----------------------------------------------------------------------------------------
    def on_frame(self, frame: bytes, ts_recv: int) -> None:
        """A dispatched frame: the model sees it at its recorded ``ts_recv`` (``event_clock``) or now (wall)."""
        self.exchange.on_frame(frame, ts_recv if self.event_clock else time.time_ns())

    def on_snapshot(self, body: bytes, ts_recv: int) -> None:
        """A dispatched REST snapshot record: the model's book source on the event clock (ignored otherwise)."""
        if self.event_clock:
            self.exchange.on_snapshot(body, ts_recv)

    def advance_to(self, ts_ns: int) -> None:
        """Lock-step: move the model clock to ``ts_ns`` (recorder ns) between frames (``event_clock`` only)."""
        if not self.event_clock:
            from actors.errors import ConfigError

            raise ConfigError("testnet: advance_to needs event_clock")
        self.exchange.advance_to(ts_ns)

    def set_faults(self, spec: dict) -> None:
        """Apply a ``POST /testnet/faults`` body (see :mod:`.faults`). Raises ValueError / TypeError / KeyError."""
        unknown = set(spec) - {"rate_limit", "drop_user_streams"}
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}")
        if "rate_limit" in spec:
            self.faults.rate_limit = None if spec["rate_limit"] is None else RateLimitFault.from_json(spec["rate_limit"])
        if spec.get("drop_user_streams"):
            n = self.listen_keys.drop_all()
            self.faults.log.append({"kind": "drop_user_streams", "sockets": n})

    def is_user_stream(self, path: str) -> bool:
        """``/ws/<listenKey>`` of a valid key."""
        return path.startswith("/ws/") and self.listen_keys.valid(path[4:])

    async def serve_user_stream(self, ws, path: str) -> None:
        """Push the account's events to ``ws`` until it closes, the key expires or streams are dropped."""
        from websockets.exceptions import ConnectionClosed

        key = path[4:]
        queue = self.listen_keys.attach(key, ws)
        reader = asyncio.ensure_future(_drain_reads(ws))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    return
                item = getter.result()
                if isinstance(item, tuple):
                    await ws.close(item[1], item[2])
                    return
                await ws.send(item)
        except ConnectionClosed:
            return
        finally:
            self.listen_keys.detach(key, ws)
            reader.cancel()

    def ticker_24hr(self, params: dict[str, str]) -> dict | list[dict]:
        """``GET ticker/24hr``: statistics of the trades replayed so far (the capture is shorter than 24 h)."""
        symbol = params.get("symbol")
        if symbol is not None:
            if symbol.upper() not in self.exchange.specs:
                raise errors.bad_param(-1121, "Invalid symbol.")
            return self._ticker(symbol.upper())
        return [self._ticker(s) for s in self.exchange.specs]

    def _ticker(self, symbol: str) -> dict:
        st = self.exchange.trade_stats.get(symbol)
        fmt = plain if self.futures else s8
        zero = Decimal(0)
        if st is None:
            st = {"open": zero, "high": zero, "low": zero, "last": zero, "last_qty": zero, "volume": zero,
                  "quote": zero, "count": 0, "open_ms": 0, "close_ms": 0}
        change = st["last"] - st["open"]
        pct = (change / st["open"] * 100).quantize(Decimal("0.001")) if st["open"] else zero
        wavg = st["quote"] / st["volume"] if st["volume"] else zero
        out = {"symbol": symbol, "priceChange": fmt(change), "priceChangePercent": f"{pct:f}",
               "weightedAvgPrice": fmt(wavg), "lastPrice": fmt(st["last"]), "lastQty": fmt(st["last_qty"]),
               "openPrice": fmt(st["open"]), "highPrice": fmt(st["high"]), "lowPrice": fmt(st["low"]),
               "volume": fmt(st["volume"]), "quoteVolume": fmt(st["quote"]), "openTime": st["open_ms"],
               "closeTime": st["close_ms"], "firstId": -1 if not st["count"] else 1, "lastId": st["count"] or -1,
               "count": st["count"]}  # fmt: skip
        if not self.futures:
            book = self.exchange.tap.book(symbol)
            spec = self.exchange.specs[symbol]
            bid = book.best_bid() if book is not None else None
            ask = book.best_ask() if book is not None else None
            conv = lambda lv, i, d: s8(Decimal(lv[i]).scaleb(-d)) if lv else s8(zero)  # noqa: E731
            out.update({"prevClosePrice": s8(zero), "bidPrice": conv(bid, 0, spec.price_decimals),
                        "bidQty": conv(bid, 1, spec.size_decimals), "askPrice": conv(ask, 0, spec.price_decimals),
                        "askQty": conv(ask, 1, spec.size_decimals)})  # fmt: skip
        return out


async def _drain_reads(ws) -> None:
    """Read (and ignore) client frames until the connection closes."""
    try:
        async for _ in ws:
            pass
    except Exception:
        return
