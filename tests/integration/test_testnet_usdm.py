"""Testnet mode, USD-M: an unmodified async ccxt ``binanceusdm`` client trades against the replay venue."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import ccxt.async_support as ccxt
import pytest
from websockets.asyncio.client import connect

from tests.conftest import USDM
from tests.integration.testnet_support import venue_session


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return await r.json()


def test_ccxt_binanceusdm_trades_and_the_wallet_moves_by_fees_and_realized_pnl():
    async def main():
        async with venue_session(USDM, 6000, step=300, client="usdm") as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            out = {}
            out["start"] = await ex.fetch_balance()
            listen = (await ex.fapiprivate_post_listenkey())["listenKey"]
            async with connect(f"{urls['ws']}/ws/{listen}") as ws:
                resting = await ex.create_order("BTC/USDT:USDT", "limit", "buy", 0.01, 61000)
                out["fetched"] = await ex.fetch_order(resting["id"], "BTC/USDT:USDT")
                out["open"] = await ex.fetch_open_orders("BTC/USDT:USDT")
                out["canceled"] = await ex.cancel_order(resting["id"], "BTC/USDT:USDT")
                out["long"] = await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
                out["exit"] = await ex.create_order("BTC/USDT:USDT", "limit", "sell", 0.01, 61809.5,
                                                    {"reduceOnly": True})  # fmt: skip
                await venue.step(3000)  # trades go up through 61809.5
                events = []
                async with asyncio.timeout(10):
                    while not any(e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["X"] == "FILLED" and e["o"]["S"] == "SELL"
                                  for e in events):  # fmt: skip
                        events.append(json.loads(await ws.recv()))
                events.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))  # its ACCOUNT_UPDATE
            out["events"] = events
            out["trades"] = await ex.fetch_my_trades("BTC/USDT:USDT")
            out["end"] = await ex.fapiprivatev3_get_account()
            out["positions"] = await ex.fapiprivatev3_get_positionrisk()
            out["fills"] = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            with pytest.raises(ccxt.OrderNotFound):
                await ex.cancel_order(resting["id"], "BTC/USDT:USDT")
            with pytest.raises(ccxt.ExchangeError) as margin:
                await ex.create_order("BTC/USDT:USDT", "limit", "buy", 5, 61000)  # 305k notional / 20 > 10k
        return out, str(margin.value)

    out, margin = asyncio.run(main())
    assert out["start"]["total"]["USDT"] == 10000.0
    assert out["fetched"]["status"] == "open" and len(out["open"]) == 1 and out["canceled"]["status"] == "canceled"
    assert out["long"]["status"] == "closed"
    fills = out["fills"]
    buys, sells = [f for f in fills if f["side"] == "BUY"], [f for f in fills if f["side"] == "SELL"]
    assert sum(Decimal(f["qty"]) for f in buys) == sum(Decimal(f["qty"]) for f in sells) == Decimal("0.01")
    assert all(not f["isMaker"] for f in buys) and all(f["isMaker"] for f in sells)
    fee = lambda f, rate: Decimal(f["price"]) * Decimal(f["qty"]) * Decimal(rate)  # noqa: E731
    assert all(Decimal(f["commission"]) == fee(f, "0.0005") for f in buys)  # USD-M taker 0.05 %
    assert all(Decimal(f["commission"]) == fee(f, "0.0002") for f in sells)  # maker 0.02 %
    entry = sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in buys) / Decimal("0.01")
    pnl = (Decimal("61809.5") - entry) * Decimal("0.01")
    assert sum(Decimal(f["realizedPnl"]) for f in sells) == pnl and all(Decimal(f["price"]) == Decimal("61809.5") for f in sells)
    wallet = Decimal(10000) + pnl - sum(Decimal(f["commission"]) for f in fills)
    assert Decimal(out["end"]["totalWalletBalance"]) == wallet and out["positions"] == []
    assert len(out["trades"]) == len(fills)
    kinds = [(e["e"], e.get("o", {}).get("x")) for e in out["events"]]
    assert ("ORDER_TRADE_UPDATE", "NEW") in kinds and ("ORDER_TRADE_UPDATE", "CANCELED") in kinds
    update = out["events"][-1]
    assert update["e"] == "ACCOUNT_UPDATE" and Decimal(update["a"]["B"][0]["wb"]) == wallet
    assert update["a"]["P"][0]["pa"] == "0"
    assert '"code":-2019' in margin
