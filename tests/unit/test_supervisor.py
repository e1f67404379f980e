"""The supervisor's restart decisions, driven with a fake spawner (no Ray): what restarts, when, and what is
restored for the new incarnation."""

from __future__ import annotations

import asyncio

import pytest
from ray.exceptions import RayActorError

from actors.supervision.supervisor import ActorSpec, Supervisor


class _Method:
    def __init__(self, handle: FakeHandle, name: str) -> None:
        self.handle, self.name = handle, name

    def remote(self, *args, **kwargs):
        self.handle.calls.append((self.name, args))
        return self.handle.call(self.name, args)


class FakeHandle:
    """Stands for one actor incarnation: calls fail with RayActorError once it is killed."""

    def __init__(self, cls, name, args, kwargs) -> None:
        self.cls, self.name, self.args, self.kwargs = cls, name, args, kwargs
        self.dead = asyncio.Event()
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, item):
        if item.startswith("_"):
            raise AttributeError(item)
        return _Method(self, item)

    async def call(self, name, args):
        if self.dead.is_set():
            raise RayActorError()
        if name == "run":  # a feed's long call: returns only when the actor dies
            await self.dead.wait()
            raise RayActorError()
        if name == "subscribe":
            return list(args[2])
        if name == "recover" and getattr(self.cls, "fail_recover", False):
            raise RuntimeError("execution unreachable")
        if name in getattr(self.cls, "hang", ()):
            await asyncio.Event().wait()
        failing = getattr(self.cls, "fail_calls", None)
        if failing is not None and failing.get(name, 0) > 0:
            failing[name] -= 1
            raise RuntimeError(f"{name} timed out")
        return name


class FakeSpawner:
    def __init__(self) -> None:
        self.spawned: list[FakeHandle] = []
        self.by_name: dict[str, FakeHandle] = {}

    def spawn(self, cls, name, *args, options=None, avoid_node=None, **kwargs):
        handle = FakeHandle(cls, name, args, kwargs)
        handle.avoid_node = avoid_node
        handle.node = f"node-{len(self.spawned)}"
        self.spawned.append(handle)
        self.by_name[name] = handle
        return handle

    def node_of(self, handle):
        return getattr(handle, "node", None)  # None: no handle (found dead by a new supervisor), as the real one

    def lookup(self, name):
        handle = self.by_name.get(name)
        if handle is None or handle.dead.is_set():
            raise ValueError(f"no live actor {name}")  # as ray.get_actor
        return handle

    def kill(self, handle):
        if handle is not None:
            handle.dead.set()


class _Feed:
    pass


class _Book:
    pass


class _Strategy:
    pass


def _supervisor(spawner, **kw) -> Supervisor:
    clock = iter(range(1_000_000))
    return Supervisor("t-", "ns", spawner=spawner, clock=lambda: float(next(clock)), base_backoff_s=0.0,
                      max_backoff_s=0.0, watch_interval_s=0.01, **kw)  # fmt: skip


async def _until(predicate, timeout_s: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


def test_dead_feed_is_restarted_and_its_books_are_reset_first():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("book", "X.BINANCE", _Book, instruments=("X.BINANCE",)))
        await sup.start(ActorSpec("feed", "f1", _Feed, instruments=("X.BINANCE",)))
        first = spawner.by_name["t-feed:f1"]
        spawner.kill(first)
        await _until(lambda: spawner.by_name["t-feed:f1"] is not first)
        book = spawner.by_name["t-book:X.BINANCE"]
        resets = [args for name, args in book.calls if name == "apply"]
        assert resets and resets[0][0].events[0].reason == "feed_dead"
        assert sup.supervision()["t-feed:f1"]["restarts"] == 1
        await sup.stop_all()

    asyncio.run(scenario())


def test_restarted_book_gets_its_subscriptions_back_and_its_feed_resyncs_it():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("book", "X.BINANCE", _Book, instruments=("X.BINANCE",)))
        await sup.start(ActorSpec("strategy", "s1", _Strategy))
        await sup.start(ActorSpec("feed", "f1", _Feed, instruments=("X.BINANCE",)))
        await sup.subscribe("t-book:X.BINANCE", "t-strategy:s1", ["X.BINANCE"], 5, True)
        old = spawner.by_name["t-book:X.BINANCE"]
        spawner.kill(old)
        await _until(lambda: spawner.by_name["t-book:X.BINANCE"] is not old)
        new = spawner.by_name["t-book:X.BINANCE"]
        await _until(lambda: any(n == "resync" for n, _ in spawner.by_name["t-feed:f1"].calls))
        subs = [args for name, args in new.calls if name == "subscribe"]
        assert subs == [("t-strategy:s1", spawner.by_name["t-strategy:s1"], ["X.BINANCE"], 5, True, 0.0)]
        resync = [args for name, args in spawner.by_name["t-feed:f1"].calls if name == "resync"]
        assert resync == [(["X.BINANCE"],)]
        await sup.stop_all()

    asyncio.run(scenario())


def test_restarted_strategy_is_resubscribed_then_recovers_its_state():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("book", "X.BINANCE", _Book, instruments=("X.BINANCE",)))
        await sup.start(ActorSpec("strategy", "s1", _Strategy, ("t-strategy:s1", "s1")))
        await sup.start(ActorSpec("risk", "", _Strategy, ("t-risk",)))
        await sup.subscribe("t-book:X.BINANCE", "t-strategy:s1", ["X.BINANCE"], 10, True)
        old = spawner.by_name["t-strategy:s1"]
        spawner.kill(old)
        await _until(lambda: spawner.by_name["t-strategy:s1"] is not old)
        new = spawner.by_name["t-strategy:s1"]
        await _until(lambda: any(n == "recover" for n, _ in new.calls))
        assert new.args == ("t-strategy:s1", "s1")  # same constructor arguments
        # the risk gate forgot the dead incarnation's handle before the new one recovered (its pushes of fills
        # go to the new incarnation, never to one lost with its node)
        assert ("refresh_peer", ("t-strategy:s1",)) in spawner.by_name["t-risk"].calls
        book_subs = [a for n, a in spawner.by_name["t-book:X.BINANCE"].calls if n == "subscribe"]
        assert book_subs[-1][1] is new  # the book now publishes to the new incarnation
        await sup.stop_all()

    asyncio.run(scenario())


def test_repeated_deaths_open_the_circuit_and_an_operator_restart_closes_it():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner, max_deaths=2, window_s=1e9)
        await sup.start(ActorSpec("feed", "f1", _Feed))
        for _ in range(2):
            current = spawner.by_name["t-feed:f1"]
            spawner.kill(current)
            await _until(lambda: sup.supervision()["t-feed:f1"]["state"] != "running"
                         or spawner.by_name["t-feed:f1"] is not current)  # fmt: skip
        await _until(lambda: sup.supervision()["t-feed:f1"]["state"] == "circuit_open")
        spawned = len(spawner.spawned)
        await asyncio.sleep(0.05)
        assert len(spawner.spawned) == spawned  # no automatic restart while open
        result = await sup.restart_feed("f1")
        assert result["state"] == "running" and len(spawner.spawned) == spawned + 1
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_feed_that_failed_permanently_is_not_restarted():
    class _FailingHandle(FakeHandle):
        async def call(self, name, args):
            if name == "run":
                return {"state": "failed", "failed_reason": "BTCXYZ.BINANCE: unknown symbol"}
            return await super().call(name, args)

    async def scenario():
        spawner = FakeSpawner()
        spawner.spawn = lambda cls, name, *a, options=None, **k: spawner.by_name.setdefault(
            name, _FailingHandle(cls, name, a, k))  # fmt: skip
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("feed", "f1", _Feed))
        await _until(lambda: sup.supervision()["t-feed:f1"]["state"] == "failed")
        info = sup.supervision()["t-feed:f1"]
        assert info["restarts"] == 0 and "unknown symbol" in info["last_death"]
        await sup.stop_all()

    asyncio.run(scenario())


def test_starting_the_same_actor_twice_is_an_error():
    async def scenario():
        sup = _supervisor(FakeSpawner())
        await sup.start(ActorSpec("book", "X", _Book))
        with pytest.raises(ValueError, match="already supervised"):
            await sup.start(ActorSpec("book", "X", _Book))
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_new_supervisor_incarnation_rebuilds_from_its_registry_and_the_live_actors():
    """The supervisor's process dies: a new one (same registry record) knows every actor at once, watches the live
    ones again without respawning them, and restarts one that died while no supervisor ran."""
    from actors.supervision.registry import MemoryRegistry

    async def scenario():
        spawner, registry = FakeSpawner(), MemoryRegistry()
        first = _supervisor(spawner, registry=registry)
        await first.start(ActorSpec("book", "X.BINANCE", _Book, instruments=("X.BINANCE",)))
        await first.start(ActorSpec("strategy", "s1", _Strategy, ("t-strategy:s1", "s1")))
        await first.start(ActorSpec("feed", "f1", _Feed, instruments=("X.BINANCE",)))
        await first.subscribe("t-book:X.BINANCE", "t-strategy:s1", ["X.BINANCE"], 10, True)
        first.put_checkpoint("t-risk", {"state": "halted"})
        await asyncio.sleep(0.05)  # its watches run (the feed's run() call is outstanding)
        for s in first.actors.values():  # its process dies: its watches end, the actors live on
            s.task.cancel()
        strategy, feed, book = (spawner.by_name[n] for n in ("t-strategy:s1", "t-feed:f1", "t-book:X.BINANCE"))
        spawner.kill(book)  # ... and the book dies while nobody supervises

        second = _supervisor(spawner, registry=registry)
        assert set(second.supervision()) == {"t-supervisor", "t-book:X.BINANCE", "t-strategy:s1", "t-feed:f1"}
        assert second.supervision()["t-supervisor"]["restarts"] == 1
        assert second.book_actor_for("X.BINANCE") == "t-book:X.BINANCE"
        assert second.get_checkpoint("t-risk") == {"state": "halted"}
        await second.status()  # the first async call re-attaches
        await _until(lambda: spawner.by_name["t-book:X.BINANCE"] is not book)
        new_book = spawner.by_name["t-book:X.BINANCE"]
        await _until(lambda: any(n == "subscribe" for n, _ in new_book.calls))
        assert [a for n, a in new_book.calls if n == "subscribe"][0][1] is strategy  # subscription restored
        await _until(lambda: sum(n == "run" for n, _ in feed.calls) == 2)  # the live feed is watched again
        assert spawner.by_name["t-strategy:s1"] is strategy and spawner.by_name["t-feed:f1"] is feed
        info = second.supervision()["t-book:X.BINANCE"]
        assert info["restarts"] == 1 and info["deaths"] == 1 and "supervisor was down" in info["last_death"]
        spawner.kill(strategy)  # and it goes on supervising
        await _until(lambda: spawner.by_name["t-strategy:s1"] is not strategy)
        await second.stop_all()
        assert registry.load() is None  # the run is over: nothing left to recover

    asyncio.run(scenario())


async def _gate_and_dead_strategy(gate: type = _Strategy, strategy: type = _Strategy):
    """A supervisor with a risk gate and strategy ``s1`` of these classes, ``s1`` just killed.
    Returns ``(spawner, supervisor, the dead incarnation, the gate)``."""
    spawner = FakeSpawner()
    sup = _supervisor(spawner)
    await sup.start(ActorSpec("risk", "", gate, ("t-risk",)))
    await sup.start(ActorSpec("strategy", "s1", strategy, ("t-strategy:s1", "s1")))
    old, risk = spawner.by_name["t-strategy:s1"], spawner.by_name["t-risk"]
    spawner.kill(old)
    return spawner, sup, old, risk


class _Unrecoverable:
    fail_recover = True


def test_a_dead_strategy_is_held_down_at_the_gate_until_its_new_incarnation_recovered():
    async def scenario():
        spawner, sup, old, risk = await _gate_and_dead_strategy()
        await _until(lambda: any(n == "strategy_up" for n, _ in risk.calls))
        new = spawner.by_name["t-strategy:s1"]
        gate_calls = [(n, a[0]) for n, a in risk.calls if n in ("strategy_down", "strategy_up")]
        assert gate_calls == [("strategy_down", "s1"), ("strategy_up", "s1")]
        down_at = next(i for i, (n, _) in enumerate(risk.calls) if n == "strategy_down")
        assert down_at < next(i for i, (n, _) in enumerate(risk.calls) if n == "refresh_peer")
        assert any(n == "recover" for n, _ in new.calls)  # up only after the recovery returned
        assert sup.down_strategies == {}
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_strategy_up_that_failed_once_is_told_again_so_a_recovered_strategy_is_not_held_forever():
    class _FlakyGate:
        fail_calls = {"strategy_up": 2}  # the gate's first two strategy_up calls fail (e.g. time out under load)

    async def scenario():
        spawner, sup, old, risk = await _gate_and_dead_strategy(gate=_FlakyGate)
        await _until(lambda: sum(n == "strategy_up" for n, _ in risk.calls) >= 3 and not sup.down_strategies)
        assert _FlakyGate.fail_calls["strategy_up"] == 0 and sup.down_strategies == {}
        await asyncio.sleep(0.05)  # once taken, it is not told again
        assert sum(n == "strategy_up" for n, _ in risk.calls) == 3
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_strategy_that_could_not_recover_stays_down_and_a_restarted_gate_is_told_again():
    async def scenario():
        spawner, sup, old, risk = await _gate_and_dead_strategy(strategy=_Unrecoverable)
        await _until(lambda: any(n == "recover" for n, _ in spawner.by_name["t-strategy:s1"].calls)
                     and spawner.by_name["t-strategy:s1"] is not old)  # fmt: skip
        await asyncio.sleep(0.05)
        assert not any(n == "strategy_up" for n, _ in risk.calls)
        assert set(sup.down_strategies) == {"s1"}

        spawner.kill(risk)  # the gate dies: its successor must hold s1 down too
        await _until(lambda: spawner.by_name["t-risk"] is not risk
                     and any(n == "strategy_down" for n, _ in spawner.by_name["t-risk"].calls))  # fmt: skip
        told = [a for n, a in spawner.by_name["t-risk"].calls if n == "strategy_down"]
        assert told[0][0] == "s1"
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_recovery_that_failed_is_retried_and_the_strategy_is_released_only_after_one_succeeded():
    class _SlowToRecover:
        fail_calls = {"recover": 2}  # its first two recover() calls fail (execution or the gate timed out)

    async def scenario():
        spawner, sup, old, risk = await _gate_and_dead_strategy(strategy=_SlowToRecover)
        await _until(lambda: any(n == "strategy_up" for n, _ in risk.calls))
        new = spawner.by_name["t-strategy:s1"]
        assert sum(n == "recover" for n, _ in new.calls) == 3 and _SlowToRecover.fail_calls["recover"] == 0
        gate_calls = [n for n, _ in risk.calls if n in ("strategy_down", "strategy_up")]
        assert gate_calls == ["strategy_down", "strategy_up"] and sup.down_strategies == {}
        await asyncio.sleep(0.05)  # recovered: not recovered again
        assert sum(n == "recover" for n, _ in new.calls) == 3
        await sup.stop_all()

    asyncio.run(scenario())


def test_a_replacement_is_kept_off_the_node_its_dead_incarnation_ran_on():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("strategy", "s1", _Strategy, ("t-strategy:s1", "s1")))
        first = spawner.by_name["t-strategy:s1"]
        assert first.avoid_node is None  # a first start is placed as usual
        spawner.kill(first)
        await _until(lambda: spawner.by_name["t-strategy:s1"] is not first)
        second = spawner.by_name["t-strategy:s1"]
        assert second.avoid_node == first.node
        spawner.kill(second)
        await _until(lambda: spawner.by_name["t-strategy:s1"] is not second)
        assert spawner.by_name["t-strategy:s1"].avoid_node == second.node
        await sup.stop_all()

    asyncio.run(scenario())


UNPICKLED: list[str] = []


def _unpickled(tag: str) -> "_Marker":
    UNPICKLED.append(tag)
    return _Marker(tag)


class _Marker:
    """A constructor argument that notes when it is unpickled (as importing an actor's class would happen)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __reduce__(self):
        return _unpickled, (self.tag,)


def test_a_new_incarnation_unpickles_an_actors_spec_only_when_it_spawns_it_again():
    """Loading the record must not import every actor class (slow under load); a respawn does, for its actor."""
    from actors.supervision.registry import MemoryRegistry

    async def scenario():
        spawner, registry = FakeSpawner(), MemoryRegistry()
        first = _supervisor(spawner, registry=registry)
        await first.start(ActorSpec("book", "X.BINANCE", _Book, (_Marker("book"),), instruments=("X.BINANCE",)))
        await first.start(ActorSpec("strategy", "s1", _Strategy, (_Marker("s1"),)))
        for s in first.actors.values():
            s.task.cancel()
        UNPICKLED.clear()
        second = _supervisor(spawner, registry=registry)
        assert second.book_actor_for("X.BINANCE") == "t-book:X.BINANCE" and UNPICKLED == []
        await second.status()  # re-attached to both live actors: still nothing unpickled
        assert UNPICKLED == []
        book = spawner.by_name["t-book:X.BINANCE"]
        spawner.kill(book)
        await _until(lambda: spawner.by_name["t-book:X.BINANCE"] is not book)
        new = spawner.by_name["t-book:X.BINANCE"]
        assert UNPICKLED == ["book"] and new.args[0].tag == "book" and new.cls is _Book
        await second.stop_all()

    asyncio.run(scenario())


class _Execution:
    pass


def test_a_restarted_execution_is_told_the_mode_of_every_strategy_started_outside_its_constructor():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner)
        await sup.start(ActorSpec("execution", "", _Execution, ("t-execution",)))
        await sup.start(ActorSpec("strategy", "s1", _Strategy, ("t-strategy:s1", "s1"), {"mode": "testnet"}))
        await sup.start(ActorSpec("strategy", "s2", _Strategy, ("t-strategy:s2", "s2"), {"mode": "paper"}))
        old = spawner.by_name["t-execution"]
        spawner.kill(old)
        await _until(lambda: spawner.by_name["t-execution"] is not old)
        new = spawner.by_name["t-execution"]
        await _until(lambda: any(n == "set_mode" for n, _ in new.calls))
        assert [a for n, a in new.calls if n == "set_mode"] == [("s1", "testnet")]  # paper is the default
        await sup.stop_all()

    asyncio.run(scenario())


class _Hanging:
    """An actor whose status / summary / stats calls never answer (a risk gate or book busy for good)."""

    hang = ("status", "summary", "stats")


def test_status_asks_every_actor_at_once_so_hanging_actors_cost_one_timeout_not_the_sum():
    async def scenario():
        spawner = FakeSpawner()
        sup = _supervisor(spawner, status_timeout_s=0.3)
        await sup.start(ActorSpec("risk", "", _Hanging))
        await sup.start(ActorSpec("book", "X.BINANCE", _Hanging, instruments=("X.BINANCE",)))
        await sup.start(ActorSpec("strategy", "s1", _Hanging))
        await sup.start(ActorSpec("feed", "f1", _Hanging, instruments=("X.BINANCE",)))
        await sup.start(ActorSpec("feed", "f2", _Hanging, instruments=("X.BINANCE",)))
        t0 = asyncio.get_running_loop().time()
        status = await sup.status()
        elapsed = asyncio.get_running_loop().time() - t0
        assert elapsed < 0.3 * 3  # six hanging calls, one after the other, would take 1.8 s
        assert status["risk"]["t-risk"]["state"] == "unreachable"
        assert status["books"]["t-book:X.BINANCE"]["state"] == "unreachable"
        assert status["strategies"]["t-strategy:s1"]["state"] == "unreachable"
        assert status["strategies"]["t-strategy:s1"]["risk_state"] == "unknown"  # the gate did not answer
        assert set(status["feeds"]) == {"f1", "f2"} and all("status_error" in f for f in status["feeds"].values())
        assert status["feeds"]["f1"]["state"] == "running"  # supervision's own view is still there
        await sup.stop_all()

    asyncio.run(scenario())
