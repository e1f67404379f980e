"""Which actors a run starts, with what resources, and how they are wired; and how they are torn down.

Every actor is named ``<prefix><role>:<id>`` (:mod:`actors.naming`) in the run's namespace and detached, so the
rest survives a driver exit and the API and dashboard can find them; :meth:`Topology.teardown` removes all of them
(and a new run removes leftovers of a crashed one first). All actors ask for ``num_cpus=0``: they are I/O-bound or light, and on
a 2-core machine CPU slots would only serialize them; the OS schedules the processes.

Order: replay venues (paused) -> supervisor -> through the supervisor: paper execution, the risk gate, book actors
(the risk gate subscribed to every book), strategy actors (subscribed to their books), feeds (each batch to its
book and, by ObjectRef, to execution) -> API -> once every feed is connected, the replay clocks start together on
a shared origin so the captures recorded together stay aligned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from pathlib import Path
from decimal import Decimal
import time
from dataclasses import dataclass, field

import ray

from actors.book.actor import BookActor
from actors.execution.actor import ExecutionActor
from actors.feed.actor import FeedSpec
from actors.errors import ConfigError, RaytradeError
from actors.feed.venues import adapter_for
from actors.naming import actor_name
from actors.placement import placement_options
from actors.remote import RaySpawner
from actors.replay.captures import read_recordings
from actors.risk.actor import RiskActor
from actors.strategy.actor import StrategyActor
from actors.supervision.supervisor import ActorSpec, Supervisor
from cluster.config import ROOT, RaytradeConfig

__all__ = ["REPLAY_TESTNET_KEY_ENV", "Topology"]

REPLAY_TESTNET_KEY_ENV = ("RAYTRADE_TESTNET_API_KEY", "RAYTRADE_TESTNET_API_SECRET")
"""The key pair a replay venue in testnet mode accepts (``raytrade replay --testnet`` reads the same)."""

log = logging.getLogger(__name__)


@dataclass
class Topology:
    """Handles and names of a run's actors.

    Args:
        config: the run configuration.
    """

    config: RaytradeConfig
    replay: dict[str, object] = field(default_factory=dict)  # venue -> handle
    replay_urls: dict[str, dict] = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    live_confirmed: bool = False  # raytrade run --live (with [execution] allow_live: production allowed)
    books: dict[str, object] = field(default_factory=dict)  # name -> handle
    book_routes: dict[str, str] = field(default_factory=dict)  # instrument_id -> book name
    specs: dict[str, object] = field(default_factory=dict)  # instrument_id -> InstrumentSpec loaded from the venue
    strategies: dict[str, object] = field(default_factory=dict)
    supervisor: object = None
    execution_name: str | None = None
    risk_name: str | None = None
    recorder_name: str | None = None
    run_id: str = ""
    supervisor_revivals: int = 0
    run_dir: str | None = None
    recorder_final: dict | None = None
    api_url: str | None = None
    started_ray: bool = False

    def __post_init__(self) -> None:
        self.spawner = RaySpawner(self.config.ray.namespace)
        self.run_id = self.run_id or new_run_id()
        store = self.config.store
        if store.enabled:
            self.run_dir = str(Path(store.run_dir or ROOT / "runs" / self.run_id).resolve())

    # -- the store -------------------------------------------------------------------------------------------
    def store_config(self) -> dict | None:
        """The recorder's :class:`~actors.recorder.store.StoreConfig` (a dict; the DSN stays a SecretStr)."""
        store = self.config.store
        if not store.enabled:
            return None
        return {"kind": store.kind, "run_dir": self.run_dir, "dsn": store.dsn,
                "connect_timeout_s": store.connect_timeout_s}  # fmt: skip

    def _history_config(self) -> dict | None:
        """What the API's history endpoints read: the runs root (embedded) or the DSN (postgres)."""
        if not self.config.store.enabled:
            return None
        return {"kind": self.config.store.kind, "runs_root": str(Path(self.run_dir).parent), "dsn": self.config.store.dsn}

    def check_store(self) -> None:
        """Open (and migrate) the store once in the driver, before any actor starts.

        Raises:
            StoreUnavailable: a bad DSN or an unreachable server: one clear error naming host:port, never the
                password.
        """
        from actors.recorder.store import StoreConfig, open_store

        cfg = self.store_config()
        if cfg is None:
            return
        Path(self.run_dir).mkdir(parents=True, exist_ok=True)
        store = open_store(StoreConfig.model_validate(cfg))
        try:
            store.check()
        finally:
            store.close()

    def start_recorder(self) -> None:
        """The recorder (supervised): every batch of market data, and the write-ahead of trading records."""
        from actors.recorder.actor import RecorderActor

        cfg = self.store_config()
        if cfg is None:
            return
        st = self.config.store
        self.recorder_name = self.name("recorder")
        self._start(ActorSpec("recorder", "", RecorderActor, (cfg, self.run_id),
                              {"flush_interval_s": st.flush_interval_s, "spool_max_bytes": st.spool_max_bytes,
                               "book_snapshot_interval_s": st.book_snapshot_interval_s}))  # fmt: skip
        ray.get(self.supervisor.set_recorder.remote(self.recorder_name))

    def record_session(self, phase: str, outcome: str = "") -> None:
        """A ``trading_sessions`` row (``start`` / ``end``): config digest and config with secrets removed."""
        if self.recorder_name is None:
            return
        safe = self.config.model_dump(mode="json")  # SecretStr fields dump as "**********"
        text = json.dumps(safe, sort_keys=True, default=str)
        now = time.time_ns()
        row = {"phase": phase, "config_digest": hashlib.sha256(text.encode()).hexdigest(), "config": safe,
               "ts_start": now if phase == "start" else None, "ts_end": now if phase == "end" else None,
               "outcome": outcome}  # fmt: skip
        try:
            ray.get(self.spawner.lookup(self.recorder_name).write_now.remote("trading_sessions", [row]), timeout=10)
        except Exception as exc:  # noqa: BLE001 - reported in the summary's store status
            log.warning("recording the session %s: %s", phase, exc)

    def record_health(self, supervision: dict) -> None:
        """``system_health`` rows: per supervised actor, its state and restarts (market-class, fire and forget)."""
        if self.recorder_name is None or not supervision:
            return
        now = time.time_ns()
        rows = [{"actor": name, "state": a.get("state"), "restarts": a.get("restarts", 0), "lag_ms": None,
                 "memory_mb": None, "ts": now} for name, a in supervision.items()]  # fmt: skip
        try:
            self.spawner.lookup(self.recorder_name).write_market.remote("system_health", rows)
        except Exception:  # noqa: BLE001 - the recorder is restarting: health rows are market-class
            pass

    def store_rows(self) -> dict[str, int]:
        """Rows of this run in every table, counted in the store itself (after the recorder closed)."""
        from actors.recorder.schema import COLUMNS
        from actors.recorder.store import StoreConfig, open_store

        cfg = self.store_config()
        if cfg is None:
            return {}
        store = open_store(StoreConfig.model_validate(cfg))
        try:
            return {table: store.count(table, self.run_id) for table in COLUMNS}
        finally:
            store.close()

    # -- names -----------------------------------------------------------------------------------------------
    def name(self, role: str, ident: str = "") -> str:
        return actor_name(role, ident, self.config.ray.prefix)

    def _options(self, role: str, ident: str = "", **extra) -> dict:
        return {"name": self.name(role, ident), "namespace": self.config.ray.namespace, "lifetime": "detached",
                "num_cpus": 0, **extra}  # fmt: skip

    # -- start -----------------------------------------------------------------------------------------------
    def start_ray(self) -> None:
        """Join ``ray.address`` or start a new local Ray (once per process).

        Without an address this always starts its own Ray (``address="local"``): plain ``ray.init()`` would join
        the newest cluster started on this machine with ``ray start`` (or ``RAY_ADDRESS``), and a run would then
        share names, and ``remove_leftovers``, with whatever runs there. Joining is explicit: ``--address auto``."""
        cfg = self.config.ray
        if ray.is_initialized():
            return
        kwargs = {"namespace": cfg.namespace, "log_to_driver": False}
        if cfg.address:
            ray.init(address=cfg.address, **kwargs)
        else:
            ray.init(address="local", num_cpus=cfg.num_cpus, include_dashboard=cfg.include_dashboard,
                     _metrics_export_port=cfg.metrics_export_port or None, **kwargs)
            self.started_ray = True

    def remove_leftovers(self) -> int:
        """Kill named actors of this prefix left by a run that did not tear down. Returns how many."""
        from ray.util import list_named_actors

        killed = 0
        for entry in list_named_actors(all_namespaces=True):
            if entry["namespace"] == self.config.ray.namespace and entry["name"].startswith(self.config.ray.prefix):
                try:
                    ray.kill(ray.get_actor(entry["name"], namespace=entry["namespace"]), no_restart=True)
                    killed += 1
                except ValueError:
                    pass
        return killed

    def start_replay(self) -> None:
        """One paused replay venue per venue the feeds need, sharing one replay-time origin."""
        from actors.replay.actor import ReplayVenueActor

        cfg = self.config.replay
        if not cfg.enabled:
            return
        venues = sorted({f.venue.value for f in self.config.feeds if f.ws_url is None})
        if not venues:  # e.g. only [[providers]]: nothing to replay
            return
        origins = _origins({v: _first_ts(cfg.captures[v], v) for v in venues})
        testnet = self._replay_testnet()
        for venue in venues:
            fault_log = f"{cfg.fault_log}.{venue}" if cfg.fault_log else None
            place = placement_options("replay", ray.cluster_resources())
            extra = {"testnet": testnet} if testnet is not None and venue in self._replay_testnet_venues() else {}
            handle = ReplayVenueActor.options(**self._options("replay", venue, **place)).remote(
                cfg.captures[venue], speed=cfg.speed, paused=True, origin_ns=origins[venue], faults=cfg.faults or None,
                seed=cfg.seed, fault_log=fault_log, snapshot_wait_s=cfg.snapshot_wait_s, venue=venue, **extra,
            )  # fmt: skip
            self.replay[venue] = handle
        for venue, handle in self.replay.items():
            self.replay_urls[venue] = ray.get(handle.urls.remote())

    def load_instrument_specs(self) -> None:
        """Specs (tick and lot decimals) of every feed's instruments from the venue's instrument endpoint, as a
        live feed loads them (:mod:`actors.feed.instrument_specs`; Bybit, OKX): through the replay venue, which
        serves the recording's own instrument answers, or the venue itself. Every actor that builds books or
        prices of these instruments gets them; a failure leaves the defaults, with a warning."""
        import asyncio

        from actors.feed.instrument_specs import load_specs

        for f in self.config.feeds:
            if getattr(adapter_for(f.venue), "instruments_requests", None) is None:
                continue
            urls = self.replay_urls.get(f.venue.value, {}) if f.ws_url is None else {}
            specs, error = asyncio.run(load_specs(f.venue, [s.upper() for s in f.symbols], f.rest_url or urls.get("rest")))
            if error:
                log.warning("feed %s: instrument specs: %s", f.feed_id, error)
            self.specs.update({spec.instrument_id: spec for spec in specs.values()})

    def _specs_of(self, instrument_ids) -> tuple:
        return tuple(self.specs[i] for i in instrument_ids if i in self.specs)

    def _replay_testnet_venues(self) -> set[str]:
        """Venues whose testnet endpoint is this run's replay venue (``rest_urls = {venue = "replay"}``) while a
        strategy trades in mode testnet."""
        if not any(s.mode == "testnet" for s in self.config.strategies):
            return set()
        return {v for v, u in self.config.execution.testnet.rest_urls.items() if u == "replay"}

    def _replay_testnet(self):
        """The replay venue's testnet mode (:mod:`actors.replay.testnet`): it verifies signatures with the testnet
        key pair from ``RAYTRADE_TESTNET_API_KEY`` / ``RAYTRADE_TESTNET_API_SECRET`` (as ``raytrade replay
        --testnet``); the execution actor signs with the variables ``[execution.testnet]`` names (the same by
        default; a test points them elsewhere to present a wrong secret). This loopback fake is the one actor
        given the testnet pair (a venue must know the secret to check a signature); a production key is never
        given to any actor."""
        if not self._replay_testnet_venues():
            return None
        from actors.execution.live import read_keys
        from actors.replay.testnet.config import TestnetConfig

        key, secret = read_keys(*REPLAY_TESTNET_KEY_ENV)
        return TestnetConfig(keys={key.get_secret_value(): secret.get_secret_value()})

    def start_supervisor(self) -> None:
        """The supervisor: restarted by Ray when its process dies (``max_restarts=-1``); the driver revives one
        killed for good (:meth:`revive_supervisor`). Either way it rebuilds itself from its registry record and the
        live actors (see :mod:`actors.supervision.supervisor`)."""
        self.supervisor = self._spawn_supervisor()
        ray.get(self.supervisor.register_replay.remote([self.name("replay", v) for v in self.replay]))

    def _spawn_supervisor(self):
        sup = self.config.supervisor
        return self.spawner.spawn(
            Supervisor, self.name("supervisor"), self.config.ray.prefix, self.config.ray.namespace, sup.max_deaths,
            sup.window_s, sup.base_backoff_s, sup.max_backoff_s, run_id=self.run_id,
            options={"max_restarts": -1, "max_task_retries": 0},
        )  # fmt: skip

    def revive_supervisor(self, timeout_s: float) -> bool:
        """Bring the supervisor back after a failed call: wait for Ray's restart of it, or, when no actor of its
        name is left (killed with ``no_restart``), start a new one under the same name (it recovers from the
        registry). Returns True once it answers ``supervision()``, False after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                handle = self.spawner.lookup(self.name("supervisor"))
            except ValueError:
                try:
                    handle = self._spawn_supervisor()
                    self.supervisor_revivals += 1
                except ValueError:  # the dead one's name is not released yet
                    time.sleep(0.2)
                    continue
            try:
                ray.get(handle.supervision.remote(), timeout=5)
            except Exception:  # noqa: BLE001 - still restarting, or dead: look again
                time.sleep(0.2)
                continue
            self.supervisor = handle
            return True
        return False

    def _start(self, spec: ActorSpec) -> str:
        return ray.get(self.supervisor.start.remote(spec))

    def start_trading(self) -> None:
        """Paper execution and the risk gate (both supervised)."""
        instruments = [i for f in self.config.feeds for i in f.instrument_ids()]
        ex, risk = self.config.execution, self.config.risk
        self.execution_name, self.risk_name = self.name("execution"), self.name("risk")
        paper = {k: v for k, v in ex.model_dump().items()
                 if k not in ("timer_interval_ms", "testnet", "live", "allow_live")}  # fmt: skip
        modes = {s.id: s.mode for s in self.config.strategies}
        self._start(ActorSpec("execution", "", ExecutionActor, (self.execution_name, instruments, paper),
                              {"risk_name": self.risk_name, "namespace": self.config.ray.namespace,
                               "timer_interval_ms": ex.timer_interval_ms, "recorder_name": self.recorder_name,
                               "modes": modes, "live": self.account_settings(),
                               "live_allowed": self.config.execution.allow_live and self.live_confirmed,
                               "specs": self._specs_of(instruments)}))  # fmt: skip
        # Connect the testnet / live venues now: a refused key ends the start-up here, before any order exists.
        try:
            self.accounts = ray.get(self.spawner.lookup(self.execution_name).start.remote(), timeout=60)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, RaytradeError):
                raise cause from None  # e.g. AuthenticationError: one clear error, no order was sent
            raise
        strategies = {s.id: {"allocated_capital": str(s.allocated_capital), "actor": self.name("strategy", s.id),
                             "limits": s.limits, "mode": s.mode} for s in self.config.strategies}  # fmt: skip
        limits = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in risk.model_dump().items()}
        self._start(ActorSpec("risk", "", RiskActor, (self.risk_name, instruments, limits, strategies),
                              {"execution_name": self.execution_name, "supervisor_name": self.name("supervisor"),
                               "namespace": self.config.ray.namespace, "recorder_name": self.recorder_name,
                               "validation": self.config.validation, "specs": self._specs_of(instruments)}))  # fmt: skip

    def account_settings(self) -> dict:
        """``[execution.testnet]`` / ``[execution.live]`` with ``"replay"`` URLs resolved to this run's replay
        venues (key variable names only: the execution actor reads the keys from its environment)."""
        out = self.config.execution.account_settings()
        for mode in out.values():
            mode["prefix"] = self.config.ray.prefix
            mode["rest_urls"] = {v: (self.replay_urls.get(v, {}).get("rest", "") if u == "replay" else u)
                                 for v, u in mode["rest_urls"].items()}  # fmt: skip
            mode["ws_urls"] = {v: (self.replay_urls.get(v, {}).get("ws", "") if u == "replay" else u)
                               for v, u in mode["ws_urls"].items()}  # fmt: skip
        return out

    def start_books(self) -> None:
        """Book actors: ``books.instruments_per_actor`` instruments each, in feed order (then the providers'); the
        risk gate subscribes to the exchange feeds' books, the recorder to every book."""
        traded = [i for f in self.config.feeds for i in f.instrument_ids()]
        instruments = traded + [i for p in self.config.providers for i in p.instrument_ids() if i not in traded]
        per = self.config.books.instruments_per_actor
        for n in range(0, len(instruments), per):
            group = instruments[n : n + per]
            ident = group[0] if per == 1 else f"{n // per}"
            books = self.config.books
            name = self._start(ActorSpec("book", ident, BookActor, (self.name("book", ident), group,
                                                                     books.max_in_flight_publish),
                                         {"bar_intervals": tuple(books.bar_intervals),
                                          "bar_close_grace_ms": books.bar_close_grace_ms, "fanout": books.fanout,
                                          "specs": self._specs_of(group)},
                                         instruments=tuple(group)))  # fmt: skip
            self.books[name] = self.spawner.lookup(name)
            for iid in group:
                self.book_routes[iid] = name
        for book, held in self._books_of(instruments).items():
            risk_held = [i for i in held if i in traded]
            if self.risk_name and risk_held:  # marks and freshness: a few views a second; every trade (SL/TP)
                ray.get(self.supervisor.subscribe.remote(book, self.risk_name, risk_held, 1, True, 50.0))
            if self.recorder_name:  # book_snapshots every store.book_snapshot_interval_s; every closed bar
                interval_ms = self.config.store.book_snapshot_interval_s * 1000 / 4
                ray.get(self.supervisor.subscribe.remote(book, self.recorder_name, held, 10, False, interval_ms,
                                                         tuple(self.config.books.bar_intervals)))  # fmt: skip

    def _books_of(self, instruments: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for iid in instruments:
            out.setdefault(self.book_routes[iid], []).append(iid)
        return out

    def start_strategies(self) -> None:
        """Strategy actors (supervised), each subscribed to the books holding its instruments (with trades)."""
        for s in self.config.strategies:
            name = self.name("strategy", s.id)
            self._start(ActorSpec("strategy", s.id, StrategyActor, (name, s.id, s.kind, s.instruments, s.params),
                                  {"allocated_capital": str(s.allocated_capital), "mode": s.mode,
                                   "risk_name": self.risk_name, "execution_name": self.execution_name,
                                   "namespace": self.config.ray.namespace, "enabled": s.enabled,
                                   "recorder_name": self.recorder_name, "specs": self._specs_of(s.instruments)}))  # fmt: skip
            handle = self.strategies[name] = self.spawner.lookup(name)
            trades = ray.get(handle.wants_trades.remote())
            bars = tuple(ray.get(handle.wants_bars.remote()))
            for book, held in self._books_of(list(s.instruments)).items():
                ray.get(self.supervisor.subscribe.remote(book, name, held, self.config.books.publish_depth, trades,
                                                         0.0, bars))  # fmt: skip

    def start_feeds(self) -> None:
        """Every feed, through the supervisor; each batch also goes to paper execution (by ObjectRef)."""
        subscribers = tuple(n for n in (self.execution_name, self.recorder_name) if n)
        for f in self.config.feeds:
            adapter = adapter_for(f.venue)
            urls = self.replay_urls.get(f.venue.value, {}) if f.ws_url is None else {}
            plans = adapter.connections([s.upper() for s in f.symbols], f.ws_url or urls.get("ws"), f.streams or None)
            if len(plans) != 1:
                raise ConfigError(f"feed {f.feed_id}: {len(plans)} connections needed; split its symbols over feeds")
            spec = FeedSpec(
                feed_id=f.feed_id, venue=f.venue.value, symbols=tuple(s.upper() for s in f.symbols),
                ws_url=plans[0].url, rest_url=f.rest_url or urls.get("rest"), subscribe=plans[0].subscribe,
                ping_frame=plans[0].ping_frame, ping_interval_s=plans[0].ping_interval_s,
                book_actors={i: self.book_routes[i] for i in f.instrument_ids()}, market_subscribers=subscribers,
                redeliver_to=(self.recorder_name,) if self.recorder_name else (), recorder_name=self.recorder_name,
                raw_dir=self.run_dir if self.config.store.record_raw and self.run_dir else None,
                subscriber_kinds={k: v for k, v in {
                    self.execution_name: ("BookDeltas", "BookSnapshot", "BookReset", "Trade"),  # the fill model
                    self.recorder_name: ("Trade", "Quote"),  # trades and quotes tables
                }.items() if k},
                namespace=self.config.ray.namespace, flush_interval_ms=f.flush_interval_ms,
                batch_max_events=f.batch_max_events, max_in_flight=f.max_in_flight,
                stale_after_ms=f.stale_after_ms, snapshot_limit=f.snapshot_limit, seed=self.config.replay.seed,
                validation=self.config.validation,
                instrument_specs=self._specs_of(f.instrument_ids()),
            )  # fmt: skip
            ray.get(self.supervisor.start_feed.remote(spec))

    def start_providers(self) -> None:
        """Each ``[[providers]]`` feed (supervised like a feed); with replay on and no ``ws_url``, its loopback fake
        first (``actors/replay/providers/polygon.py``, an actor of the run, serving documentation fixtures)."""
        import secrets

        from pydantic import SecretStr

        from actors.feed.venues.polygon import WS_BASE_URL
        from actors.providers.feed import ProviderFeedActor, ProviderFeedSpec
        from actors.replay.providers.polygon import PolygonFake

        for p in self.config.providers:
            url = p.ws_url
            if url is None and self.config.replay.enabled:
                # the loopback fake and the feed share a throwaway key: the user's key never goes to the fake
                key = SecretStr(secrets.token_hex(8))
                fake = self.spawner.spawn(PolygonFake, self.name("provider-fake", p.provider_id),
                                          api_key=key.get_secret_value(), cycles=p.fake_cycles)  # fmt: skip
                url = f"{ray.get(fake.start.remote(), timeout=30)['ws']}/{p.market}"
            elif p.api_key is not None and p.api_key.get_secret_value() == os.environ.get(p.api_key_env):
                key = None  # from the environment: the actor reads it on its node, it is never an actor argument
            else:
                key = p.api_key  # written in the config file itself
            spec = ProviderFeedSpec(
                provider_id=p.provider_id, kind=p.kind, market=p.market, url=url or WS_BASE_URL[p.market],
                channels=tuple(p.channel_names()), api_key_env=p.api_key_env, api_key=key,
                book_actors={i: self.book_routes[i] for i in p.instrument_ids()},
                market_subscribers=(self.recorder_name,) if self.recorder_name else (),
                recorder_name=self.recorder_name, namespace=self.config.ray.namespace,
            )  # fmt: skip
            self._start(ActorSpec("feed", p.provider_id, ProviderFeedActor, (spec,), instruments=tuple(spec.book_actors)))

    def start_api(self) -> None:
        """The Serve app (FastAPI ingress, replicas with ``num_cpus=0``)."""
        cfg = self.config.api
        if not cfg.enabled:
            return
        from ray import serve

        from serve.app import build_app

        token = self.config.api_token.get_secret_value() if self.config.api_token else None
        digest = hashlib.sha256(token.encode()).hexdigest() if token else None
        # One HTTP proxy, on the head node (the API's address; proxies on other nodes would also bind the port)
        serve.start(proxy_location="HeadOnly", http_options={"host": cfg.host, "port": cfg.port})
        app = build_app(self.name("supervisor"), self.config.ray.namespace, digest, self.risk_name,
                        self.execution_name, self.config.ray.prefix, self.config.books.publish_depth,
                        self.recorder_name, self._history_config(), self.run_id, tuple(self.specs.values()))  # fmt: skip
        serve.run(app, name="raytrade",
                  route_prefix="/", blocking=False)  # fmt: skip
        self.api_url = f"http://{cfg.host}:{cfg.port}"

    def wait_feeds_connected(self, timeout_s: float = 30.0) -> bool:
        """Wait until every replay venue has a subscribed client (the feeds are connected)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            statuses = ray.get([h.status.remote() for h in self.replay.values()])
            if all(s["clients"] for s in statuses):
                return True
            time.sleep(0.05)
        return False

    def start_clocks(self, delay_s: float = 0.3) -> None:
        """Start every replay clock at one wall time (aligned on the shared origin)."""
        at = time.time_ns() + int(delay_s * 1e9)
        ray.get([h.start.remote(at) for h in self.replay.values()])

    # -- teardown --------------------------------------------------------------------------------------------
    def _close_records(self) -> None:
        """After the feeds stopped: write what execution and the risk gate still hold, then close the recorder."""
        if self.recorder_name is None:
            return
        for name in (self.execution_name, self.risk_name):
            try:
                ray.get(self.spawner.lookup(name).flush_records.remote(), timeout=30)
            except Exception as exc:  # noqa: BLE001 - reported through the recorder's counts
                log.warning("flushing %s: %s", name, exc)
        self.record_session("end", "finished")
        try:
            self.recorder_final = ray.get(self.spawner.lookup(self.recorder_name).close.remote(), timeout=60)
        except Exception as exc:  # noqa: BLE001
            self.recorder_final = {"error": f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"}


    def teardown(self) -> dict:
        """Stop feeds cleanly, then remove every actor of the run and the API; returns the feeds' final status."""
        finals = {}
        if self.supervisor is not None:
            try:
                finals = ray.get(self.supervisor.stop_feeds.remote(), timeout=30)
            except Exception as exc:  # noqa: BLE001 - teardown goes on regardless
                log.warning("stopping feeds: %s", exc)
            self._close_records()
            try:
                ray.get(self.supervisor.stop_all.remote(), timeout=30)
            except Exception as exc:  # noqa: BLE001
                log.warning("stopping actors: %s", exc)
        for handle in self.replay.values():
            try:
                ray.get(handle.stop.remote(), timeout=10)
            except Exception:  # noqa: BLE001
                pass
        if self.api_url is not None:
            from ray import serve

            try:
                serve.shutdown()
            except Exception:  # noqa: BLE001
                pass
        for handle in [*self.replay.values(), self.supervisor]:
            if handle is not None:
                try:
                    ray.kill(handle, no_restart=True)
                except Exception:  # noqa: BLE001
                    pass
        try:  # whatever is left of the run by name (a dead supervisor cannot stop its actors; --address auto)
            if ray.is_initialized():
                self.remove_leftovers()
        except Exception as exc:  # noqa: BLE001
            log.warning("removing the run's actors: %s", exc)
        if self.started_ray:
            ray.shutdown()
        return finals


def new_run_id() -> str:
    """``YYYYMMDDTHHMMSSZ-<6 hex>``: sortable by start time, unique across concurrent runs."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


_ALIGN_WITHIN_NS = 3600 * 10**9


def _origins(firsts: dict[str, int]) -> dict[str, int]:
    """One replay-time origin per venue. Recordings that start within an hour of each other were recorded together
    (the bundled Binance spot, USD-M and COIN-M captures start within 3 s): they share the earliest first record
    and stay aligned. A recording of another day starts at its own first record, so captures of different dates
    run side by side instead of one waiting for the other's date."""
    origins: dict[str, int] = {}
    group_start = None
    for venue, first in sorted(firsts.items(), key=lambda kv: kv[1]):
        if group_start is None or first - group_start > _ALIGN_WITHIN_NS:
            group_start = first
        origins[venue] = group_start
    return origins


def _first_ts(paths: list[str], venue: str | None = None) -> int:
    """The first recorder timestamp (ns) of a capture group (of ``venue``'s recording when the files hold several)."""
    first = None
    recordings = read_recordings(paths)
    if venue is not None and len(recordings) > 1:
        recordings = [r for r in recordings if r.venue.value == venue]
    for recording in recordings:
        ts = next(iter(recording.records())).ts_recv
        first = ts if first is None else min(first, ts)
    if first is None:
        raise ValueError(f"empty capture: {paths}")
    return first
