"""Supervisor: starts every supervised actor of a run (feeds, books, strategies, the risk gate, execution),
notices a dead one, restarts it with backoff, opens the restart *circuit* after K deaths in a window, restores what
the dead actor's peers relied on, and answers ``/status``. Supervision only: portfolio risk is the RiskActor.

Death detection: a feed's long-running ``run()`` call is kept outstanding; when the process dies that call fails
with ``RayActorError`` at once. Other roles are sync actors that cannot hold a long call, so they are pinged every
``watch_interval_s`` (a ping that fails with an actor error is a death; a slow answer is not).

What a restart restores, by role:

* **feed**: its books are reset at once (``BookReset`` reason ``"feed_dead"``: a book nobody updates must not look
  live); the new feed resyncs them from REST snapshots.
* **book**: the new book is empty and not ready; every subscription it had is made again, and the feed holding
  its instruments is asked to resync them (``FeedActor.resync``).
* **strategy / risk**: re-subscribed to their books, then ``recover()`` is called: they rebuild their orders and
  positions from the execution and portfolio state, never from their lost memory.
  A strategy is fail-closed while it is away: at its death the risk gate is told ``strategy_down(id)`` (its new
  risk is rejected with reason ``strategy_down``, its resting orders canceled or kept by
  ``risk.strategy_down_orders``), and ``strategy_up(id)`` only after the new incarnation's ``recover()`` returned.
  A strategy whose recovery failed stays down and its recovery is retried every ``watch_interval_s`` (a book
  that is down does not stop it); one whose circuit opened stays down. The held strategies are saved in the
  registry and told again to a restarted risk gate; ``status()`` shows each strategy's ``risk_state``.
* **execution**: feeds and the risk gate look it up by name again on their next call; every feed resyncs its
  books, so the new fill model gets snapshots (its open paper orders are lost: paper orders live in the model);
  every running strategy whose spec says ``mode`` testnet / live is routed there again (``set_mode``).

The supervisor itself is restartable: it runs with Ray ``max_restarts=-1`` (a crash or ``kill -9`` of its process
brings it back under the same name and constructor arguments), and the run's driver starts a new one when it was
killed for good. Every change to what it supervises is saved to a :mod:`~actors.supervision.registry` record
keyed by the run; a new incarnation loads it in ``__init__`` (so ``supervision()`` and ``book_actor_for`` answer at
once). Each actor's full spec is kept in the record as its own pickle and unpickled only when that actor is spawned
again: unpickling a spec imports its actor class and everything it imports (the recorder's pyarrow and
SQLAlchemy, the feed's websockets), which took a restarted supervisor 25-42 s under load on 2 cores (Ray's workers
run at niceness 19) and let the driver give up on it. Then, on its first async call, looks every actor up by name (they are detached and outlived it): a live one
is watched again (a feed's ``run()`` is awaited again: it is idempotent), one that died meanwhile goes through the
normal death path (books reset, restart with backoff, restore). While no supervisor runs, nothing is restarted and
``/status`` answers 503; books and feeds go on. ``supervision()`` lists the supervisor itself with its restarts.

An operator's ``restart_feed`` closes the circuit and restarts at once (not counted as a death). Actors are named
``<prefix><role>:<ident>`` (:mod:`actors.naming`) and detached like every actor of a run; ``stop_all`` and the
run's teardown remove them.
Collaborators are passed in: ``spawner`` (``spawn`` / ``lookup`` / ``kill``, :class:`actors.remote.RaySpawner` by
default) and ``clock`` (monotonic seconds), so unit tests drive restart decisions with fakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actors.messages import BookReset, EventBatch
from actors.naming import actor_name
from actors.supervision.registry import GcsRegistry, Registry
from actors.supervision.restarts import CircuitState, RestartPolicy

__all__ = ["ActorSpec", "Supervisor"]

log = logging.getLogger(__name__)

ROLES = ("execution", "risk", "book", "strategy", "feed", "recorder")


@dataclass(frozen=True)
class ActorSpec:
    """How to (re)start one supervised actor.

    Attributes:
        role: ``feed`` | ``book`` | ``strategy`` | ``risk`` | ``execution`` | ``recorder``.
        ident: unique within the role (``binance-spot``, ``BTCUSDT.BINANCE``, ``mm-1``).
        cls: the plain actor class (None in the brief spec of a loaded registry record until the actor is
            spawned again: :meth:`_Supervised.full_spec`).
        args, kwargs: its constructor arguments (the same on every restart).
        options: extra Ray options (resources, ``max_concurrency``).
        instruments: for books and feeds, the instrument ids it holds (restores resyncs); feeds: ``book_actors``.
    """

    role: str
    ident: str
    cls: type
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    instruments: tuple[str, ...] = ()


@dataclass
class _Supervised:
    spec: ActorSpec
    name: str
    policy: RestartPolicy
    handle: Any = None
    task: asyncio.Task | None = None
    state: str = "starting"  # running | restarting | circuit_open | failed | stopped
    planned_restart: bool = False
    deaths: int = 0
    last_death: str | None = None
    started: int = 0
    down_since_ns: int | None = None
    downtime_ns: int = 0
    recovered: bool = False  # a strategy incarnation whose recover() returned (strategy_up may be told)
    spec_blob: bytes | None = None  # the pickled full spec (the registry record's copy; see the module docstring)

    def pickled_spec(self) -> bytes:
        """The full spec as the registry keeps it (pickled once: a spec never changes)."""
        if self.spec_blob is None:
            from ray import cloudpickle

            self.spec_blob = cloudpickle.dumps(self.spec)
        return self.spec_blob

    def full_spec(self) -> ActorSpec:
        """The spec with its class and arguments: a loaded record's is unpickled here, on the first spawn."""
        if self.spec.cls is None and self.spec_blob is not None:
            from ray import cloudpickle

            self.spec = cloudpickle.loads(self.spec_blob)
        return self.spec
    lost_node: str | None = None  # node the last dead incarnation ran on: its replacement goes elsewhere if it can


@dataclass(frozen=True)
class _Subscription:
    book: str
    subscriber: str
    instruments: tuple[str, ...]
    depth: int
    trades: bool
    min_interval_ms: float = 0.0
    bars: tuple[str, ...] = ()


class Supervisor:
    """Args: prefix (actor-name prefix), namespace, restart policy settings, spawner, clock, watch interval,
    run_id (keys the registry record), registry (default: :class:`GcsRegistry` with the production spawner, none
    with a test spawner unless given), status_timeout_s (how long :meth:`status` waits for each actor's answer)."""

    def __init__(self, prefix: str = "", namespace: str = "raytrade", max_deaths: int = 5,
                 window_s: float = 60.0, base_backoff_s: float = 0.2, max_backoff_s: float = 10.0,
                 spawner: Any = None, clock: Callable[[], float] = time.monotonic,
                 watch_interval_s: float = 1.0, run_id: str | None = None,
                 registry: Registry | None = None, status_timeout_s: float = 5.0) -> None:  # fmt: skip
        if spawner is None:
            from actors.remote import RaySpawner

            spawner = RaySpawner(namespace)
            if registry is None and run_id is not None:
                registry = GcsRegistry(f"{prefix}{run_id}")
        self.registry = registry
        self.persist_failures = 0
        self.prefix = prefix
        self.namespace = namespace
        self.spawner = spawner
        self.clock = clock
        self.watch_interval_s = watch_interval_s
        self.status_timeout_s = status_timeout_s
        self._policy_args = dict(max_deaths=max_deaths, window_s=window_s, base_backoff_s=base_backoff_s,
                                 max_backoff_s=max_backoff_s)  # fmt: skip
        self.actors: dict[str, _Supervised] = {}  # name -> supervised
        self.subscriptions: list[_Subscription] = []
        self.book_routes: dict[str, str] = {}  # instrument_id -> book actor name
        self.replay_names: list[str] = []
        self.checkpoints: dict[str, Any] = {}
        self.events: list[dict] = []
        self.recorder_name: str | None = None
        self.incarnation = 1
        self.down_strategies: dict[str, str] = {}  # strategy ident -> reason, while the gate holds it down
        self._gate_lock = asyncio.Lock()  # strategy_down / strategy_up to the gates, and their record, in order
        self._reattach: list[_Supervised] = []
        self._recover_lock = asyncio.Lock()
        saved = self.registry.load() if self.registry is not None else None
        if saved:
            self._load(saved)

    # -- own state (see the module docstring) ----------------------------------------------------------------
    def _persist(self) -> None:
        """Save what a new incarnation needs to the registry; a failure is logged and counted, never raised."""
        if self.registry is None:
            return
        actors = {name: {"role": s.spec.role, "ident": s.spec.ident, "instruments": s.spec.instruments,
                         "spec": s.pickled_spec(), "state": s.state, "deaths": s.deaths, "last_death": s.last_death,
                         "restarts": s.policy.restarts, "circuit": s.policy.state.value, "started": s.started,
                         "downtime_ns": s.downtime_ns, "down_since_ns": s.down_since_ns}
                  for name, s in self.actors.items()}  # fmt: skip
        state = {"actors": actors, "subscriptions": self.subscriptions, "book_routes": self.book_routes,
                 "replay_names": self.replay_names, "checkpoints": self.checkpoints, "events": self.events[-1000:],
                 "recorder_name": self.recorder_name, "incarnation": self.incarnation,
                 "down_strategies": self.down_strategies}  # fmt: skip
        try:
            self.registry.save(state)
        except Exception as exc:  # noqa: BLE001 - keep supervising; only a later recovery would miss this change
            self.persist_failures += 1
            log.warning("saving the supervisor's registry: %s", exc)

    def _load(self, saved: dict) -> None:
        """A new incarnation: take the saved specs and counters; handles are looked up in :meth:`_ensure_recovered`."""
        for name, a in saved["actors"].items():
            # role, ident and instruments now; class and arguments when it is spawned again (``full_spec``)
            brief = ActorSpec(a["role"], a["ident"], None, instruments=tuple(a["instruments"]))  # type: ignore[arg-type]
            sup = _Supervised(brief, name, RestartPolicy(**self._policy_args), spec_blob=a["spec"])
            sup.policy.restarts, sup.policy.state = a["restarts"], CircuitState(a["circuit"])
            sup.state, sup.deaths, sup.last_death = a["state"], a["deaths"], a["last_death"]
            sup.started, sup.downtime_ns, sup.down_since_ns = a["started"], a["downtime_ns"], a["down_since_ns"]
            self.actors[name] = sup
            self._reattach.append(sup)
        self.subscriptions = list(saved["subscriptions"])
        self.book_routes = dict(saved["book_routes"])
        self.replay_names = list(saved["replay_names"])
        self.checkpoints = dict(saved["checkpoints"])
        self.events = list(saved["events"])
        self.recorder_name = saved["recorder_name"]
        self.incarnation = saved["incarnation"] + 1
        self.down_strategies = dict(saved.get("down_strategies", {}))
        self._note({"ts": time.time_ns(), "kind": "restart", "actor": self.name_of("supervisor", ""),
                    "role": "supervisor", "reason": f"incarnation {self.incarnation}"})  # fmt: skip

    async def _ensure_recovered(self) -> None:
        """Re-attach to the actors of a loaded registry record (once; every public async call waits for it)."""
        if not self._reattach:
            return
        async with self._recover_lock:
            pending, self._reattach = self._reattach, []
            for sup in pending:
                try:
                    sup.handle = self.spawner.lookup(sup.name)
                except Exception:  # noqa: BLE001 - ValueError: no live actor of that name
                    sup.handle = None
                if sup.state not in ("running", "starting", "restarting"):
                    continue  # stopped, circuit_open, failed, ended: nothing to watch
                if sup.handle is None:
                    sup.task = asyncio.ensure_future(self._watch(sup, "gone while the supervisor was down"))
                else:
                    sup.state = "running"
                    sup.task = asyncio.ensure_future(self._watch(sup))
                    if sup.spec.role == "strategy" and sup.spec.ident in self.down_strategies:
                        # the last incarnation died between the restart and strategy_up: recover it now
                        asyncio.ensure_future(self._restore(sup))
            self._persist()

    # -- registration ----------------------------------------------------------------------------------------
    def name_of(self, role: str, ident: str) -> str:
        return actor_name(role, ident, self.prefix)

    def register_replay(self, replay_names: list[str]) -> None:
        """The run's replay venues (not supervised: status only)."""
        self.replay_names = list(replay_names)
        self._persist()

    def book_actor_for(self, instrument_id: str) -> str | None:
        """The name of the book actor holding ``instrument_id``, or None."""
        return self.book_routes.get(instrument_id)

    def feed_ids(self) -> list[str]:
        """Supervised feed ids."""
        return [s.spec.ident for s in self.actors.values() if s.spec.role == "feed"]

    def names(self, role: str) -> list[str]:
        """Names of the supervised actors of ``role``."""
        return [n for n, s in self.actors.items() if s.spec.role == role]

    def set_recorder(self, name: str | None) -> None:
        """Send supervision events (death, restart, circuit_open, failed) to this recorder as ``feed_events``."""
        self.recorder_name = name
        self._persist()

    def _note(self, event: dict) -> None:
        self.events.append(event)
        self._persist()
        if self.recorder_name is None:
            return
        role = event.get("role") or (self.actors[event["actor"]].spec.role if event.get("actor") in self.actors else "")
        row = {"venue": "", "feed_id": event.get("actor", ""), "instrument_id": "", "kind": event["kind"],
               "detail": f"{role}: {event.get('reason', '')}".strip(": "), "ts": event["ts"]}  # fmt: skip
        try:
            rec = self.actors.get(self.recorder_name)
            handle = rec.handle if rec is not None else self.spawner.lookup(self.recorder_name)
            handle.write_market.remote("feed_events", [row])
        except Exception:  # noqa: BLE001 - the recorder itself may be the one that died
            pass

    def put_checkpoint(self, key: str, value: Any) -> None:
        """Keep a small piece of state for an actor's next incarnation (the risk gate's trading state)."""
        self.checkpoints[key] = value
        self._persist()

    def get_checkpoint(self, key: str) -> Any:
        return self.checkpoints.get(key)

    # -- starting --------------------------------------------------------------------------------------------
    async def start(self, spec: ActorSpec) -> str:
        """Create the actor, wait until it answers, and watch it. Returns its name.

        Raises:
            ValueError: an actor of that role and ident is already supervised.
        """
        await self._ensure_recovered()
        name = self.name_of(spec.role, spec.ident)
        if name in self.actors:
            raise ValueError(f"{name} is already supervised")
        sup = self.actors[name] = _Supervised(spec, name, RestartPolicy(**self._policy_args))
        if spec.role == "book":
            for iid in spec.instruments:
                self.book_routes[iid] = name
        await self._spawn(sup, restart=False)
        sup.task = asyncio.ensure_future(self._watch(sup))
        self._persist()
        return name

    async def start_feed(self, spec: Any) -> str:
        """Start a feed from its :class:`~actors.feed.actor.FeedSpec` (the FeedActor class is imported here)."""
        from actors.feed.actor import FeedActor

        return await self.start(ActorSpec("feed", spec.feed_id, FeedActor, (spec,),
                                          instruments=tuple(spec.book_actors)))  # fmt: skip

    async def subscribe(self, book: str, subscriber: str, instruments: list[str], depth: int = 10,
                        trades: bool = False, min_interval_ms: float = 0.0,
                        bars: tuple[str, ...] = ()) -> list[str]:  # fmt: skip
        """Subscribe ``subscriber`` to ``book`` now and after either of them restarts (``bars``: the bar
        intervals it wants, see :class:`~actors.book.actor.BookActor`). Returns instruments held."""
        await self._ensure_recovered()
        sub = _Subscription(book, subscriber, tuple(instruments), depth, trades, min_interval_ms, tuple(bars))
        self.subscriptions.append(sub)
        self._persist()
        return await self._do_subscribe(sub)

    async def restart_feed(self, feed_id: str) -> dict:
        """Operator restart: close the circuit and restart now (a running feed is killed first).

        Raises:
            KeyError: unknown feed id.
        """
        await self._ensure_recovered()
        sup = self.actors[self.name_of("feed", feed_id)]
        sup.policy.reset()
        if sup.state in ("running", "starting"):
            sup.planned_restart = True
            self.spawner.kill(sup.handle)
        elif sup.state in ("circuit_open", "failed"):
            await self._spawn(sup, restart=True)
            sup.task = asyncio.ensure_future(self._watch(sup))
        self._persist()
        return {"feed_id": feed_id, "state": sup.state, "restarts": sup.policy.restarts}

    # -- stopping --------------------------------------------------------------------------------------------
    async def stop_feeds(self, timeout_s: float = 10.0) -> dict:
        """Stop every feed cleanly (last batches acknowledged), then remove them. Returns their final statuses."""
        await self._ensure_recovered()
        feeds = [s for s in self.actors.values() if s.spec.role == "feed"]
        for sup in feeds:
            sup.state = "stopped"
        stops = [s.handle.stop.remote() for s in feeds if s.handle is not None]
        if stops:
            await asyncio.wait([asyncio.ensure_future(_await(r)) for r in stops], timeout=timeout_s)
        finals = {}
        for sup in feeds:
            try:
                finals[sup.spec.ident] = await asyncio.wait_for(_await(sup.handle.status.remote()), timeout=2)
            except Exception as exc:  # noqa: BLE001 - a dead feed has no final status
                finals[sup.spec.ident] = {"state": "dead", "error": str(exc)}
            if sup.task is not None:
                sup.task.cancel()
            self.spawner.kill(sup.handle)
        self._persist()
        return finals

    async def stop_all(self) -> None:
        """Stop watching and kill every supervised actor (feeds first: call :meth:`stop_feeds` before); the
        registry record is removed (the run is over: nothing to recover)."""
        await self._ensure_recovered()
        for sup in self.actors.values():
            sup.state = "stopped"
            if sup.task is not None:
                sup.task.cancel()
        for sup in self.actors.values():
            self.spawner.kill(sup.handle)
        if self.registry is not None:
            try:
                self.registry.clear()
            except Exception as exc:  # noqa: BLE001
                log.warning("clearing the supervisor's registry: %s", exc)

    # -- status ----------------------------------------------------------------------------------------------
    def supervision(self) -> dict:
        """Per actor: role, state, restarts, deaths, circuit, last death, downtime (s); the supervisor itself too
        (its ``restarts`` are its incarnations after the first)."""
        now = time.time_ns()
        out = {self.name_of("supervisor", ""): {"role": "supervisor", "ident": "", "state": "running",
                                                "restarts": self.incarnation - 1, "deaths": self.incarnation - 1,
                                                "circuit": "closed", "last_death": None, "downtime_s": 0.0}}  # fmt: skip
        for name, s in self.actors.items():
            down = s.downtime_ns + (now - s.down_since_ns if s.down_since_ns else 0)
            out[name] = {"role": s.spec.role, "ident": s.spec.ident, "state": s.state, "restarts": s.policy.restarts,
                         "deaths": s.deaths, "circuit": s.policy.state.value, "last_death": s.last_death,
                         "downtime_s": round(down / 1e9, 3)}  # fmt: skip
        return out

    def supervision_events(self) -> list[dict]:
        """Deaths, restarts, circuit openings and permanent failures, oldest first (``ts`` wall ns)."""
        return list(self.events)

    async def status(self) -> dict:
        """Every actor of the run: feeds (state, restarts, circuit, connection), books, strategies, risk, replay.

        All actors are asked at once, so the answer takes as long as the slowest one, not the sum of their
        times: a busy risk gate never makes the whole call miss the API's 10 s deadline. An actor that did not
        answer within ``status_timeout_s`` is ``{"state": "unreachable", "error": ...}``; a feed's entry gets
        ``status_error`` instead."""
        await self._ensure_recovered()
        feeds = [sup for sup in self.actors.values() if sup.spec.role == "feed"]
        parts = await asyncio.gather(
            asyncio.gather(*(self._feed_status(sup) for sup in feeds)),
            self._gather(self.names("strategy"), "summary"), self._gather(self.names("risk"), "status"),
            self._gather(self.names("book"), "stats"), self._gather(self.names("execution"), "status"),
            self._gather(self.replay_names, "status"),
        )  # fmt: skip
        feed_infos, strategies, risk, books, execution, replay = parts
        return {
            "feeds": {sup.spec.ident: info for sup, info in zip(feeds, feed_infos)},
            "books": books,
            "strategies": self._annotate_strategies(strategies, risk),
            "risk": risk,
            "execution": execution,
            "replay": replay,
            "supervision": self.supervision(),
        }

    async def _feed_status(self, sup: _Supervised) -> dict:
        """A feed's supervision entry with its own ``status()`` merged in (``status_error`` when it gave none)."""
        info = {"role": "feed", "state": sup.state, "restarts": sup.policy.restarts, "deaths": sup.deaths,
                "circuit": sup.policy.state.value, "last_death": sup.last_death}  # fmt: skip
        if sup.state in ("running", "starting", "failed", "ended"):
            try:
                live = await asyncio.wait_for(_await(sup.handle.status.remote()), timeout=self.status_timeout_s)
                info.update(live, state=live["state"] if live.get("state") in ("failed", "ended") else sup.state)
            except Exception as exc:  # noqa: BLE001
                info["status_error"] = str(exc)
        return info

    async def _gather(self, names: list[str], method: str) -> dict:
        async def one(name: str):
            try:
                sup = self.actors.get(name)
                handle = sup.handle if sup is not None else self.spawner.lookup(name)
                return await asyncio.wait_for(_await(getattr(handle, method).remote()), self.status_timeout_s)
            except Exception as exc:  # noqa: BLE001 - report, never fail the status call
                return {"state": "unreachable", "error": _reason(exc)}

        results = await asyncio.gather(*(one(n) for n in names))
        return dict(zip(names, results))

    def _annotate_strategies(self, strategies: dict, risk: dict) -> dict:
        """Each strategy's entry gains ``strategy_id`` and ``risk_state`` (``strategy_down`` while the gate holds
        it, else the gate's trading state; ``unknown`` when the gate did not answer)."""
        gate = next((r for r in risk.values() if isinstance(r, dict) and "strategies_down" in r), None)
        for name, entry in strategies.items():
            if not isinstance(entry, dict):
                continue
            sup = self.actors.get(name)
            sid = sup.spec.ident if sup is not None else name
            entry.setdefault("strategy_id", sid)
            entry.setdefault("name", name)
            if gate is None:
                entry["risk_state"] = "unknown"
            else:
                entry["risk_state"] = "strategy_down" if sid in gate["strategies_down"] else gate["state"]
        return strategies

    def _gates(self) -> list[_Supervised]:
        return [a for a in self.actors.values() if a.spec.role == "risk" and a.state == "running"]

    async def _tell_gates(self, method: str, strategy_id: str, *args) -> bool:
        """``strategy_down`` / ``strategy_up`` on every running risk gate; False when one could not be told."""
        ok = True
        for gate in self._gates():
            try:
                await asyncio.wait_for(_await(getattr(gate.handle, method).remote(strategy_id, *args)), timeout=10)
            except Exception as exc:  # noqa: BLE001 - a restarted gate is told again in its restore
                ok = False
                log.warning("%s(%s) on %s: %s", method, strategy_id, gate.name, exc)
        return ok

    async def _release_strategy(self, sup: _Supervised) -> None:
        """``strategy_up`` for a recovered strategy the gates still hold. Told again from the strategy's watch loop
        until every running gate took it: a gate call that timed out once must not hold the strategy forever."""
        async with self._gate_lock:
            if sup.recovered and sup.spec.ident in self.down_strategies:
                if await self._tell_gates("strategy_up", sup.spec.ident, f"incarnation {sup.started} recovered"):
                    self.down_strategies.pop(sup.spec.ident, None)
                    self._persist()

    # -- internals -------------------------------------------------------------------------------------------
    async def _spawn(self, sup: _Supervised, restart: bool) -> None:
        spec = await asyncio.to_thread(sup.full_spec)  # a loaded spec's imports: off the event loop
        for attempt in range(50):
            try:
                sup.handle = self.spawner.spawn(spec.cls, sup.name, *spec.args, options=spec.options,
                                                avoid_node=sup.lost_node if restart else None, **spec.kwargs)  # fmt: skip
                break
            except ValueError:  # the dead actor's name is not released yet
                await asyncio.sleep(0.05 * (attempt + 1))
        sup.state = "running"
        sup.started += 1
        sup.recovered = False
        if sup.down_since_ns is not None:
            sup.downtime_ns += time.time_ns() - sup.down_since_ns
            sup.down_since_ns = None
        if restart:
            self._note({"ts": time.time_ns(), "kind": "restart", "actor": sup.name, "role": spec.role})
            await self._restore(sup)

    async def _restore(self, sup: _Supervised) -> None:
        """After a restart: give the new incarnation back what its peers relied on (see the module docstring)."""
        role = sup.spec.role
        try:
            if role == "book":
                for sub in self.subscriptions:
                    if sub.book == sup.name:
                        await self._do_subscribe(sub)
                for feed in self.actors.values():
                    if feed.spec.role == "feed" and feed.state == "running":
                        held = [i for i in sup.spec.instruments if i in feed.spec.instruments]
                        if held:
                            await _await(feed.handle.resync.remote(held))
            elif role == "execution":  # its fill model starts with empty books: every feed resyncs its books
                # and it knows the modes of its constructor only: a strategy started later (POST /strategies) in
                # testnet / live mode is routed there again before anything else reaches it
                for other in list(self.actors.values()):
                    if other.spec.role == "strategy" and other.state != "stopped":
                        mode = (await asyncio.to_thread(other.full_spec)).kwargs.get("mode", "paper")
                        if mode != "paper":
                            await _await(sup.handle.set_mode.remote(other.spec.ident, mode))
                for feed in self.actors.values():
                    if feed.spec.role == "feed" and feed.state == "running":
                        await _await(feed.handle.resync.remote(list(feed.spec.instruments)))
            elif role == "strategy":
                for sub in self.subscriptions:
                    if sub.subscriber == sup.name:
                        try:  # a book that is itself down makes its subscriptions again when it comes back
                            await asyncio.wait_for(self._do_subscribe(sub), timeout=30)
                        except Exception as exc:  # noqa: BLE001 - the recovery below must still run
                            log.warning("re-subscribing %s to %s: %s", sup.name, sub.book, exc)
                await self._recover_strategy(sup)
            elif role == "risk":
                for sub in self.subscriptions:
                    if sub.subscriber == sup.name:
                        await self._do_subscribe(sub)
                await _await(sup.handle.recover.remote())
                async with self._gate_lock:  # a new gate starts with nobody down: tell it who still is (never after
                    for ident, reason in list(self.down_strategies.items()):  # a strategy_up that released one)
                        await asyncio.wait_for(_await(sup.handle.strategy_down.remote(ident, reason)), timeout=10)
        except Exception as exc:  # noqa: BLE001 - a peer that is itself down is restored when it comes back
            log.warning("restoring %s: %s", sup.name, exc)

    async def _recover_strategy(self, sup: _Supervised) -> bool:
        """Point the gates at the new incarnation (they push its fills), call its ``recover()``, then release it
        (``strategy_up``). Any failure is logged and the strategy stays held; its watch loop calls this again every
        ``watch_interval_s`` until a recovery succeeds (a timed-out call under load must not hold it forever, and
        a strategy that never recovered must never trade). Returns whether it recovered."""
        try:
            for gate in self._gates():
                await asyncio.wait_for(_await(gate.handle.refresh_peer.remote(sup.name)), timeout=30)
            await asyncio.wait_for(_await(sup.handle.recover.remote()), timeout=60)
        except Exception as exc:  # noqa: BLE001 - retried from the watch loop
            log.warning("recovering %s (incarnation %d): %s", sup.name, sup.started, exc)
            return False
        sup.recovered = True
        await self._release_strategy(sup)
        return True

    async def _do_subscribe(self, sub: _Subscription) -> list[str]:
        book, subscriber = self.actors.get(sub.book), self.actors.get(sub.subscriber)
        book_handle = book.handle if book else self.spawner.lookup(sub.book)
        sub_handle = subscriber.handle if subscriber else self.spawner.lookup(sub.subscriber)
        extra = {"bars": list(sub.bars)} if sub.bars else {}
        return await _await(book_handle.subscribe.remote(sub.subscriber, sub_handle, list(sub.instruments),
                                                         sub.depth, sub.trades, sub.min_interval_ms, **extra))  # fmt: skip

    async def _wait_death(self, sup: _Supervised) -> str | None:
        """Return a reason when the actor died (or its run() ended); None when it was stopped."""
        if sup.spec.role == "feed":
            try:
                result = await _await(sup.handle.run.remote())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - RayActorError (death) or the feed's own crash
                return None if sup.state == "stopped" else _reason(exc)
            if sup.state == "stopped":
                return None
            if isinstance(result, dict) and result.get("state") == "failed":
                return "failed: " + str(result.get("failed_reason"))
            if isinstance(result, dict) and result.get("state") == "ended":
                sup.state = "ended"  # the replay's recording is over: done, nothing to restart
                self._persist()
                return None
            return "run() returned"
        from ray.exceptions import RayActorError

        while sup.state != "stopped":
            await asyncio.sleep(self.watch_interval_s)
            try:
                await asyncio.wait_for(_await(sup.handle.ping.remote()), timeout=max(5.0, self.watch_interval_s))
            except asyncio.TimeoutError:
                continue  # busy, not dead
            except RayActorError as exc:
                return None if sup.state == "stopped" else _reason(exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - ping itself failed inside the actor: report, keep watching
                log.warning("ping %s: %s", sup.name, exc)
                continue
            if sup.spec.role == "strategy" and not sup.recovered and sup.spec.ident in self.down_strategies:
                await self._recover_strategy(sup)  # its last recovery failed: the strategy is still held
            elif sup.spec.role == "strategy" and sup.recovered and sup.spec.ident in self.down_strategies:
                await self._release_strategy(sup)  # a strategy_up that did not reach every gate is told again
        return None

    async def _watch(self, sup: _Supervised, found_dead: str | None = None) -> None:
        """Watch one actor until it is stopped; ``found_dead``: it was already dead when a new supervisor looked."""
        while True:
            reason, found_dead = (found_dead, None) if found_dead else (await self._wait_death(sup), None)
            if reason is None or sup.state == "stopped":
                return
            if sup.planned_restart:
                sup.planned_restart = False
                await self._spawn(sup, restart=True)
                continue
            if reason.startswith("failed: "):  # a permanent venue error: restarting cannot fix it
                sup.state = "failed"
                sup.last_death = reason
                self._note({"ts": time.time_ns(), "kind": "failed", "actor": sup.name, "reason": reason})
                await self._on_down(sup, "feed_failed")
                return
            sup.deaths += 1
            sup.last_death = reason
            sup.down_since_ns = time.time_ns()
            self._note({"ts": sup.down_since_ns, "kind": "death", "actor": sup.name, "reason": reason})
            sup.lost_node = await asyncio.to_thread(self.spawner.node_of, sup.handle)
            self.spawner.kill(sup.handle)
            await self._on_down(sup, "feed_dead")
            delay = sup.policy.on_death(self.clock())
            if delay is None:
                sup.state = "circuit_open"
                log.error("%s: circuit open after %d deaths", sup.name, len(sup.policy.deaths))
                self._note({"ts": time.time_ns(), "kind": "circuit_open", "actor": sup.name})
                return
            sup.state = "restarting"
            await asyncio.sleep(delay)
            if sup.state == "stopped":
                return
            await self._spawn(sup, restart=True)

    async def _on_down(self, sup: _Supervised, reason: str) -> None:
        if sup.spec.role == "strategy":
            async with self._gate_lock:
                self.down_strategies.setdefault(sup.spec.ident, sup.last_death or reason)
                self._persist()
                await self._tell_gates("strategy_down", sup.spec.ident, sup.last_death or reason)
            return
        if sup.spec.role != "feed":
            return
        now = time.time_ns()
        by_book: dict[str, list] = {}
        for iid in sup.spec.instruments:
            book = self.book_routes.get(iid)
            if book is not None:
                by_book.setdefault(book, []).append(BookReset(iid, reason, now))
        for name, events in by_book.items():
            try:
                book = self.actors.get(name)
                handle = book.handle if book else self.spawner.lookup(name)
                await _await(handle.apply.remote(EventBatch(f"supervisor:{sup.spec.ident}", tuple(events), now)))
            except Exception as exc:  # noqa: BLE001 - a dead book is restarted and resynced on its own
                log.warning("could not reset book %s: %s", name, exc)


def _reason(exc: BaseException) -> str:
    """``"<Type>: <first line>"`` of any exception (an empty message is fine)."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}"


async def _await(ref):
    return await ref
