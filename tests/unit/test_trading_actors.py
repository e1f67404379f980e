"""The risk gate and execution actors built directly with fake collaborators (no Ray): what reaches execution,
what is written ahead, what fails closed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from actors.execution.actor import ExecutionActor
from actors.messages import BookSnapshot, BookView, EventBatch
from actors.orders import IntentAction, OrderEventKind, OrderIntent, OrderType, Side, TimeInForce
from actors.risk.actor import RiskActor

SPOT = "BTCUSDT.BINANCE"
BID, ASK = 6183763000000, 6183764000000


class _Method:
    def __init__(self, peer: FakePeer, name: str) -> None:
        self.peer, self.name = peer, name

    def remote(self, *args):
        self.peer.calls.append((self.name, args))
        return asyncio.ensure_future(self.peer.answer(self.name, args))  # like an ObjectRef: awaitable, or not


class FakePeer:
    """An actor handle whose calls are recorded; ``fail`` makes them raise (a dead or failing actor)."""

    def __init__(self, answers: dict | None = None) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.answers = answers or {}
        self.fail: Exception | None = None

    def __getattr__(self, item):
        if item.startswith("_"):
            raise AttributeError(item)
        return _Method(self, item)

    async def answer(self, name, args):
        if self.fail is not None:
            raise self.fail
        value = self.answers.get(name)
        return value(*args) if callable(value) else value

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]


def _intent(cid: str, side: Side = Side.BUY, price: int = BID, size: int = 100_000, strategy: str = "mm",
            tif: TimeInForce = TimeInForce.GTX, order_type: OrderType = OrderType.LIMIT) -> OrderIntent:  # fmt: skip
    return OrderIntent(IntentAction.SUBMIT, strategy, cid, SPOT, 8, 8, side, order_type, size, price,
                       time_in_force=tif, ts_created=1)  # fmt: skip


class Clock:
    def __init__(self, now: int = 1_723_161_300_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def _snapshot_batch(ts: int) -> EventBatch:
    snap = BookSnapshot(SPOT, 10, ((BID, 378826000),), ((ASK, 154698000),), 8, 8, 0, ts)
    return EventBatch("f", (snap,), ts)


def _execution(recorder: FakePeer | None, risk: FakePeer, clock: Clock) -> ExecutionActor:
    peers = {"risk": risk, "recorder": recorder}
    return ExecutionActor("exec", [SPOT], {"entry_latency_ms": 1.0, "response_latency_ms": 0.0}, risk_name="risk",
                          lookup=peers.__getitem__, clock=clock, recorder_name="recorder" if recorder else None)  # fmt: skip


def test_execution_writes_each_event_ahead_before_the_risk_gate_sees_it():
    async def scenario():
        clock, risk, recorder = Clock(), FakePeer(), FakePeer()
        ex = _execution(recorder, risk, clock)
        await ex.on_market(_snapshot_batch(clock.now))
        await ex.submit([_intent("mm-1")])
        clock.now += 2_000_000  # past the entry latency
        await ex._emit(ex.venue.advance(clock.now))
        await asyncio.sleep(0)
        written = [args for name, args in recorder.calls if name == "write_now"]
        pushed = [args[0] for name, args in risk.calls if name == "on_execution_events"]
        assert written and written[0][0] == "orders"
        kinds = [ev.kind for batch in pushed for _, ev in batch]
        assert OrderEventKind.ACCEPTED in kinds
        stored = {ev.order.client_order_id + ev.kind for table, rows in written if table == "orders" for ev in rows}
        assert all(ev.order.client_order_id + ev.kind in stored for batch in pushed for _, ev in batch)
        ex._timer.cancel()

    asyncio.run(scenario())


def test_execution_holds_events_while_the_recorder_is_down_and_halts_on_a_full_spool():
    async def scenario():
        clock, risk, recorder = Clock(), FakePeer(), FakePeer()
        ex = _execution(recorder, risk, clock)
        await ex.on_market(_snapshot_batch(clock.now))
        recorder.fail = ConnectionError("recorder died")
        await ex.submit([_intent("mm-1", size=123)])  # not a lot multiple: rejected at once
        await asyncio.sleep(0)
        assert not [c for c in risk.calls if c[0] == "on_execution_events"]  # nothing acknowledged unstored
        assert ex.status()["unpersisted_events"] >= 1
        recorder.fail = None
        assert await ex.flush_records() == 0
        await asyncio.sleep(0)
        assert [c for c in risk.calls if c[0] == "on_execution_events"]
        recorder.fail = RuntimeError("SpoolFull: spool /x is full (4096 bytes)")
        await ex.submit([_intent("mm-2", size=7)])
        await asyncio.sleep(0)
        assert ex.recorder_failed and "SpoolFull" in ex.recorder_failed
        assert ("kill", ("recorder_failed", "execution")) in risk.calls
        ex._timer.cancel()

    asyncio.run(scenario())


def _view(ts_event: int, ts_recv: int) -> BookView:
    return BookView(SPOT, True, 10, ((BID, 378826000),), ((ASK, 154698000),), 8, 8, ts_event, ts_recv, ts_recv)


def _risk(execution: FakePeer, recorder: FakePeer | None, clock: Clock, **limits) -> RiskActor:
    peers = {"execution": execution, "recorder": recorder, "sup": FakePeer()}
    return RiskActor("risk", [SPOT], {"max_orders_per_s": 100, **limits},
                     {"mm": {"allocated_capital": "10000", "actor": None}}, execution_name="execution",
                     supervisor_name="sup", lookup=peers.__getitem__, clock=clock,
                     recorder_name="recorder" if recorder else None)  # fmt: skip


def test_risk_gate_sends_only_approved_intents_after_their_decisions_are_stored():
    async def scenario():
        clock, execution, recorder = Clock(), FakePeer({"submit": lambda intents: []}), FakePeer()
        risk = _risk(execution, recorder, clock)
        await risk.on_views([_view(1_723_161_300_000_000_000, clock.now)])
        fat_finger = _intent("mm-2", price=BID * 2)  # far outside the price band
        results = await risk.submit([_intent("mm-1"), fat_finger])
        assert [r["approved"] for r in results] == [True, False] and results[1]["reason"] == "price_band"
        order = [name for name, _ in recorder.calls + execution.calls]
        assert order.index("write_now") < order.index("submit")
        (sent,) = [args[0] for name, args in execution.calls if name == "submit"]
        assert [i.client_order_id for i in sent] == ["mm-1"]
        stored = [args for name, args in recorder.calls if name == "write_now" and args[0] == "risk_events"]
        decided = {e.client_order_id for _, events in stored for e in events if e.kind in ("approve", "reject")}
        assert decided == {"mm-1", "mm-2"}

    asyncio.run(scenario())


def test_risk_gate_fails_closed_when_the_recorder_or_execution_is_down():
    async def scenario():
        clock, execution, recorder = Clock(), FakePeer({"submit": lambda intents: []}), FakePeer()
        risk = _risk(execution, recorder, clock)
        await risk.on_views([_view(1_723_161_300_000_000_000, clock.now)])
        recorder.fail = ConnectionError("down")
        (result,) = await risk.submit([_intent("mm-1")])
        assert (result["approved"], result["reason"]) == (False, "recorder_unavailable")
        assert "submit" not in execution.names()
        recorder.fail, execution.fail = None, ConnectionError("execution died")
        (result,) = await risk.submit([_intent("mm-2")])
        assert (result["approved"], result["reason"]) == (False, "execution_unavailable")
        assert risk.status()["unpersisted_events"] == 0  # the earlier decision was written once it could be

    asyncio.run(scenario())


def test_kill_switch_halts_cancels_everything_and_later_intents_are_rejected():
    async def scenario():
        clock, execution = Clock(), FakePeer({"submit": lambda intents: [], "cancel_all": lambda *a: []})
        risk = _risk(execution, None, clock)
        await risk.on_views([_view(1_723_161_300_000_000_000, clock.now)])
        status = await risk.kill("kill_switch", "api")
        assert status["state"] == "halted"
        assert ("cancel_all", (None, "kill_switch")) in execution.calls
        (result,) = await risk.submit([_intent("mm-1")])
        assert (result["approved"], result["reason"]) == (False, "halted")
        cancel = OrderIntent(IntentAction.CANCEL, "mm", "mm-0", SPOT, 8, 8, ts_created=1)
        (result,) = await risk.submit([cancel])
        assert result["approved"]  # a cancel always passes
        assert (await risk.reset("operator"))["state"] == "active"

    asyncio.run(scenario())


def test_a_restarted_risk_gate_rebuilds_its_portfolio_from_the_execution_log():
    async def scenario():
        clock = Clock()
        # a real execution log: a marketable IOC buy fills at the ask
        risk_sink, recorder = FakePeer(), FakePeer()
        ex = _execution(recorder, risk_sink, clock)
        await ex.on_market(_snapshot_batch(clock.now))
        await ex.submit([_intent("mm-1", price=ASK, tif=TimeInForce.IOC)])
        clock.now += 2_000_000
        await ex._emit(ex.venue.advance(clock.now))
        log = ex.events_since(0)
        assert any(ev.fill is not None for _, ev in log)
        ex._timer.cancel()
        execution = FakePeer({"events_since": lambda seq: log})
        risk = _risk(execution, None, clock)
        result = await risk.recover()
        assert result["applied_seq"] == log[-1][0]
        (position,) = risk.positions("mm")
        assert position.size == 100_000 and position.avg_entry_price == Decimal("61837.64")
        await risk.on_execution_events(log)  # the same events pushed again: applied once
        (position,) = risk.positions("mm")
        assert position.size == 100_000

    asyncio.run(scenario())


def test_risk_gate_looks_a_restarted_strategy_up_again_after_refresh_peer():
    """Pushes to strategies are fire-and-forget: without the refresh a dead incarnation's handle is kept."""
    incarnations = iter([FakePeer(), FakePeer()])
    looked_up: list[str] = []

    def lookup(name):
        looked_up.append(name)
        return next(incarnations)

    risk = RiskActor("risk", [SPOT], {}, {"mm": {"allocated_capital": "10000", "actor": "strategy-mm"}},
                     execution_name="execution", lookup=lookup)  # fmt: skip
    first = risk._peer("strategy-mm")
    assert risk._peer("strategy-mm") is first  # cached
    assert risk.refresh_peer("strategy-mm") is True
    assert risk._peer("strategy-mm") is not first and looked_up == ["strategy-mm", "strategy-mm"]
    assert risk.refresh_peer("unknown") is False


def test_a_down_strategy_has_its_orders_canceled_and_its_intents_refused_until_it_is_up():
    async def scenario():
        clock, execution = Clock(), FakePeer({"submit": lambda intents: [], "cancel_all": lambda *a: []})
        risk = _risk(execution, FakePeer(), clock)
        await risk.on_views([_view(1_723_161_300_000_000_000, clock.now)])
        down = await risk.strategy_down("mm", "RayActorError: node lost")
        assert down["state"] == "strategy_down"
        assert ("cancel_all", ("mm", "strategy_down")) in execution.calls
        (refused,) = await risk.submit([_intent("mm-1")])
        assert (refused["approved"], refused["reason"]) == (False, "strategy_down")
        assert "submit" not in execution.names()
        assert risk.status()["strategies_down"]["mm"]["reason"] == "RayActorError: node lost"
        assert risk.status()["rejections"] == {"mm": {"strategy_down": 1}}
        await risk.strategy_down("mm", "again")  # idempotent: no second cancel
        assert execution.names().count("cancel_all") == 1

        up = await risk.strategy_up("mm", "incarnation 2 recovered")
        assert up["state"] == "active" and risk.status()["strategies_down"] == {}
        (approved,) = await risk.submit([_intent("mm-2")])
        assert approved["approved"]
        kinds = [e["kind"] for e in risk.status()["breaker_events"] if e["kind"].startswith("strategy_")]
        assert kinds == ["strategy_down", "strategy_up"]

    asyncio.run(scenario())


def test_with_keep_a_down_strategy_s_orders_stay_resting():
    async def scenario():
        clock, execution = Clock(), FakePeer({"submit": lambda intents: [], "cancel_all": lambda *a: []})
        risk = _risk(execution, None, clock, strategy_down_orders="keep")
        await risk.strategy_down("mm", "dead")
        assert "cancel_all" not in execution.names()
        assert risk.gate.strategy_state("mm") == "strategy_down"

    asyncio.run(scenario())


def test_risk_gate_runs_the_divergence_check_on_its_views_and_writes_the_alert():
    from actors.validation import ValidationSettings

    async def scenario():
        clock, recorder = Clock(), FakePeer()
        peers = {"execution": FakePeer(), "recorder": recorder, "sup": FakePeer()}
        risk = RiskActor("risk", [SPOT, "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"], {}, {},
                         execution_name="execution", supervisor_name="sup", lookup=peers.__getitem__, clock=clock,
                         recorder_name="recorder",
                         validation=ValidationSettings(max_divergence_bps=100, divergence_for_s=0))  # fmt: skip
        ts = 1_723_161_300_000_000_000
        usdm = BookView("BTCUSDT.BINANCE_USDM", True, 1, ((6_000_000, 1),), ((6_000_010, 1),), 2, 3, ts, ts, ts)
        coinm = BookView("BTCUSD_PERP.BINANCE_COINM", True, 1, ((660_000, 1),), ((660_001, 1),), 1, 0, ts, ts, ts)
        await risk.on_views([usdm, coinm])  # 60000.05 vs 66000.05: ~950 bps apart
        divergence = risk.status()["divergence"]
        assert divergence["groups"]["BTC/USD perpetual"]["failures"] == 1
        assert list(divergence["groups"]) == ["BTC/USD perpetual"]  # spot is alone in its group: never compared
        (table, rows), = [args for name, args in recorder.calls if name == "write_market" and args[0] == "system_alerts"]
        assert rows[0]["source"].startswith("validation:divergence:") and rows[0]["severity"] == "warning"
    asyncio.run(scenario())
