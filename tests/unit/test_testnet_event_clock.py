"""The testnet venue on the recording's clock (``TestnetConfig(event_clock=True)``): requests reach the paper model
after the entry / cancel latency and are answered when the model releases the outcome (response latency), as the
paper venue releases its events; the model's book comes from the recording's own snapshot record."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.errors import ConfigError
from actors.replay.source import ReplaySource
from actors.replay.testnet import TestnetConfig
from actors.replay.testnet.errors import RestError
from actors.replay.testnet.exchange import Held, TestnetExchange
from tests.conftest import SPOT

MS = 1_000_000


def _exchange(records: int = 2000) -> tuple[TestnetExchange, list[dict]]:
    """An event-clock venue with paper's default latencies (5 ms each), fed the first ``records`` records."""
    cfg = TestnetConfig(keys={"k": "s"}, entry_latency_ms=5, response_latency_ms=5, cancel_latency_ms=5,
                        event_clock=True)  # fmt: skip
    ex = TestnetExchange("binance", {"BTCUSDT"}, cfg, None, lambda symbol, limit: None)
    pushed: list[dict] = []
    ex.listener = lambda account, event: pushed.append(event)
    for rec in ReplaySource.from_paths([str(p) for p in SPOT], records, "binance").records():
        if rec.kind == "rest":
            ex.on_snapshot(rec.data, rec.ts_recv)
        elif rec.kind == "ws":
            ex.on_frame(rec.data, rec.ts_recv)
    return ex, pushed


def _limit(side: str, price: D, kind: str = "LIMIT_MAKER", qty: str = "0.001") -> dict[str, str]:
    out = {"symbol": "BTCUSDT", "side": side, "type": kind, "quantity": qty, "price": f"{price:.2f}",
           "newOrderRespType": "FULL"}  # fmt: skip
    if kind == "LIMIT":
        out["timeInForce"] = "GTC"
    return out


def _touch(ex: TestnetExchange) -> tuple[D, D]:
    book = ex.tap.book("BTCUSDT")
    return D(book.best_bid()[0]).scaleb(-8), D(book.best_ask()[0]).scaleb(-8)


def test_model_latencies_need_the_event_clock():
    with pytest.raises(ConfigError):
        TestnetConfig(keys={"k": "s"}, entry_latency_ms=5)
    with pytest.raises(ConfigError):
        TestnetConfig(keys={"k": "s"}, response_latency_ms=-1, event_clock=True)
    assert TestnetConfig(keys={"k": "s"}, cancel_latency_ms=5, event_clock=True).cancel_latency_ms == 5


def test_book_comes_from_the_recorded_snapshot_and_the_clock_is_the_recordings():
    ex, _ = _exchange()
    bid, ask = _touch(ex)
    assert D(50000) < bid < ask < D(70000)
    assert 1723161250 * 10**9 < ex.clock_ns < 1723161350 * 10**9  # 2024-08-08 23:54, not the wall clock


def test_an_order_is_answered_after_entry_plus_response_latency_and_a_cancel_after_cancel_plus_response():
    # Arrange
    ex, pushed = _exchange()
    bid, _ = _touch(ex)
    t0 = ex.clock_ns

    # Act / Assert: sent at t0, reaches the model at t0 + 5 ms, its acceptance is released at t0 + 10 ms
    held = ex.new_order("k", _limit("BUY", bid - 100), 0)
    assert isinstance(held, Held) and not held.done and ex.held == 1
    ex.advance_to(t0 + 9 * MS)
    assert not held.done and pushed == []
    ex.advance_to(t0 + 10 * MS)
    body = held.value()
    assert body["status"] == "NEW" and body["transactTime"] == t0 // MS and body["fills"] == []
    assert [e["x"] for e in pushed if e["e"] == "executionReport"] == ["NEW"] and ex.held == 0

    t1 = ex.clock_ns
    cancel = ex.cancel_order("k", {"symbol": "BTCUSDT", "origClientOrderId": body["clientOrderId"]}, 0)
    assert isinstance(cancel, Held) and not cancel.done
    ex.advance_to(t1 + 9 * MS)
    assert not cancel.done
    ex.advance_to(t1 + 10 * MS)
    assert cancel.value()["status"] == "CANCELED" and ex.spot["k"].locked["USDT"] == 0


def test_a_post_only_order_the_market_reaches_is_refused_when_it_arrives_and_leaves_no_trace():
    ex, pushed = _exchange()
    _, ask = _touch(ex)
    t0 = ex.clock_ns
    held = ex.new_order("k", _limit("BUY", ask + 1), 0)
    assert not held.done and ex.spot["k"].locked["USDT"] > 0  # reserved when the request arrives
    ex.advance_to(t0 + 10 * MS)
    with pytest.raises(RestError) as err:
        held.value()
    assert (err.value.code, err.value.msg) == (-2010, "Order would immediately match and take.")
    assert ex.orders == {} and ex.order_log == [] and ex.spot["k"].locked["USDT"] == 0 and pushed == []


def test_a_taking_order_answers_its_fills_and_a_cancel_that_arrives_after_it_closed_is_refused():
    ex, pushed = _exchange()
    _, ask = _touch(ex)
    t0 = ex.clock_ns
    held = ex.new_order("k", _limit("BUY", ask + 5, kind="LIMIT"), 0)
    ex.advance_to(t0 + 10 * MS)
    body = held.value()
    assert body["status"] == "FILLED" and sum(D(f["qty"]) for f in body["fills"]) == D("0.001")
    assert all(f["commissionAsset"] == "USDT" for f in body["fills"])

    # the order is closed at the venue; a cancel still travels to the model and is refused there (-2011)
    cancel = ex.cancel_order("k", {"symbol": "BTCUSDT", "origClientOrderId": body["clientOrderId"]}, 0)
    assert isinstance(cancel, Held) and not cancel.done
    ex.advance_to(ex.clock_ns + 10 * MS)
    with pytest.raises(RestError) as err:
        cancel.value()
    assert err.value.code == -2011
