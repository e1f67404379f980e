"""Testnet venue accounts: exact spot locks and fills, USD-M positions (TRADING.md "Positions and PnL")."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.errors import ConfigError
from actors.replay.testnet import TestnetConfig, parse_balances
from actors.replay.testnet.accounts import FuturesAccount, Position, SpotAccount
from actors.replay.testnet.exchange import TestnetExchange
from actors.replay.testnet.errors import RestError


def test_position_averages_entries_realizes_on_reduce_and_reopens_at_the_fill_price_on_a_flip():
    p = Position()
    assert p.apply(D("0.010"), D("60000")) == 0
    assert p.apply(D("0.030"), D("61000")) == 0 and p.entry_price == D("60750")  # (0.01*60000+0.03*61000)/0.04
    assert p.apply(D("-0.020"), D("62000")) == D("0.020") * (D("62000") - D("60750"))
    assert p.amount == D("0.020") and p.entry_price == D("60750")
    assert p.apply(D("-0.050"), D("60000")) == D("0.020") * (D("60000") - D("60750"))  # closes 0.02, opens 0.03
    assert p.amount == D("-0.030") and p.entry_price == D("60000")
    assert p.apply(D("0.030"), D("59000")) == D("0.030") * D("1000") and p.amount == 0 and p.entry_price == 0
    assert p.realized_pnl == D("25") - D("15") + D("30")


def test_futures_wallet_takes_fees_and_realized_pnl():
    a = FuturesAccount(wallet=D("10000"), leverage=20)
    a.fill("BTCUSDT", D("0.01"), D("60000"), D("0.3"), 1)
    assert a.wallet == D("9999.7") and a.position_margin() == D("30")
    a.fill("BTCUSDT", D("-0.01"), D("61000"), D("0.122"), 2)
    assert a.wallet == D("9999.7") + D("10") - D("0.122") and a.position_margin() == 0


def test_spot_lock_spend_and_release_are_exact():
    s = SpotAccount.with_balances({"USDT": D("100"), "BTC": D("1")})
    s.lock("USDT", D("50.05"))
    s.spend_locked("USDT", D("25.025"), D("25.0125"))  # paid less than its share of the lock: the rest is free
    assert s.free["USDT"] == D("49.95") + D("0.0125") and s.locked["USDT"] == D("25.025")
    s.unlock("USDT", D("25.025"))
    assert s.free["USDT"] + s.locked["USDT"] == D("100") - D("25.0125")


def test_config_rejects_bad_balances_no_keys_and_a_cancel_latency():
    assert parse_balances("usdt=10.5, BTC=1") == {"USDT": D("10.5"), "BTC": D("1")}
    for bad in ("USDT", "USDT=-1", "USDT=abc", "=5"):
        with pytest.raises(ConfigError):
            parse_balances(bad)
    with pytest.raises(ConfigError):
        TestnetConfig(keys={})
    with pytest.raises(ConfigError):
        TestnetConfig(keys={"k": "s"}, cancel_latency_ms=5)
    assert "s3cret" not in repr(TestnetConfig(keys={"k": "s3cret"}))


def test_spot_order_the_account_cannot_pay_for_is_refused_and_locks_nothing():
    ex = TestnetExchange("binance", {"BTCUSDT"}, TestnetConfig(keys={"k": "s"}), None, lambda s, n: None)
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1",
              "price": "20000"}  # fmt: skip
    with pytest.raises(RestError) as err:
        ex.new_order("k", params, 1)
    assert (err.value.code, err.value.msg) == (-2010, "Account has insufficient balance for requested action.")
    assert ex.orders == {} and ex.spot["k"].locked["USDT"] == 0
    sell = {**params, "side": "SELL", "quantity": "1.5"}
    with pytest.raises(RestError) as err:
        ex.new_order("k", sell, 1)
    assert err.value.code == -2010
    ok = ex.new_order("k", {**params, "quantity": "0.4"}, 1)  # 8,000 + the largest fee, 8 USDT
    assert ok["status"] == "NEW" and ex.spot["k"].locked["USDT"] == D("8008.000")
