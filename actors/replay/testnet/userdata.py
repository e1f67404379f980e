"""User-data streams of the testnet-mode venue: listen keys and the sockets that push account events.

Source: Binance Spot "User Data Streams" (``POST/PUT/DELETE /api/v3/userDataStream``, API key only, a listen key
is valid for 60 minutes after its creation or last keep-alive; ``wss://.../ws/<listenKey>``); USD-M "Start / Keepalive
/ Close User Data Stream" (``/fapi/v1/listenKey``; ``POST`` returns the account's existing key when it has a
valid one; an expired key gets a ``listenKeyExpired`` event and its sockets are closed).

Events are pushed only to sockets connected when they happen: nothing is queued for a key without a socket
(reconnecting clients reconcile over REST, as against Binance).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable

from actors.replay.testnet import errors

__all__ = ["ListenKeys"]

_LISTEN_KEY_CHARS = 64


class ListenKeys:
    """Listen keys per account and the sockets subscribed to them.

    Args:
        ttl_s: lifetime after creation / keep-alive (Binance: 3600 s).
        clock: wall clock in ns (``time.time_ns``; tests pass a fake).
    """

    def __init__(self, ttl_s: float, clock: Callable[[], int]) -> None:
        self.ttl_ns = int(ttl_s * 1e9)
        self.clock = clock
        self.keys: dict[str, tuple[str, int]] = {}  # listen key -> (account, expiry ns)
        self.sockets: dict[str, dict] = {}  # listen key -> {connection: its queue}
        self.pushed = self.dropped = 0

    def create(self, account: str, now_ns: int) -> str:
        """A new listen key (or the account's valid one, as both spot and USD-M do), valid for ``ttl``."""
        for key, (acct, expiry) in self.keys.items():
            if acct == account and expiry > now_ns:
                self.keys[key] = (acct, now_ns + self.ttl_ns)
                return key
        key = secrets.token_urlsafe(48)[:_LISTEN_KEY_CHARS]
        self.keys[key] = (account, now_ns + self.ttl_ns)
        return key

    def _owned(self, account: str, params: dict[str, str], futures: bool) -> str:
        key = params.get("listenKey")
        if futures and not key:  # USD-M keep-alive / close take no listenKey: the account's key
            key = next((k for k, (a, _) in self.keys.items() if a == account), None)
        if not key:
            raise errors.mandatory("listenKey")
        owner = self.keys.get(key)
        if owner is None or owner[0] != account or owner[1] <= self.clock():
            raise errors.bad_param(-1125, "This listenKey does not exist.")
        return key

    def keep_alive(self, account: str, params: dict[str, str], now_ns: int, futures: bool) -> dict:
        key = self._owned(account, params, futures)
        self.keys[key] = (account, now_ns + self.ttl_ns)
        return {"listenKey": key} if futures else {}

    def delete(self, account: str, params: dict[str, str], futures: bool) -> dict:
        key = self._owned(account, params, futures)
        del self.keys[key]
        for queue in self.sockets.pop(key, {}).values():
            queue.put_nowait((None, 1000, "listen key closed"))
        return {}

    def valid(self, key: str) -> bool:
        owner = self.keys.get(key)
        return owner is not None and owner[1] > self.clock()

    def attach(self, key: str, ws: object) -> asyncio.Queue:
        """Register a socket of ``key``; returns its queue of frames (``str``) and closes (``(None, code, why)``)."""
        queue: asyncio.Queue = asyncio.Queue()
        self.sockets.setdefault(key, {})[ws] = queue
        return queue

    def detach(self, key: str, ws: object) -> None:
        self.sockets.get(key, {}).pop(ws, None)

    def push(self, account: str, event: dict) -> None:
        """Send ``event`` to every socket of the account's valid keys (none connected: it is not kept)."""
        frame = json.dumps(event, separators=(",", ":"))
        sent = False
        for key, (acct, _) in self.keys.items():
            if acct != account:
                continue
            for queue in self.sockets.get(key, {}).values():
                queue.put_nowait(frame)
                sent = True
        if sent:
            self.pushed += 1
        else:
            self.dropped += 1

    def expire(self, now_ns: int, futures: bool) -> None:
        """Drop keys past their expiry; their sockets get ``listenKeyExpired`` and are closed."""
        for key, (acct, expiry) in list(self.keys.items()):
            if expiry > now_ns:
                continue
            del self.keys[key]
            event = {"e": "listenKeyExpired", "E": now_ns // 1_000_000, "listenKey": key}
            for queue in self.sockets.pop(key, {}).values():
                queue.put_nowait(json.dumps(event, separators=(",", ":")))
                queue.put_nowait((None, 1000, "listenKeyExpired"))

    def drop_all(self) -> int:
        """Close every user-data socket (the keys stay valid); returns how many were closed."""
        n = 0
        for socks in self.sockets.values():
            for queue in socks.values():
                queue.put_nowait((None, 1001, "testnet: user streams dropped"))
                n += 1
            socks.clear()
        return n
