"""Live execution (``LiveTransport`` over ``BinanceClient``, real ccxt signing) against the testnet-mode replay
venue on loopback, in-process: orders through the one lifecycle, exact fills and balances, a refused secret at
start-up, the kill switch at the venue, rate limits backed off with no order sent twice, fills missed by the
stream found by reconciliation and never counted twice. The venue's own logs (``/testnet/fills``,
``/testnet/orders``) are the ground truth."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from decimal import Decimal

import pytest
from pydantic import SecretStr

from actors.errors import AuthenticationError
from actors.execution.budget import Limiter, WeightBudget
from actors.execution.live import LiveTransport
from actors.execution.live_client import BinanceClient, LocalBudget
from actors.fixedpoint import to_fixed
from actors.instruments import spec_for
from actors.orders import IntentAction, OrderEventKind, OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from tests.conftest import SPOT
from tests.integration.testnet_support import KEY, SECRET, venue_session

BTC = spec_for("binance", "BTCUSDT")


def _get_sync(url: str) -> dict:
    with urllib.request.urlopen(url) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


def _post_sync(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


async def _get(url: str) -> dict:  # the venue serves on this event loop: ask from a thread
    return await asyncio.to_thread(_get_sync, url)


async def _post(url: str, body: dict) -> dict:
    return await asyncio.to_thread(_post_sync, url, body)


def _intent(coid: str, side: Side, size: str, price: Decimal | None = None, **kw) -> OrderIntent:
    return OrderIntent(IntentAction.SUBMIT, "mm-1", coid, BTC.instrument_id, BTC.price_decimals, BTC.size_decimals,
                       side=side, size=to_fixed(size, 8), price=None if price is None else to_fixed(str(price), 8),
                       order_type=OrderType.LIMIT if price is not None else OrderType.MARKET, **kw)  # fmt: skip


async def _send(t: LiveTransport, intent: OrderIntent) -> list:
    """Submit (sent in the background, as in a run) and wait for the venue's answer."""
    assert await t.submit(intent, 0) == []
    return await t.settle()


def _transport(rest: str, secret: str = SECRET, budget=None, **kw) -> LiveTransport:
    client = BinanceClient("binance", SecretStr(KEY), SecretStr(secret), rest, budget=budget, backoff_s=0.05)
    return LiveTransport("testnet", "binance", {BTC.instrument_id: BTC}, client, **kw)


def _touch(venue) -> tuple[Decimal, Decimal]:
    book = venue.testnet.exchange.tap.book("BTCUSDT")
    return Decimal(book.best_bid()[0]).scaleb(-8), Decimal(book.best_ask()[0]).scaleb(-8)


def test_orders_fills_balances_and_the_kill_switch_at_the_venue():
    async def main():
        async with venue_session(SPOT, 3000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            t = _transport(urls["rest"], poll_interval_s=0.05)
            out: dict = {}
            try:
                out["start"] = await t.start()
                bid, ask = _touch(venue)
                out["rest1"] = await _send(t, _intent("mm-1-1", Side.BUY, "0.01", bid - 1000))
                out["rest2"] = await _send(t, _intent("mm-1-2", Side.BUY, "0.01", bid - 1001, time_in_force=TimeInForce.GTX))
                out["take"] = await _send(t, _intent("mm-1-3", Side.BUY, "0.002", ask + 5))
                out["market"] = await _send(t, _intent("mm-1-4", Side.SELL, "0.003"))
                out["too_big"] = await _send(t, _intent("mm-1-5", Side.BUY, "1", bid - 1000))
                out["bad_tick"] = await _send(t, _intent("mm-1-6", Side.BUY, "0.01", Decimal("50000.005")))
                out["cancel"] = await _send(t, OrderIntent(IntentAction.CANCEL, "mm-1", "mm-1-1", BTC.instrument_id, 8, 8))
                # a cancel sent before its order's answer waits for it (one request chain per client order id)
                assert await t.submit(_intent("mm-1-7", Side.BUY, "0.01", bid - 1002), 0) == []
                assert await t.submit(OrderIntent(IntentAction.CANCEL, "mm-1", "mm-1-7", BTC.instrument_id, 8, 8), 0) == []
                out["chained"] = await t.settle()
                assert await t.submit(_intent("mm-1-8", Side.BUY, "0.01", bid - 1003), 0) == []  # in flight at the kill
                out["kill"] = await t.cancel_all(0)
                out["venue_orders"] = (await _get(urls["rest"] + "/testnet/orders"))["orders"]
                out["venue_fills"] = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
                out["open_orders"] = await t.client.open_orders("BTCUSDT")
                out["balances"] = await t.balances(refresh=True)
                out["account"] = t.account()
            finally:
                await t.stop()
        return out, bid, ask

    out, bid, ask = asyncio.run(main())
    assert out["start"]["mode"] == "testnet" and out["start"]["can_trade"] is True and out["start"]["latency_ms"] > 0
    assert [e.kind for e in out["rest1"]] == [OrderEventKind.ACCEPTED] and out["rest1"][0].order.venue_order_id
    assert [e.kind for e in out["rest2"]] == [OrderEventKind.ACCEPTED]
    take = [e.kind for e in out["take"]]
    assert take[0] is OrderEventKind.ACCEPTED and take[-1] is OrderEventKind.FILLED
    assert out["market"][-1].order.status is OrderStatus.FILLED
    assert out["too_big"][0].kind is OrderEventKind.REJECTED and out["too_big"][0].reason.startswith("insufficient_funds")
    assert out["bad_tick"][0].kind is OrderEventKind.REJECTED and "-1013" in out["bad_tick"][0].reason
    assert [e.kind for e in out["cancel"]] == [OrderEventKind.CANCELED]
    # the kill switch canceled what was open at the venue (mm-1-2)
    assert [(e.order.client_order_id, e.kind) for e in out["chained"]] == [
        ("mm-1-7", OrderEventKind.ACCEPTED), ("mm-1-7", OrderEventKind.CANCELED)]
    assert sorted(e.order.client_order_id for e in out["kill"] if e.kind is OrderEventKind.CANCELED) == ["mm-1-2", "mm-1-8"]
    assert out["open_orders"] == []
    assert not [o for o in out["venue_orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")]
    # every venue fill is ours exactly once, at the venue's price, size and fee
    fills = [e.fill for key in ("take", "market") for e in out[key] if e.fill is not None]
    assert sorted((f.price, f.size, f.fee) for f in fills) == sorted(
        (to_fixed(v["price"], 8), to_fixed(v["qty"], 8), Decimal(v["commission"])) for v in out["venue_fills"])
    usdt = Decimal(10000) + sum((-1 if v["side"] == "BUY" else 1) * Decimal(v["price"]) * Decimal(v["qty"])
                                - Decimal(v["commission"]) for v in out["venue_fills"])  # fmt: skip
    assert out["balances"]["USDT"] == (usdt, Decimal(0))
    assert out["balances"]["BTC"] == (Decimal("0.999"), Decimal(0))
    assert out["account"]["balances"]["BTC"]["free"] == "0.99900000"
    assert KEY not in json.dumps(out["account"]) and SECRET not in json.dumps(out["account"])


def test_wrong_secret_is_one_authentication_error_at_start_and_no_order():
    async def main():
        async with venue_session(SPOT, 1000, client=None) as s:
            venue, urls = s.venue, s.urls
            t = _transport(urls["rest"], secret="x" * 64)
            try:
                with pytest.raises(AuthenticationError) as info:
                    await t.start()
                orders = (await _get(urls["rest"] + "/testnet/orders"))["orders"]
            finally:
                await t.stop()
        return info.value, orders, t.client.stats()

    err, orders, stats = asyncio.run(main())
    assert "-1022" in str(err) and SECRET not in str(err)
    assert orders == [] and stats["retried"] == 0  # never retried


def test_rate_limit_backs_off_every_client_of_the_key_and_sends_no_order_twice():
    async def main():
        async with venue_session(SPOT, 3000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            budget = LocalBudget(WeightBudget([Limiter("REQUEST_WEIGHT", 60, 6000)], headroom=1.0))
            a, b = _transport(urls["rest"], budget=budget), _transport(urls["rest"], budget=budget)
            try:
                await a.start()
                await b.start()
                bid, _ = _touch(venue)
                await _post(urls["rest"] + "/testnet/faults",
                      {"rate_limit": {"count": 2, "status": 429, "retry_after_s": 1, "paths": ["/api/v3/order"],
                                      "methods": ["POST"]}})  # fmt: skip
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                first = await _send(a, _intent("a-1", Side.BUY, "0.01", bid - 1000))
                waited = loop.time() - t0
                blocked = budget.budget.status(budget.clock())
                t1 = loop.time()
                second = await _send(b, _intent("b-1", Side.BUY, "0.01", bid - 1001))
                faults = await _get(urls["rest"] + "/testnet/faults")
                orders = (await _get(urls["rest"] + "/testnet/orders"))["orders"]
            finally:
                await a.stop()
                await b.stop()
        return first, second, waited, loop.time() - t1, blocked, faults, orders, a.client.stats()

    first, second, waited, _, blocked, faults, orders, stats = asyncio.run(main())
    assert first[0].kind is OrderEventKind.ACCEPTED and second[0].kind is OrderEventKind.ACCEPTED
    assert waited >= 2.0  # two 429s with Retry-After 1 s each
    assert blocked["penalties"] == 2 and stats["rate_limited"] == 2
    refused = [f for f in faults["log"] if f["kind"] == "rate_limit"]
    assert len(refused) == 2 and all(f["order_created"] is False for f in refused)
    assert sorted(o["clientOrderId"] for o in orders) == ["a-1", "b-1"]  # each created once


def test_fills_missed_by_the_stream_are_reconciled_once():
    async def main():
        async with venue_session(SPOT, 20000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            t = _transport(urls["rest"], poll_interval_s=3600, reconcile_interval_s=3600)
            try:
                await t.start()
                bid, ask = _touch(venue)
                # resting orders just inside the touch: the replayed market trades through some of them
                for n in range(3):
                    await _send(t, _intent(f"r-{n}", Side.BUY, "0.001", bid - n))
                    await _send(t, _intent(f"s-{n}", Side.SELL, "0.001", ask + n))
                await venue.step(15000)
                first = await t.reconcile(force=True, reason="reconnect")
                events = t.advance(0)
                second = await t.reconcile(force=True, reason="reconnect")
                again = t.advance(0)
                venue_fills = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            finally:
                await t.stop()
        return first, events, second, again, venue_fills, t.counts

    first, events, second, again, venue_fills, counts = asyncio.run(main())
    ours = [e.fill for e in events if e.fill is not None]
    assert venue_fills, "the replay should trade through at least one order"
    # no user-data stream here: every fill came from REST reconciliation (the loop's or the forced pass)
    assert len(ours) == len(venue_fills) == counts["reconciled_fills"], first
    assert sorted((f.client_order_id, f.size) for f in ours) == sorted(
        (v["clientOrderId"], to_fixed(v["qty"], 8)) for v in venue_fills)
    assert second["fills"] == 0 and [e for e in again if e.fill is not None] == []


def test_user_data_stream_dropped_mid_run_is_reconciled_and_nothing_counted_twice():
    async def main():
        async with venue_session(SPOT, 30000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            t = _transport(urls["rest"], poll_interval_s=3600, reconcile_interval_s=3600, ws_url=urls["ws"])
            events = []
            try:
                await t.start()
                for _ in range(200):
                    if t.stream.stats.connected:
                        break
                    await asyncio.sleep(0.05)
                bid, ask = _touch(venue)
                for n in range(4):
                    await _send(t, _intent(f"r-{n}", Side.BUY, "0.001", bid - 2 * n))
                    await _send(t, _intent(f"s-{n}", Side.SELL, "0.001", ask + 2 * n))
                await venue.step(3000)
                await asyncio.sleep(0.5)
                events += t.advance(0)
                streamed = t.counts.get("stream_events", 0)
                venue.testnet.set_faults({"drop_user_streams": True})  # fills from here on reach no socket
                await venue.step(20000)
                for _ in range(200):  # the stream reconnects by itself and reconciles on the new connection
                    await asyncio.sleep(0.05)
                    if t.counts.get("stream_reconnects", 0) >= 2 and t.last_reconciliation.get("reason") == "user_data_reconnect":
                        break
                events += t.advance(0)
                venue_fills = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            finally:
                await t.stop()
        return events, streamed, venue_fills, dict(t.counts), t.last_reconciliation

    events, streamed, venue_fills, counts, last = asyncio.run(main())
    ours = [e.fill for e in events if e.fill is not None]
    assert streamed > 0, "the stream delivered events before the drop"
    assert last["reason"] == "user_data_reconnect", (last, counts)
    assert venue_fills and len(ours) == len(venue_fills), (len(ours), len(venue_fills), counts)
    mine = sorted((f.client_order_id, f.price, f.size, f.fee) for f in ours)
    truth = sorted((v["clientOrderId"], to_fixed(v["price"], 8), to_fixed(v["qty"], 8), Decimal(v["commission"]))
                   for v in venue_fills)  # fmt: skip
    assert [m[:3] for m in mine] == [t[:3] for t in truth]  # every venue fill exactly once, streamed or reconciled
    # the stream's commission ("n") has Binance's 8 decimals; the venue's fill log keeps the unrounded fee
    assert all(abs(m[3] - t[3]) < Decimal("1e-8") for m, t in zip(mine, truth))
    assert len({f.fill_id for f in ours}) == len(ours)
    assert counts["reconciled_fills"] > 0, counts  # some fills happened while no socket was connected


def test_one_budget_actor_per_key_backs_off_every_client_in_the_cluster(ray_session, monkeypatch):
    """Two execution transports built as two execution actors build them (``transports_from_settings`` with Ray
    up) share the key's named BudgetActor: a 429 with Retry-After to one delays the other's next request."""
    import ray

    from actors.execution.budget import budget_actor_name
    from actors.execution.live import transports_from_settings

    monkeypatch.setenv("RT_TESTNET_KEY", KEY)
    monkeypatch.setenv("RT_TESTNET_SECRET", SECRET)

    async def main():
        async with venue_session(SPOT, 3000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            settings = {"testnet": {"rest_urls": {"binance": urls["rest"]}, "api_key_env": "RT_TESTNET_KEY",
                                    "api_secret_env": "RT_TESTNET_SECRET", "prefix": "rt-budget-test-"}}  # fmt: skip
            specs = {BTC.instrument_id: BTC}
            a = transports_from_settings(settings, {"testnet"}, specs)[("testnet", "binance")]
            b = transports_from_settings(settings, {"testnet"}, specs)[("testnet", "binance")]
            try:
                await a.start()
                await b.start()
                bid, _ = _touch(venue)
                await _post(urls["rest"] + "/testnet/faults",
                            {"rate_limit": {"count": 1, "status": 429, "retry_after_s": 2, "paths": ["/api/v3/order"],
                                            "methods": ["POST"]}})  # fmt: skip
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                first = asyncio.ensure_future(_send(a, _intent("a-1", Side.BUY, "0.01", bid - 1000)))
                while a.client.rate_limited == 0:
                    await asyncio.sleep(0.01)
                t_429 = loop.time()
                second = await _send(b, _intent("b-1", Side.BUY, "0.01", bid - 1001))  # never faulted itself
                t_b = loop.time()
                first = await first
                orders = (await _get(urls["rest"] + "/testnet/orders"))["orders"]
                status = await a.client.budget.handle.status.remote()
            finally:
                await a.stop()
                await b.stop()
        return first, second, t_429 - t0, t_b - t_429, orders, status, b.client.stats()

    first, second, _, b_wait, orders, status, b_stats = asyncio.run(main())
    try:
        assert first[0].kind is OrderEventKind.ACCEPTED and second[0].kind is OrderEventKind.ACCEPTED
        assert b_wait >= 1.5, b_wait  # b waited out a's Retry-After (2 s) without ever being refused itself
        assert b_stats["rate_limited"] == 0 and status["penalties"] == 1
        assert sorted(o["clientOrderId"] for o in orders) == ["a-1", "b-1"]
    finally:
        ray.kill(ray.get_actor(budget_actor_name(KEY, "rt-budget-test-"), namespace="raytrade"))


def test_usdm_orders_fills_and_cancel_all_through_the_same_transport():
    from tests.conftest import USDM as USDM_CAPTURE

    perp = spec_for("binance_usdm", "BTCUSDT")

    def intent(coid: str, side: Side, size: str, price: Decimal | None = None) -> OrderIntent:
        return OrderIntent(IntentAction.SUBMIT, "mm-1", coid, perp.instrument_id, perp.price_decimals,
                           perp.size_decimals, side=side, size=to_fixed(size, perp.size_decimals),
                           price=None if price is None else to_fixed(str(price), perp.price_decimals),
                           order_type=OrderType.LIMIT if price is not None else OrderType.MARKET)  # fmt: skip

    async def main():
        async with venue_session(USDM_CAPTURE, 3000, step=300, client=None) as s:
            venue, urls = s.venue, s.urls
            client = BinanceClient("binance_usdm", SecretStr(KEY), SecretStr(SECRET), urls["rest"], backoff_s=0.05)
            t = LiveTransport("testnet", "binance_usdm", {perp.instrument_id: perp}, client, poll_interval_s=0.05)
            out = {}
            try:
                out["start"] = await t.start()
                book = venue.testnet.exchange.tap.book("BTCUSDT")
                bid = Decimal(book.best_bid()[0]).scaleb(-perp.price_decimals)
                out["rest"] = await _send(t, intent("u-1", Side.BUY, "0.002", bid - 500))
                out["market"] = await _send(t, intent("u-2", Side.BUY, "0.002"))
                for _ in range(200):  # USD-M answers carry no fills: reconciliation finds them in the trades
                    if any(e.kind is OrderEventKind.FILLED for e in out["market"]):
                        break
                    await asyncio.sleep(0.05)
                    out["market"] += t.advance(0)
                out["kill"] = await t.cancel_all(0)
                out["open"] = await client.open_orders("BTCUSDT")
                out["fills"] = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            finally:
                await t.stop()
        return out

    out = asyncio.run(main())
    assert out["start"]["venue"] == "binance_usdm"
    assert [e.kind for e in out["rest"]] == [OrderEventKind.ACCEPTED]
    fills = [e.fill for e in out["market"] if e.fill is not None]
    assert sum(f.size for f in fills) == to_fixed("0.002", perp.size_decimals) == sum(
        to_fixed(v["qty"], perp.size_decimals) for v in out["fills"])
    assert [e.order.client_order_id for e in out["kill"] if e.kind is OrderEventKind.CANCELED] == ["u-1"]
    assert out["open"] == []
