"""Testnet mode: resting orders fill as the replay trades through them; user-data events; dropped streams; faults."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import ccxt.async_support as ccxt
import pytest
from websockets.asyncio.client import connect

from tests.conftest import SPOT
from tests.integration.testnet_support import KEY, venue_session


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return await r.json()


async def _post(url: str, body: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as r:
        return r.status, await r.json()


async def _events(ws, until: str, timeout_s: float = 10.0) -> list[dict]:
    """Frames from ``ws`` until an ``executionReport`` with execution type ``until``."""
    out = []
    async with asyncio.timeout(timeout_s):
        while True:
            ev = json.loads(await ws.recv())
            out.append(ev)
            if ev.get("e") == "executionReport" and ev["x"] == until:
                return out


def test_resting_order_fills_as_the_replay_trades_through_it_and_the_stream_reports_it():
    async def main():
        async with venue_session(SPOT, 6000, step=300) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            await ex.load_markets()
            key = (await ex.public_post_userdatastream())["listenKey"]
            async with connect(f"{urls['ws']}/ws/{key}") as ws:
                order = await ex.create_order("BTC/USDT", "limit", "sell", 0.01, 61840)  # above the market
                accepted = await _events(ws, "NEW")
                await venue.step(3000)  # the replayed trades go through 61840
                filled = await _events(ws, "TRADE")
                position = json.loads(await asyncio.wait_for(ws.recv(), 5))
            fetched = await ex.fetch_order(order["id"], "BTC/USDT")
            fills = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            balance = await ex.private_get_account()
        return accepted, filled, position, fetched, fills, balance

    accepted, filled, position, fetched, fills, balance = asyncio.run(main())
    assert accepted[-1]["X"] == "NEW" and accepted[-1]["S"] == "SELL" and accepted[-1]["p"] == "61840.00000000"
    report = filled[-1]
    assert fetched["status"] == "closed" and report["X"] == "FILLED" and report["m"] is True
    assert report["l"] == report["z"] == "0.01000000" and report["L"] == "61840.00000000"
    assert report["n"] == "0.61840000" and report["N"] == "USDT" and report["i"] == int(fetched["id"])
    assert set(report) >= {"e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l",
                           "z", "L", "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V"}
    assert [f["tradeId"] for f in fills] == [report["t"]] and fills[0]["isMaker"] is True
    assert position["e"] == "outboundAccountPosition"
    assert {b["a"]: (b["f"], b["l"]) for b in position["B"]} == {
        "BTC": ("0.99000000", "0.00000000"), "USDT": ("10617.78160000", "0.00000000")}
    assert {b["asset"]: b["free"] for b in balance["balances"]} == {"BTC": "0.99000000", "USDT": "10617.78160000"}


def test_fill_while_the_user_stream_is_dropped_is_only_visible_over_rest():
    async def main():
        async with venue_session(SPOT, 6000, step=3300) as s:  # the market is up at ~61855
            venue, urls, ex = s.venue, s.urls, s.ex
            await ex.load_markets()
            key = (await ex.public_post_userdatastream())["listenKey"]
            ws = await connect(f"{urls['ws']}/ws/{key}")
            order = await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 61830)
            await _events(ws, "NEW")
            status, _ = await _post(urls["rest"] + "/testnet/faults", {"drop_user_streams": True})
            await asyncio.wait_for(ws.wait_closed(), 5)
            await venue.step(1500)  # trades go down through 61830 while no stream is connected
            ws2 = await connect(f"{urls['ws']}/ws/{key}")  # the key is still valid: nothing is replayed to it
            late = []
            try:
                late.append(await asyncio.wait_for(ws2.recv(), 0.5))
            except TimeoutError:
                pass
            await ws2.close()
            trades = await ex.fetch_my_trades("BTC/USDT")
            fetched = await ex.fetch_order(order["id"], "BTC/USDT")
            fills = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            faults = await _get(urls["rest"] + "/testnet/faults")
        return status, ws.close_code, late, trades, fetched, fills, faults

    status, code, late, trades, fetched, fills, faults = asyncio.run(main())
    assert status == 200 and code == 1001 and late == []
    assert fetched["status"] == "closed" and len(fills) == 1 and fills[0]["price"] == "61830.00000000"
    assert [t["id"] for t in trades] == [str(fills[0]["tradeId"])]
    assert faults["log"] == [{"kind": "drop_user_streams", "sockets": 1}]


def test_rate_limit_fault_answers_429_with_retry_after_and_creates_no_order():
    async def main():
        async with venue_session(SPOT, 500, step=300) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            await ex.load_markets()
            await _post(urls["rest"] + "/testnet/faults", {"rate_limit": {"count": 2, "status": 429, "retry_after_s": 3,
                                                                          "paths": ["/api/v3/order"]}})  # fmt: skip
            async with aiohttp.ClientSession() as session:
                async with session.post(urls["rest"] + "/api/v3/order?symbol=BTCUSDT&newClientOrderId=abc") as r:
                    raw = (r.status, r.headers.get("Retry-After"), await r.json())
            with pytest.raises(ccxt.DDoSProtection):
                await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "mine-1"})
            after = await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "mine-1"})
            orders = await _get(urls["rest"] + "/testnet/orders")
            faults = await _get(urls["rest"] + "/testnet/faults")
        return raw, after, orders, faults

    raw, after, orders, faults = asyncio.run(main())
    assert raw[0] == 429 and raw[1] == "3" and raw[2]["code"] == -1003
    assert [o["clientOrderId"] for o in orders["orders"]] == ["mine-1"] and after["clientOrderId"] == "mine-1"
    assert [(f["path"], f["status"], f["order_created"]) for f in faults["log"]] == [("/api/v3/order", 429, False)] * 2
    assert faults["log"][0]["newClientOrderId"] == "abc" and all(f["account"] in (None, KEY) for f in faults["log"])
    assert "signature" not in json.dumps(faults)


def test_listen_key_expires_without_keep_alive():
    async def main():
        async with venue_session(SPOT, 300, listen_key_ttl_s=0.6) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            key = (await ex.public_post_userdatastream())["listenKey"]
            async with connect(f"{urls['ws']}/ws/{key}") as ws:
                await asyncio.sleep(0.3)
                await ex.public_put_userdatastream({"listenKey": key})  # keep-alive: 0.6 s more
                expired = json.loads(await asyncio.wait_for(ws.recv(), 5))
                await asyncio.wait_for(ws.wait_closed(), 5)
            with pytest.raises(ccxt.BaseError) as gone:
                await ex.public_put_userdatastream({"listenKey": key})
        return key, expired, str(gone.value)

    key, expired, gone = asyncio.run(main())
    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key and isinstance(expired["E"], int)
    assert '"code":-1125' in gone


def test_stop_loss_triggers_when_the_replayed_trades_reach_its_stop_and_fills_as_market():
    async def main():
        async with venue_session(SPOT, 6000, step=3300) as s:  # the market is up at ~61855
            venue, urls, ex = s.venue, s.urls, s.ex
            await ex.load_markets()
            with pytest.raises(ccxt.InvalidOrder) as now:  # a sell stop at or above the last trade: -2010
                await ex.private_post_order({"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS",
                                             "quantity": "0.01", "stopPrice": "61900"})  # fmt: skip
            stop = await ex.private_post_order({"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS",
                                                "quantity": "0.01", "stopPrice": "61830"})  # fmt: skip
            before = await ex.private_get_order({"symbol": "BTCUSDT", "orderId": stop["orderId"]})
            await venue.step(1500)  # trades go down through 61830
            after = await ex.private_get_order({"symbol": "BTCUSDT", "orderId": stop["orderId"]})
            fills = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
        return str(now.value), before, after, fills

    now, before, after, fills = asyncio.run(main())
    assert now.endswith("Stop price would trigger immediately.")  # ccxt maps Binance's exact message
    assert before["status"] == "NEW" and before["stopPrice"] == "61830.00000000"
    assert before["isWorking"] is False  # off the book until triggered (Binance "isWorking"; executionReport "w")
    assert after["status"] == "FILLED" and after["executedQty"] == "0.01000000" and after["isWorking"] is True
    assert fills and all(not f["isMaker"] and abs(Decimal(f["price"]) - 61830) <= 10 for f in fills), fills  # the bid then (depth@100ms lags the trades)
