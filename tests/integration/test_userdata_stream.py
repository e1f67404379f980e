"""UserDataStream against a real websockets server on loopback: listen keys, keep-alive, expiry, drops, overflow.

The server plays Binance's listen-key websocket (``/ws/<listenKey>``, bare JSON events); the listen-key REST calls
are a small in-process account (what a ccxt instance's implicit methods do against the venue).
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import websockets

from actors.execution.userdata import ListenKeyApi, ListenKeyExpired, OrderUpdate, UserDataStream
from actors.feed.backoff import Backoff

DATA = Path(__file__).resolve().parents[1] / "data" / "userdata"
REPORT = json.loads((DATA / "spot_execution_report.json").read_bytes())


def report(n: int) -> str:
    return json.dumps({**REPORT, "c": f"order-{n}", "i": n})


class Keys:
    """Listen keys of one account: POST returns the active key (extended) or a new one, as Binance documents."""

    def __init__(self, fail_keepalive: bool = False) -> None:
        self.active: str | None = None
        self.created = 0
        self.keepalives: list[str] = []
        self.closed: list[str] = []
        self.fail_keepalive = fail_keepalive

    async def create(self) -> str:
        if self.active is None:
            self.created += 1
            self.active = f"key{self.created}"
        return self.active

    async def keepalive(self, key: str) -> None:
        self.keepalives.append(key)
        if self.fail_keepalive or key != self.active:
            self.active = None  # Binance -1125 "This listenKey does not exist."
            raise RuntimeError("-1125 This listenKey does not exist.")

    async def close(self, key: str) -> None:
        self.closed.append(key)

    def expire(self) -> None:
        self.active = None

    def api(self) -> ListenKeyApi:
        return ListenKeyApi(self.create, self.keepalive, self.close)


async def run_stream(handler, until, keys: Keys | None = None, on_events=None, timeout_s: float = 5.0, **options):
    """Serve ``handler(ws, path)``; run a stream until ``until(log)`` is true (or ``timeout_s``); stop it."""
    server = await websockets.serve(lambda ws: handler(ws, ws.request.path), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    keys = keys or Keys()
    log: list = []

    async def events(batch):
        if on_events is not None:
            await on_events(batch)
        log.extend(batch)

    options.setdefault("backoff", Backoff(0.01, 0.05, rng=random.Random(1)))
    stream = UserDataStream(f"ws://127.0.0.1:{port}", keys.api(), events, lambda reason: log.append(reason),
                            **options)  # fmt: skip
    task = asyncio.ensure_future(stream.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not until(log) and loop.time() < deadline:
        await asyncio.sleep(0.01)
    stream.stop()
    await asyncio.wait_for(task, 5)
    server.close()
    return stream, keys, log


def orders(log) -> list[str]:
    return [e.client_order_id for e in log if isinstance(e, OrderUpdate)]


def test_events_arrive_in_order_after_the_connect_hook_and_junk_is_counted_and_skipped():
    paths = []

    async def handler(ws, path):
        paths.append(path)
        for frame in (report(1), "not json", '{"e":"listStatus","E":1}', report(2)):
            await ws.send(frame)
        await asyncio.sleep(10)

    stream, keys, log = asyncio.run(run_stream(handler, lambda log: len(orders(log)) == 2))

    assert log[0] == "connect" and orders(log) == ["order-1", "order-2"]
    assert paths == ["/ws/key1"]
    assert (stream.stats.malformed, stream.stats.unsupported, stream.stats.events) == (1, 1, 2)
    assert keys.closed == ["key1"]  # the key is closed on stop


def test_a_dropped_socket_reconnects_with_backoff_and_calls_the_reconciliation_hook():
    connections = []

    async def handler(ws, path):
        connections.append(path)
        await ws.send(report(len(connections)))
        if len(connections) == 1:
            await ws.close()  # the venue drops us
        await asyncio.sleep(10)

    stream, keys, log = asyncio.run(run_stream(handler, lambda log: len(orders(log)) == 2))

    assert [x for x in log if isinstance(x, str)] == ["connect", "reconnect"]
    assert log.index("reconnect") > log.index(next(e for e in log if isinstance(e, OrderUpdate)))
    assert connections == ["/ws/key1", "/ws/key1"]  # the key is still valid: same key
    assert stream.stats.reconnects == 1 and keys.created == 1


def test_listen_key_expired_gets_a_new_key_and_a_new_connection_at_once():
    connections = []
    keys = Keys()

    async def handler(ws, path):
        connections.append(path)
        if len(connections) == 1:
            keys.expire()
            await ws.send(json.dumps({"e": "listenKeyExpired", "E": "1736996475556", "listenKey": "key1"}))
        else:
            await ws.send(report(7))
        await asyncio.sleep(10)

    stream, keys, log = asyncio.run(run_stream(handler, lambda log: len(orders(log)) == 1, keys=keys))

    assert connections == ["/ws/key1", "/ws/key2"]
    assert [x for x in log if isinstance(x, str)] == ["connect", "listen_key_expired"]
    assert isinstance(log[1], ListenKeyExpired)
    assert stream.stats.key_expiries == 1 and stream.stats.backoff_s == []  # no backoff: not a failure


def test_keepalive_extends_the_key_and_a_failed_keepalive_moves_to_a_new_key():
    connections = []

    async def handler(ws, path):
        connections.append(path)
        await asyncio.sleep(10)

    good, good_keys, _ = asyncio.run(run_stream(handler, lambda log: False, timeout_s=0.35,
                                                keepalive_interval_s=0.1))  # fmt: skip
    connections.clear()
    bad_keys = Keys(fail_keepalive=True)
    bad, bad_keys, log = asyncio.run(run_stream(handler, lambda log: len(connections) >= 2, keys=bad_keys,
                                                keepalive_interval_s=0.1))  # fmt: skip

    assert len(good_keys.keepalives) >= 2 and set(good_keys.keepalives) == {"key1"}
    assert good.stats.keepalives >= 2 and good.stats.reconnects == 0
    assert connections[:2] == ["/ws/key1", "/ws/key2"] and bad.stats.keepalive_failures >= 1
    assert "listen_key_expired" in log


def test_a_full_queue_drops_events_without_blocking_the_reader_and_asks_for_reconciliation():
    async def handler(ws, path):
        for n in range(200):
            await ws.send(report(n))
        await asyncio.sleep(10)

    async def slow(batch):
        await asyncio.sleep(0.05)

    stream, _, log = asyncio.run(run_stream(handler, lambda log: "overflow" in log, on_events=slow, max_queue=5,
                                            max_batch=5))  # fmt: skip

    assert stream.stats.frames == 200 and stream.stats.dropped > 0
    assert "overflow" in log and stream.stats.events == 200
    assert len(orders(log)) == 200 - stream.stats.dropped


def test_a_silent_socket_is_closed_as_stale_when_asked_and_periodic_reconciliation_runs():
    async def handler(ws, path):
        await asyncio.sleep(10)

    stream, _, log = asyncio.run(run_stream(handler, lambda log: "reconnect" in log and "periodic" in log,
                                            stale_after_s=0.2, reconcile_interval_s=0.05))  # fmt: skip

    assert stream.stats.stale_disconnects >= 1 and "reconnect" in log and "periodic" in log


def test_a_refused_handshake_drops_the_key_and_retries_with_backoff():
    attempts = []

    async def process_request(connection, request):
        attempts.append(request.path)
        if len(attempts) == 1:
            return connection.respond(400, "invalid listen key\n")
        return None

    async def scenario():
        keys = Keys()
        server = await websockets.serve(lambda ws: asyncio.sleep(10), "127.0.0.1", 0, process_request=process_request)
        port = server.sockets[0].getsockname()[1]
        log = []
        stream = UserDataStream(f"ws://127.0.0.1:{port}", keys.api(), log.extend, log.append,
                                backoff=Backoff(0.01, 0.05, rng=random.Random(1)))  # fmt: skip
        task = asyncio.ensure_future(stream.run())
        for _ in range(300):
            await asyncio.sleep(0.01)
            if "connect" in log:
                break
        stream.stop()
        await asyncio.wait_for(task, 5)
        server.close()
        return stream, log

    stream, log = asyncio.run(scenario())

    assert len(attempts) == 2 and "connect" in log
    assert stream.stats.handshake_refusals == 1 and len(stream.stats.backoff_s) == 1
