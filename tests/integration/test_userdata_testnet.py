"""The user-data client against the testnet-mode replay venue, spot and USD-M: a real listen key, real
``executionReport`` / ``ORDER_TRADE_UPDATE`` frames pushed by the venue as its paper model fills our orders, a dropped
stream (the venue's ``drop_user_streams`` fault), and reconciliation over signed REST (an unmodified ccxt client) that
finds the fills the stream missed. Ground truth: the venue's own fill log (``GET /testnet/fills``): every venue fill
counted exactly once."""

from __future__ import annotations

import asyncio
import json
import random
import urllib.request
from decimal import Decimal

import pytest

from actors.execution.userdata import (
    AccountUpdate,
    BalanceSnapshot,
    OrderTracker,
    OrderUpdate,
    UserDataStream,
    VenueView,
    apply_report,
    ccxt_listen_key_api,
    parse_balances,
    parse_order,
    parse_orders,
    parse_trades,
    reconcile,
)
from actors.feed.backoff import Backoff
from actors.instruments import spec_for
from actors.orders import IntentAction, OrderIntent, OrderState, OrderStatus, OrderType, Side
from tests.conftest import SPOT, USDM

pytest.importorskip("actors.replay.testnet", reason="the testnet-mode replay venue (issue 14 part 3) is absent")
from tests.integration.testnet_support import spot_client, venue_session, usdm_client  # noqa: E402


async def _spot_view(ex, last_trade_id: int) -> tuple:
    return (await ex.private_get_openorders({"symbol": "BTCUSDT"}),
            await ex.private_get_mytrades({"symbol": "BTCUSDT", "fromId": last_trade_id + 1}),
            await ex.private_get_account())  # fmt: skip


async def _usdm_view(ex, last_trade_id: int) -> tuple:
    return (await ex.fapiprivate_get_openorders({"symbol": "BTCUSDT"}),
            await ex.fapiprivate_get_usertrades({"symbol": "BTCUSDT", "fromId": last_trade_id + 1}),
            await ex.fapiprivatev3_get_balance())  # fmt: skip


async def _spot_query(ex, coid: str):
    return await ex.private_get_order({"symbol": "BTCUSDT", "origClientOrderId": coid})


async def _usdm_query(ex, coid: str):
    return await ex.fapiprivate_get_order({"symbol": "BTCUSDT", "origClientOrderId": coid})


MARKETS = {
    "binance": (SPOT, spot_client, _spot_view, _spot_query),
    "binance_usdm": (USDM, usdm_client, _usdm_view, _usdm_query),
}


def _get(url: str) -> dict:
    with urllib.request.urlopen(url) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


class _Slowest(random.Random):
    def uniform(self, a: float, b: float) -> float:  # the longest delay the backoff allows: a known window
        return b


@pytest.mark.parametrize("market", sorted(MARKETS))
def test_fills_missed_while_the_stream_was_down_are_found_by_reconciliation_and_counted_once(market):
    paths, client, rest_view, rest_query = MARKETS[market]
    spec = spec_for(market, "BTCUSDT")
    size = 2 * 10 ** (spec.size_decimals - 3)  # 0.002 BTC

    async def main():
        async with venue_session(paths, 3000, step=300, client=client) as s:
            venue, urls, ex = s.venue, s.urls, s.ex
            tracker = OrderTracker()
            log: list = []
            reports: list = []

            async def reconcile_now(reason: str) -> None:
                log.append(reason)
                open_orders, trades, balances = await rest_view(ex, tracker.last_trade_id.get("BTCUSDT", -1))
                view = VenueView(parse_orders(open_orders, market), parse_trades(trades, market),
                                 parse_balances(balances, market))  # fmt: skip
                report = reconcile(tracker.view(), view)
                if report.to_query:
                    queried = tuple([parse_order(await rest_query(ex, c), market) for c in report.to_query])
                    report = reconcile(tracker.view(), VenueView(view.open_orders, view.trades, view.balances, queried))
                apply_report(tracker, report)
                reports.append((reason, report))

            def on_events(batch) -> None:
                for e in batch:
                    log.append(e)
                    tracker.apply_event(e)

            stream = UserDataStream(urls["ws"], ccxt_listen_key_api(ex, market), on_events, reconcile_now, venue=market,
                                    backoff=Backoff(0.5, 0.5, rng=_Slowest()))  # fmt: skip
            task = asyncio.ensure_future(stream.run())

            async def until(cond, timeout_s: float = 10.0) -> None:
                for _ in range(int(timeout_s / 0.02)):
                    if cond():
                        return
                    await asyncio.sleep(0.02)
                raise AssertionError(f"timed out; log tail: {log[-5:]}")

            async def buy(coid: str) -> None:
                depth = ex.public_get_depth if market == "binance" else ex.fapipublic_get_depth
                ask = Decimal((await depth({"symbol": "BTCUSDT", "limit": 5}))["asks"][0][0])
                pd = spec.price_decimals
                intent = OrderIntent(IntentAction.SUBMIT, "s1", coid, spec.instrument_id, pd, spec.size_decimals, Side.BUY,
                                     OrderType.LIMIT, size, int((ask + 5) * 10**pd))  # fmt: skip
                tracker.track(OrderState(intent, "USDT", "", 0))
                post = ex.private_post_order if market == "binance" else ex.fapiprivate_post_order
                await post({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002",
                            "price": f"{ask + 5:.{pd}f}", "newClientOrderId": coid})  # fmt: skip

            try:
                if market == "binance":
                    await ex.load_markets()
                await until(lambda: "connect" in log)
                await until(lambda: len(reports) == 1)
                await buy("ud-1")  # taker: fills at once, pushed on the stream
                await until(lambda: tracker.orders["ud-1"].status is OrderStatus.FILLED)
                await until(lambda: isinstance(log[-1], (BalanceSnapshot, AccountUpdate)))  # the fill's balance event
                stream.request_reconcile("check")  # the stream alone kept orders, fills and balances right
                await until(lambda: len(reports) == 2)
                stream_fills_1 = set(tracker.fill_ids)
                venue.testnet.set_faults({"drop_user_streams": True})
                await until(lambda: not stream.stats.connected, 5)
                await buy("ud-2")  # fills while no socket is connected: only REST knows
                await until(lambda: "reconnect" in log)
                await until(lambda: len(reports) == 3)
                venue_fills = (await asyncio.to_thread(_get, urls["rest"] + "/testnet/fills"))["fills"]
            finally:
                stream.stop()
                await asyncio.wait_for(task, 10)
        return tracker, log, reports, stream_fills_1, venue_fills, stream

    tracker, log, reports, stream_fills_1, venue_fills, stream = asyncio.run(main())

    truth = {f"BTCUSDT:{f['tradeId']}" for f in venue_fills}
    assert len(truth) == len(venue_fills) > 0
    assert tracker.fill_ids == truth  # every venue fill counted, none twice
    assert tracker.orders["ud-1"].status is OrderStatus.FILLED and tracker.orders["ud-2"].status is OrderStatus.FILLED
    streamed = {e.fill.fill_id for e in log if isinstance(e, OrderUpdate) and e.fill is not None}
    missed = truth - stream_fills_1
    assert reports[1][0] == "check" and reports[1][1].is_empty
    reason, report = reports[2]
    assert stream_fills_1 and stream_fills_1 <= streamed  # ud-1's fills came on the stream
    assert reason == "reconnect" and missed and not (missed & streamed)  # ud-2's fills never came on the stream
    assert {u.fill.fill_id for u in report.fills} == missed
    assert sum(Decimal(f["qty"]) for f in venue_fills) == Decimal("0.004")
    assert sum(s.filled for s in tracker.orders.values()) == 2 * size
    assert {d.asset for d in report.balance_diffs} == ({"BTC", "USDT"} if market == "binance" else {"USDT"})
    assert stream.stats.malformed == stream.stats.unsupported == 0
