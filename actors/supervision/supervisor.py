"""Supervisor: starts feed actors, notices a dead one at once, restarts it with backoff, opens a circuit after K
deaths in a window, and answers ``/status``. Supervision only: portfolio risk is the RiskActor (actors/risk/).

Death detection: the supervisor keeps each feed's long-running ``run()`` call outstanding; when the actor process
dies (crash, OOM, ``ray.kill``) that call fails with ``RayActorError`` immediately, so no polling delay. The
restart policy (:class:`~actors.supervision.restarts.RestartPolicy`) decides the backoff or opens the circuit; an
operator's ``restart_feed`` closes the circuit and restarts at once (not counted as a death). When a feed dies its
books are reset at once (``BookReset`` reason ``"feed_dead"``): a book nobody updates must not look live. The new
feed resyncs them from REST snapshots.

Feed actors are named (``<prefix>feed-<feed_id>``) and detached, like every actor a run starts, so they survive
a driver exit; ``stop_feeds`` and the run's teardown remove them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import ray

from actors.feed.actor import FeedActor, FeedSpec
from actors.messages import BookReset, EventBatch
from actors.supervision.restarts import RestartPolicy

__all__ = ["Supervisor"]

log = logging.getLogger(__name__)


@dataclass
class _Feed:
    spec: FeedSpec
    policy: RestartPolicy
    handle: object = None
    task: asyncio.Task | None = None
    state: str = "starting"  # running | restarting | circuit_open | stopped
    planned_restart: bool = False
    deaths: int = 0
    last_death: str | None = None
    started_at_ns: list[int] = field(default_factory=list)


class Supervisor:
    """Args: prefix (actor-name prefix), namespace, restart policy settings, Ray options for feed actors."""

    def __init__(self, prefix: str = "raytrade-", namespace: str = "raytrade", max_deaths: int = 5,
                 window_s: float = 60.0, base_backoff_s: float = 0.2, max_backoff_s: float = 10.0,
                 feed_options: dict | None = None) -> None:  # fmt: skip
        self.prefix = prefix
        self.namespace = namespace
        self._policy_args = dict(max_deaths=max_deaths, window_s=window_s, base_backoff_s=base_backoff_s,
                                 max_backoff_s=max_backoff_s)  # fmt: skip
        self._feed_options = {"num_cpus": 0, "max_restarts": 0, **(feed_options or {})}
        self.feeds: dict[str, _Feed] = {}
        self.book_routes: dict[str, str] = {}  # instrument_id -> book actor name
        self.strategy_names: list[str] = []
        self.replay_names: list[str] = []

    # -- registration ----------------------------------------------------------------------------------------
    def register(self, book_routes: dict[str, str], strategy_names: list[str], replay_names: list[str]) -> None:
        """Tell the supervisor which book, strategy and replay actors belong to the run (for status and API)."""
        self.book_routes.update(book_routes)
        self.strategy_names = list(strategy_names)
        self.replay_names = list(replay_names)

    def book_actor_for(self, instrument_id: str) -> str | None:
        """The name of the book actor holding ``instrument_id``, or None."""
        return self.book_routes.get(instrument_id)

    def feed_ids(self) -> list[str]:
        """Supervised feed ids."""
        return list(self.feeds)

    # -- feeds -----------------------------------------------------------------------------------------------
    async def start_feed(self, spec: FeedSpec) -> str:
        """Create the feed actor and watch it. Returns its actor name."""
        feed = self.feeds[spec.feed_id] = _Feed(spec, RestartPolicy(**self._policy_args))
        await self._spawn(feed)
        feed.task = asyncio.ensure_future(self._watch(feed))
        return self._name(spec.feed_id)

    async def restart_feed(self, feed_id: str) -> dict:
        """Operator restart: close the circuit and restart now (a running feed is killed first).

        Raises:
            KeyError: unknown feed id.
        """
        feed = self.feeds[feed_id]
        feed.policy.reset()
        if feed.state in ("running", "starting"):
            feed.planned_restart = True
            ray.kill(feed.handle, no_restart=True)
        elif feed.state == "circuit_open":
            await self._spawn(feed)
            feed.task = asyncio.ensure_future(self._watch(feed))
        return {"feed_id": feed_id, "state": feed.state, "restarts": feed.policy.restarts}

    async def stop_feeds(self, timeout_s: float = 10.0) -> dict:
        """Stop every feed cleanly (last batches acknowledged), then remove the actors. Returns final statuses."""
        finals = {}
        for feed in self.feeds.values():
            feed.state = "stopped"
        stops = [f.handle.stop.remote() for f in self.feeds.values() if f.handle is not None]
        if stops:
            await asyncio.wait([asyncio.ensure_future(_await(r)) for r in stops], timeout=timeout_s)
        for feed_id, feed in self.feeds.items():
            try:
                finals[feed_id] = await asyncio.wait_for(_await(feed.handle.status.remote()), timeout=2)
            except Exception as exc:  # noqa: BLE001 - a dead feed has no final status
                finals[feed_id] = {"state": "dead", "error": str(exc)}
            if feed.task is not None:
                feed.task.cancel()
            try:
                ray.kill(feed.handle, no_restart=True)
            except Exception:  # noqa: BLE001
                pass
        return finals

    # -- status ----------------------------------------------------------------------------------------------
    async def status(self) -> dict:
        """Every actor of the run: feeds (state, restarts, circuit, connection), books, strategies, replay."""
        feeds = {}
        for feed_id, feed in self.feeds.items():
            info = {"role": "feed", "state": feed.state, "restarts": feed.policy.restarts, "deaths": feed.deaths,
                    "circuit": feed.policy.state.value, "last_death": feed.last_death}  # fmt: skip
            if feed.state in ("running", "starting"):
                try:
                    info.update(await asyncio.wait_for(_await(feed.handle.status.remote()), timeout=2), state=feed.state)
                except Exception as exc:  # noqa: BLE001
                    info["status_error"] = str(exc)
            feeds[feed_id] = info
        return {
            "feeds": feeds,
            "books": await self._gather(sorted(set(self.book_routes.values())), "stats"),
            "strategies": await self._gather(self.strategy_names, "summary"),
            "replay": await self._gather(self.replay_names, "status"),
        }

    async def _gather(self, names: list[str], method: str) -> dict:
        out = {}
        for name in names:
            try:
                handle = ray.get_actor(name, namespace=self.namespace)
                out[name] = await asyncio.wait_for(_await(getattr(handle, method).remote()), timeout=5)
            except Exception as exc:  # noqa: BLE001 - report, never fail the status call
                out[name] = {"state": "unreachable", "error": f"{type(exc).__name__}: {exc}"}
        return out

    # -- internals -------------------------------------------------------------------------------------------
    def _name(self, feed_id: str) -> str:
        return f"{self.prefix}feed-{feed_id}"

    async def _spawn(self, feed: _Feed) -> None:
        cls = ray.remote(FeedActor)
        for attempt in range(50):
            try:
                feed.handle = cls.options(
                    name=self._name(feed.spec.feed_id), namespace=self.namespace, lifetime="detached",
                    **self._feed_options,
                ).remote(feed.spec)  # fmt: skip
                break
            except ValueError:  # the dead actor's name is not released yet
                await asyncio.sleep(0.05 * (attempt + 1))
        feed.state = "running"
        feed.started_at_ns.append(time.time_ns())

    async def _watch(self, feed: _Feed) -> None:
        while True:
            try:
                await _await(feed.handle.run.remote())
                if feed.state == "stopped":
                    return
                reason = "run() returned"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - RayActorError (death) or the feed's own crash
                if feed.state == "stopped":
                    return
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            if feed.planned_restart:
                feed.planned_restart = False
                await self._spawn(feed)
                continue
            feed.deaths += 1
            feed.last_death = reason
            try:
                ray.kill(feed.handle, no_restart=True)
            except Exception:  # noqa: BLE001
                pass
            await self._reset_books(feed, "feed_dead")  # a dead feed's books must not look live
            delay = feed.policy.on_death(time.monotonic())
            if delay is None:
                feed.state = "circuit_open"
                log.error("feed %s: circuit open after %d deaths", feed.spec.feed_id, len(feed.policy.deaths))
                return
            feed.state = "restarting"
            await asyncio.sleep(delay)
            if feed.state == "stopped":
                return
            await self._spawn(feed)


    async def _reset_books(self, feed: _Feed, reason: str) -> None:
        now = time.time_ns()
        by_book: dict[str, list] = {}
        for iid, name in feed.spec.book_actors.items():
            by_book.setdefault(name, []).append(BookReset(iid, reason, now))
        for name, events in by_book.items():
            try:
                book = ray.get_actor(name, namespace=self.namespace)
                await _await(book.apply.remote(EventBatch(f"supervisor:{feed.spec.feed_id}", tuple(events), now)))
            except Exception as exc:  # noqa: BLE001 - a dead book is the book's supervisor's problem
                log.warning("could not reset book %s: %s", name, exc)


async def _await(ref):
    return await ref

