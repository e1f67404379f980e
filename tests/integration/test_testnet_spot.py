"""Testnet mode, spot: an unmodified async ccxt ``binance`` client signs real requests against the replay venue."""

from __future__ import annotations

import asyncio

import aiohttp
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from tests.conftest import SPOT
from tests.integration.testnet_support import KEY, SECRET, venue_session


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return await r.json()


async def _raw_balances(ex) -> dict[str, tuple[Decimal, Decimal]]:
    acct = await ex.private_get_account()
    return {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in acct["balances"]}


def test_ccxt_trades_spot_and_balances_move_exactly_by_the_fills_and_fees():
    async def main():
        async with venue_session(SPOT, 3000, step=300) as s:  # the book is ready
            venue, urls, ex = s.venue, s.urls, s.ex
            out = {}
            await ex.load_markets()
            out["start"] = await ex.fetch_balance()
            book = venue.testnet.exchange.tap.book("BTCUSDT")
            bid, ask = Decimal(book.best_bid()[0]).scaleb(-8), Decimal(book.best_ask()[0]).scaleb(-8)
            resting = await ex.create_order("BTC/USDT", "limit", "buy", 0.01, float(bid - 1000))
            out["locked"] = await _raw_balances(ex)
            out["fetched"] = await ex.fetch_order(resting["id"], "BTC/USDT")
            out["open"] = await ex.fetch_open_orders("BTC/USDT")
            out["canceled"] = await ex.cancel_order(resting["id"], "BTC/USDT")
            out["after_cancel"] = await _raw_balances(ex)
            out["taker"] = await ex.create_order("BTC/USDT", "limit", "buy", 0.002, float(ask + 5))
            out["market"] = await ex.create_order("BTC/USDT", "market", "sell", 0.003)
            out["trades"] = await ex.fetch_my_trades("BTC/USDT")
            out["end"] = await _raw_balances(ex)
            out["fills"] = (await _get(urls["rest"] + "/testnet/fills"))["fills"]
            with pytest.raises(ccxt.OrderNotFound):
                await ex.cancel_order(resting["id"], "BTC/USDT")  # already canceled: -2011
            with pytest.raises(ccxt.OrderNotFound):
                await ex.fetch_order("999", "BTC/USDT")  # -2013
            with pytest.raises(ccxt.InsufficientFunds):
                await ex.create_order("BTC/USDT", "limit", "buy", 1, float(bid - 1000))  # ~60k USDT > 10k
            with pytest.raises(ccxt.InvalidOrder):
                await ex.private_post_order({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
                                             "price": "50000.005", "timeInForce": "GTC"})  # PRICE_FILTER
        return out, bid, ask

    out, bid, ask = asyncio.run(main())
    assert out["start"]["total"] == {"BTC": 1.0, "USDT": 10000.0}
    assert out["fetched"]["status"] == "open" and [o["id"] for o in out["open"]] == [out["fetched"]["id"]]
    # a resting buy locks price * qty plus the largest fee it could pay; canceling releases it all
    assert out["locked"]["USDT"] == (Decimal(10000) - (bid - 1000) * Decimal("0.01") * Decimal("1.001"),
                                     (bid - 1000) * Decimal("0.01") * Decimal("1.001"))
    assert out["canceled"]["status"] == "canceled" and out["after_cancel"]["USDT"] == (Decimal(10000), Decimal(0))
    assert out["taker"]["status"] == "closed" and out["market"]["status"] == "closed"
    fills = out["fills"]
    assert [f["side"] for f in fills] == ["BUY"] * (len(fills) - len([f for f in fills if f["side"] == "SELL"])) + \
        ["SELL"] * len([f for f in fills if f["side"] == "SELL"])
    assert all(not f["isMaker"] and f["account"] == KEY and f["commissionAsset"] == "USDT" for f in fills)
    assert sum(Decimal(f["qty"]) for f in fills if f["side"] == "BUY") == Decimal("0.002")
    assert sum(Decimal(f["qty"]) for f in fills if f["side"] == "SELL") == Decimal("0.003")
    assert len(out["trades"]) == len(fills)
    usdt = Decimal(10000)
    for f in fills:
        notional = Decimal(f["price"]) * Decimal(f["qty"])
        assert Decimal(f["commission"]) == notional * Decimal("0.001")  # spot base tier, the paper model's fee
        usdt += (-notional if f["side"] == "BUY" else notional) - Decimal(f["commission"])
    assert out["end"]["USDT"] == (usdt, Decimal(0))
    assert out["end"]["BTC"] == (Decimal(1) + Decimal("0.002") - Decimal("0.003"), Decimal(0))
    assert Decimal(fills[0]["price"]) >= ask  # the marketable limit took the ask side


def test_wrong_secret_is_refused_with_1022_and_creates_no_order():
    async def main():
        async with venue_session(SPOT, 500, step=300, secret=SECRET[::-1]) as s:
            ex = s.ex
            await ex.load_markets()
            with pytest.raises(ccxt.AuthenticationError) as err:
                await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
            with pytest.raises(ccxt.AuthenticationError) as bad_key:
                ex.apiKey = "nobody"
                await ex.fetch_balance()
            orders = await _get(s.urls["rest"] + "/testnet/orders")
        return str(err.value), str(bad_key.value), orders

    err, bad_key, orders = asyncio.run(main())
    assert '"code":-1022' in err and '"code":-2015' in bad_key
    assert orders["orders"] == [] and orders["requests"] == []


def test_stale_timestamp_is_refused_with_1021():
    async def main():
        async with venue_session(SPOT, 500) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            ex.options["recvWindow"] = 5000
            await ex.load_markets()
            ex.nonce = lambda: ex.milliseconds() - 6000  # six seconds old, the window is five
            with pytest.raises(ccxt.InvalidNonce) as stale:
                await ex.fetch_balance()
            ex.nonce = lambda: ex.milliseconds() + 1500  # more than 1 s ahead of the server
            with pytest.raises(ccxt.InvalidNonce):
                await ex.fetch_balance()
            ex.nonce = lambda: ex.milliseconds() - 4000  # inside the window
            ok = await ex.fetch_balance()
        return str(stale.value), ok

    stale, ok = asyncio.run(main())
    assert '"code":-1021' in stale and ok["total"]["USDT"] == 10000.0


def test_reported_fees_and_balances_add_up_exactly_when_a_fee_has_more_than_8_decimals():
    async def main():
        async with venue_session(SPOT, 500, step=300) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            await ex.load_markets()
            order = await ex.private_post_order({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                 "quantity": "0.00011", "newOrderRespType": "FULL"})  # fmt: skip
            trades = await ex.private_get_mytrades({"symbol": "BTCUSDT"})
            balances = await _raw_balances(ex)
        return order, trades, balances

    order, trades, balances = asyncio.run(main())
    spent = sum(Decimal(t["quoteQty"]) + Decimal(t["commission"]) for t in trades)
    assert any(len(t["commission"].split(".")[1]) > 8 for t in trades)  # 0.001 * price * 0.00011
    assert [f["commission"] for f in order["fills"]] == [t["commission"] for t in trades]
    assert balances["USDT"] == (Decimal(10000) - spent, Decimal(0))
    assert balances["BTC"] == (Decimal("1.00011"), Decimal(0))


def test_ticker_24hr_summarizes_the_trades_replayed_so_far():
    async def main():
        async with venue_session(SPOT, 2000, step=1500) as s:
            ex = s.ex
            await ex.load_markets()
            ticker = await ex.public_get_ticker_24hr({"symbol": "BTCUSDT"})
            unified = await ex.fetch_ticker("BTC/USDT")
            stats = s.venue.testnet.exchange.trade_stats["BTCUSDT"]
        return ticker, unified, stats

    ticker, unified, stats = asyncio.run(main())
    assert ticker["count"] == stats["count"] > 0
    assert Decimal(ticker["lastPrice"]) == stats["last"] and Decimal(ticker["highPrice"]) == stats["high"]
    assert Decimal(ticker["volume"]) == stats["volume"] and Decimal(ticker["bidPrice"]) < Decimal(ticker["askPrice"])
    assert unified["last"] == float(stats["last"])
