"""Money uses the instrument specs loaded from the venue's instrument endpoint (Bybit ``instruments-info``, OKX
``public/instruments``), never the venue's wide parsing default: the recorded instrument answers give tick, lot and
min notional; an instrument without one is a typed error (or left out, so its orders are rejected) in the API's
order endpoint, the strategy context, the risk gate, paper execution and the user-data parsers."""

from __future__ import annotations

import asyncio
import json
import pickle
from decimal import Decimal

import pytest
from fastapi import HTTPException

from actors.errors import ConfigError, MissingInstrumentSpec
from actors.execution.actor import ExecutionActor
from actors.execution.paper import PaperConfig, PaperVenue
from actors.execution.userdata.parse import symbol_spec
from actors.feed.venues.bybit import specs_from_instruments
from actors.instruments import Venue, has_spec_loader, spec_for, specs_by_id, trading_spec, trading_specs
from actors.orders import IntentAction, OrderIntent, OrderType, Side, TimeInForce
from actors.risk.actor import RiskActor
from actors.strategy.actor import StrategyActor
from serve import trading
from serve.schemas import OrderCreate
from tests.unit.test_trading_actors import Clock, FakePeer

LINEAR = "BTCUSDT.BYBIT_LINEAR"


def _recorded_specs(shared_data, category: str) -> list:
    for line in (shared_data / "cryptofeed" / "v3" / "BYBIT.jsonl").open():
        if '"t":"http"' in line[:20]:
            rec = json.loads(line)
            if f"category={category}" in rec["url"]:
                venue = Venue.BYBIT_LINEAR if category == "linear" else Venue.BYBIT
                return specs_from_instruments(venue, rec["data"])
    raise AssertionError(f"no recorded {category} instruments-info")


@pytest.fixture
def linear_specs(shared_data):
    return {s.instrument_id: s for s in _recorded_specs(shared_data, "linear")}


def test_recorded_instruments_give_tick_lot_and_min_notional(shared_data, linear_specs):
    spot = {s.symbol: s for s in _recorded_specs(shared_data, "spot")}
    btc = trading_spec(LINEAR, linear_specs)
    assert (btc.tick_size, btc.lot_size, btc.min_notional) == (Decimal("0.10"), Decimal("0.001"), Decimal("5"))
    assert spot["BTCUSDT"].min_notional == Decimal("5")  # spot lotSizeFilter.minOrderAmt (quote coin)
    # the parsing default would have rounded to 1e-10 and known no minimum
    assert spec_for(Venue.BYBIT_LINEAR, "BTCUSDT").tick_size == Decimal("1E-10")


def test_an_instrument_of_a_spec_loading_venue_without_a_loaded_spec_is_a_typed_error(linear_specs):
    assert has_spec_loader("bybit") and has_spec_loader("okx") and not has_spec_loader("binance")
    with pytest.raises(MissingInstrumentSpec) as info:
        trading_spec("NOSUCHUSDT.BYBIT_LINEAR", linear_specs)
    assert info.value.instrument_id == "NOSUCHUSDT.BYBIT_LINEAR" and isinstance(info.value, ConfigError)
    assert pickle.loads(pickle.dumps(info.value)).instrument_id == "NOSUCHUSDT.BYBIT_LINEAR"  # crosses actors
    with pytest.raises(MissingInstrumentSpec):
        trading_spec("BTC-USDT.OKX", {})
    assert trading_spec("BTCUSDT.BINANCE", {}).tick_size == Decimal("0.01")  # no endpoint: the built-in table
    # market data still parses such an instrument (the exact wide default); money leaves it out
    assert specs_by_id(["ETHUSDT.BYBIT_LINEAR"])["ETHUSDT.BYBIT_LINEAR"].price_decimals == 10
    assert list(trading_specs([LINEAR, "NOSUCHUSDT.BYBIT_LINEAR"], linear_specs.values())) == [LINEAR]


def _limit(cid: str, price: str, size: str, spec, strategy: str = "mm", decimals: tuple[int, int] | None = None):
    pd, sd = decimals or (spec.price_decimals, spec.size_decimals)
    return OrderIntent(IntentAction.SUBMIT, strategy, cid, spec.instrument_id, pd, sd, Side.BUY, OrderType.LIMIT,
                       int(Decimal(size).scaleb(sd)), int(Decimal(price).scaleb(pd)), time_in_force=TimeInForce.GTC,
                       ts_created=1)  # fmt: skip


def test_paper_checks_orders_at_the_loaded_decimals_and_min_notional(linear_specs):
    spec = linear_specs[LINEAR]
    venue = PaperVenue({LINEAR: spec}, PaperConfig())
    wide = _limit("wide", "65000.05", "0.001", spec, decimals=(10, 10))  # what the wide default allowed
    dust = _limit("dust", "4000.0", "0.001", spec)  # 4 USDT < minNotionalValue 5
    ok = _limit("ok", "60000.0", "0.001", spec)  # 60 USDT
    assert [e.reason for e in venue.submit(wide, 1)] == ["decimals_mismatch"]
    assert [e.reason for e in venue.submit(dust, 2)] == ["min_notional"]
    assert venue.submit(ok, 3) == []  # accepted after the entry latency


def test_execution_and_risk_hold_no_wide_default_and_reject_such_an_instrument(linear_specs):
    async def scenario():
        peers = {"risk": FakePeer(), "execution": FakePeer({"submit": lambda intents: []}), "sup": FakePeer()}
        ids = [LINEAR, "ETHUSDT.BYBIT_LINEAR"]  # ETHUSDT: not loaded (say the endpoint did not list it)
        loaded = (linear_specs[LINEAR],)
        execution = ExecutionActor("exec", ids, {}, risk_name="risk", lookup=peers.__getitem__, clock=Clock(),
                                   specs=loaded)  # fmt: skip
        risk = RiskActor("risk", ids, {}, {"mm": {"allocated_capital": "10000", "actor": None}},
                         execution_name="execution", supervisor_name="sup", lookup=peers.__getitem__,
                         clock=Clock(), specs=loaded)  # fmt: skip
        assert list(execution.specs) == [LINEAR] and list(risk.specs) == [LINEAR]
        eth = specs_by_id(["ETHUSDT.BYBIT_LINEAR"])["ETHUSDT.BYBIT_LINEAR"]  # an intent at the parsing default
        (result,) = await risk.submit([_limit("eth-1", "3000", "0.01", eth)])
        assert (result["approved"], result["reason"]) == (False, "instrument_unknown")
        assert [e.reason for e in execution.paper.venue.submit(_limit("eth-2", "3000", "0.01", eth), 1)] == [
            "unknown_instrument"]

    asyncio.run(scenario())


def test_a_strategy_on_an_instrument_without_a_loaded_spec_does_not_start(linear_specs):
    with pytest.raises(MissingInstrumentSpec):
        StrategyActor("s", "mm", "market_making", ["ETHUSDT.BYBIT_LINEAR"], lookup={}.__getitem__)
    actor = StrategyActor("s", "mm", "market_making", [LINEAR], lookup={}.__getitem__,
                          specs=(linear_specs[LINEAR],))  # fmt: skip
    assert actor.ctx.specs[LINEAR].tick_size == Decimal("0.10")


class _ApiServer:
    """The part of :class:`serve.app.ApiServer` ``create_order`` uses: its loaded specs and the risk gate's handle."""

    def __init__(self, specs) -> None:
        self.specs = {s.instrument_id: s for s in specs}
        self.risk = FakePeer({"submit": lambda intents: [{"approved": True, "intent": intents[0]}]})

    def role(self, role: str):
        assert role == "risk"
        return self.risk

    async def _call(self, ref, role: str):
        return await ref


def test_the_api_prices_a_manual_order_at_the_loaded_spec_and_refuses_one_without(linear_specs):
    server = _ApiServer([linear_specs[LINEAR]])
    body = OrderCreate(strategy_id="manual", instrument_id=LINEAR, side="buy", order_type="limit", size="0.001",
                       price="65000.1")  # fmt: skip
    result = asyncio.run(trading.create_order(server, body))
    intent = result["intent"]
    assert (intent.price_decimals, intent.size_decimals, intent.price, intent.size) == (1, 3, 650001, 1)
    with pytest.raises(HTTPException) as info:  # not exact at the loaded tick's decimals
        asyncio.run(trading.create_order(server, body.model_copy(update={"price": "65000.05"})))
    assert info.value.status_code == 422 and "price" in info.value.detail
    with pytest.raises(HTTPException) as info:
        asyncio.run(trading.create_order(server, body.model_copy(update={"instrument_id": "ETHUSDT.BYBIT_LINEAR"})))
    assert info.value.status_code == 422 and "no instrument spec loaded" in info.value.detail
    assert [n for n, _ in server.risk.calls] == ["submit"]  # only the priced order reached the risk gate


def test_user_data_symbols_resolve_through_the_same_rule():
    assert symbol_spec(Venue.BINANCE, {}, "BTCUSDT").tick_size == Decimal("0.01")
    with pytest.raises(MissingInstrumentSpec):
        symbol_spec(Venue.BYBIT, {}, "BTCUSDT")
