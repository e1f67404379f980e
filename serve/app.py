"""The HTTP control/query API: Ray Serve with a FastAPI ingress, talking to the run's named actors.

Endpoints (OpenAPI at ``/docs``):

* ``GET /health`` — liveness.
* ``GET /status`` — every actor of the run (from the supervisor): role, state, restarts, circuit, last frame
  age, books ready, latency.
* ``GET /books/{instrument_id}?depth=N`` — the book view (404 for an unknown instrument, 422 for a bad depth).
* ``GET /trades/{instrument_id}?limit=N`` — the last trades.
* ``POST /feeds/{feed_id}/restart`` — bearer token required (401 otherwise); 404 for an unknown feed.

Replicas use ``num_cpus=0`` (they only forward calls). Errors from dead actors become 503 with a clear message.
"""

import asyncio
from typing import Annotated

import ray
from fastapi import FastAPI, HTTPException, Path, Query, Request
from ray import serve

from serve.auth import TokenCheck
from serve.schemas import BookResponse, Health, RestartResponse, TradeModel, TradesResponse

__all__ = ["ApiServer", "build_app"]

api = FastAPI(title="raytrade", description="Control and query API of a raytrade run", version="0.1.0")
# No ``from __future__ import annotations`` here: FastAPI must see these annotations as objects.
InstrumentIdPath = Annotated[
    str, Path(description="SYMBOL.VENUE, e.g. BTCUSDT.BINANCE", pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_]+$")
]
FeedIdPath = Annotated[str, Path(description="A feed id, e.g. binance-spot", pattern=r"^[A-Za-z0-9_\-]+$")]


@serve.deployment(ray_actor_options={"num_cpus": 0}, num_replicas=1)
@serve.ingress(api)
class ApiServer:
    """Args: supervisor_name, namespace, token_digest (SHA-256 of the API token or None)."""

    def __init__(self, supervisor_name: str, namespace: str, token_digest: str | None) -> None:
        self.supervisor_name = supervisor_name
        self.namespace = namespace
        self.require_token = TokenCheck(token_digest)

    def _actor(self, name: str):
        try:
            return ray.get_actor(name, namespace=self.namespace)
        except ValueError:
            raise HTTPException(503, detail=f"actor {name!r} is not running") from None

    async def _call(self, ref, what: str):
        try:
            return await asyncio.wait_for(ref, timeout=10)
        except asyncio.TimeoutError:
            raise HTTPException(503, detail=f"{what}: no answer within 10 s") from None
        except ray.exceptions.RayActorError as exc:
            raise HTTPException(503, detail=f"{what}: actor died ({type(exc).__name__})") from None

    async def _book_actor(self, instrument_id: str):
        supervisor = self._actor(self.supervisor_name)
        name = await self._call(supervisor.book_actor_for.remote(instrument_id), "supervisor")
        if name is None:
            raise HTTPException(404, detail=f"unknown instrument_id {instrument_id!r} (not in this run)")
        return self._actor(name)

    @api.get("/health", response_model=Health)
    async def health(self) -> Health:
        return Health()

    @api.get("/status")
    async def status(self) -> dict:
        supervisor = self._actor(self.supervisor_name)
        return await self._call(supervisor.status.remote(), "supervisor")

    @api.get("/books/{instrument_id}", response_model=BookResponse)
    async def book(
        self,
        instrument_id: InstrumentIdPath,
        depth: Annotated[int, Query(ge=1, le=5000, description="Levels per side")] = 10,
    ) -> BookResponse:
        actor = await self._book_actor(instrument_id)
        view = await self._call(actor.view.remote(instrument_id, depth), "book")
        return BookResponse.from_view(view)

    @api.get("/trades/{instrument_id}", response_model=TradesResponse)
    async def trades(
        self,
        instrument_id: InstrumentIdPath,
        limit: Annotated[int, Query(ge=1, le=1000, description="Most recent trades")] = 100,
    ) -> TradesResponse:
        actor = await self._book_actor(instrument_id)
        trades = await self._call(actor.trades.remote(instrument_id, limit), "book")
        return TradesResponse(instrument_id=instrument_id, trades=[TradeModel.from_trade(t) for t in trades])

    @api.post("/feeds/{feed_id}/restart", response_model=RestartResponse)
    async def restart_feed(
        self, feed_id: FeedIdPath, request: Request
    ) -> RestartResponse:
        self.require_token(request)  # 401 unless a valid bearer token
        supervisor = self._actor(self.supervisor_name)
        feeds = await self._call(supervisor.feed_ids.remote(), "supervisor")
        if feed_id not in feeds:
            raise HTTPException(404, detail=f"unknown feed_id {feed_id!r}; feeds: {sorted(feeds)}")
        result = await self._call(supervisor.restart_feed.remote(feed_id), "supervisor")
        return RestartResponse(**result)


def build_app(supervisor_name: str, namespace: str, token_digest: str | None):
    """The Serve application to ``serve.run``."""
    return ApiServer.bind(supervisor_name, namespace, token_digest)
