"""The HTTP control/query API: Ray Serve with a FastAPI ingress, talking to the run's named actors.

Endpoints (OpenAPI at ``/docs``):

* ``GET /health`` — liveness.
* ``GET /status`` — every actor of the run (from the supervisor): role, state, restarts, circuit, last frame
  age, books ready, latency; the node each actor runs on (``supervision.<name>.node_id`` / ``node_ip``, and
  ``nodes``: every live actor of the run, supervised or not).
* ``GET /books/{instrument_id}?depth=N`` — the book view (404 for an unknown instrument, 422 for a bad depth).
* ``GET /trades/{instrument_id}?limit=N`` — the last trades.
* ``GET /bars/{instrument_id}?interval=1m&limit=N`` — the last bars (the open one last, ``closed`` false).
* ``POST /feeds/{feed_id}/restart`` — bearer token required (401 otherwise); 404 for an unknown feed.
* Trading (:mod:`serve.trading` holds the handlers): ``GET/POST /strategies``, ``GET/PATCH /strategies/{id}``,
  ``POST /strategies/{id}/stop|start``, ``GET /strategies/{id}/signals``, ``POST /orders`` (a manual order through
  the risk gate), ``DELETE /orders/{client_order_id}``, ``GET /orders``, ``GET /fills``, ``GET /positions``,
  ``GET /portfolio``, ``GET /performance``, ``GET /risk``, ``POST /risk/kill``, ``POST /risk/reset``,
  ``PATCH /risk/limits``.
* History (:mod:`serve.history`, read from the store): ``GET /runs``, ``GET /runs/{run_id}/{table}?limit&offset&
  since_ns&until_ns`` (orders, fills, positions, signals, risk_events, system_alerts, feed_events, ...),
  ``POST /alerts/{row_key}/ack`` (token).
* ``GET /stream`` — the live, server-side conflated server-sent-event stream of the GET routes' JSON
  (:mod:`serve.stream`); ``/ui`` — the dashboard (static files built from ``serve/ui/``, it reads only this API).

Every mutation needs ``Authorization: Bearer <token>`` (401 otherwise). Bad input: 422 naming the field; unknown
ids: 404; a dead or silent actor: 503 naming its role. Replicas use ``num_cpus=0`` (they only forward calls).

Audit: every mutation (POST / PATCH / DELETE) that reaches its handler, allowed or refused (401, 404, 422 from the
handler's own checks; a body FastAPI refuses before the handler runs is not), is written to ``audit_log`` (who: the
first 12 hex digits of the presented token's SHA-256, never the token; what: method and path; when; result: the
HTTP status) and committed before the response is sent (write-ahead). If the recorder cannot take it, the response
is still sent and the failure is logged (the API must stay usable to stop trading when storage is down).
"""

import asyncio
import functools
import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Annotated, Literal

import ray
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from ray import serve

from actors.instruments import InstrumentSpec

from serve import stream, trading
from serve.history import History, UnknownRun, UnknownTable
from serve.auth import TokenCheck
from serve.schemas import (
    BarModel,
    BarsResponse,
    BookResponse,
    Health,
    IntentResult,
    KillRequest,
    LimitsPatch,
    OrderCreate,
    RestartResponse,
    StrategyCreate,
    StrategyPatch,
    TradeModel,
    TradesResponse,
)

__all__ = ["ApiServer", "build_app"]

api = FastAPI(
    title="raytrade", description="Control and query API of a raytrade run", version="0.1.0",
    responses={404: {"description": "Unknown instrument, feed, strategy, order, run or table"},
               503: {"description": "The actor behind the endpoint is down or did not answer (its role is named)"}},
)  # fmt: skip
# Documents the bearer scheme in OpenAPI; the check itself is TokenCheck (constant-time against a SHA-256 digest).
_SECURED = [Depends(HTTPBearer(auto_error=False, description="RAYTRADE_API_TOKEN"))]
_UNAUTHORIZED = {401: {"description": "Missing or invalid bearer token (or no token configured on the server)"}}
log = logging.getLogger(__name__)
UI_DIR = __import__("pathlib").Path(__file__).parent / "ui" / "static"
api.mount("/ui", StaticFiles(directory=UI_DIR, html=True, check_dir=False), name="ui")


def audited(fn):
    """Write the mutation to ``audit_log`` (who, what, when, the HTTP status) before its response goes out."""

    @functools.wraps(fn)
    async def wrapper(self, *args, **kwargs):
        status = 500
        try:
            result = await fn(self, *args, **kwargs)
            status = 201 if fn.__name__ == "create_strategy" else 200
            return result
        except HTTPException as exc:
            status = exc.status_code
            raise
        finally:
            await self._audit(kwargs.get("request"), status)

    return wrapper
# No ``from __future__ import annotations`` here: FastAPI must see these annotations as objects.
InstrumentIdPath = Annotated[
    str, Path(description="SYMBOL.VENUE, e.g. BTCUSDT.BINANCE (a Polygon ticker keeps its prefix: X:BTCUSD.POLYGON)",
              pattern=r"^[A-Za-z0-9_\-:]+\.[A-Za-z0-9_]+$"),
]
FeedIdPath = Annotated[str, Path(description="A feed id, e.g. binance-spot", pattern=r"^[A-Za-z0-9_\-]+$")]
StrategyIdPath = Annotated[str, Path(description="A strategy id, e.g. mm-1", pattern=r"^[A-Za-z0-9_\-]+$")]
OrderIdPath = Annotated[str, Path(description="A client order id", pattern=r"^[A-Za-z0-9_\-]{1,80}$")]


# max_ongoing_requests: every open dashboard holds one long-lived GET /stream; Serve's default (5) would let a few
# tabs starve the API. The handlers are async and only forward calls, so many at once are cheap.
@serve.deployment(ray_actor_options={"num_cpus": 0}, num_replicas=1, max_ongoing_requests=256)
@serve.ingress(api)
class ApiServer:
    """Args: supervisor_name, namespace, token_digest (SHA-256 of the API token or None), names of the risk gate
    and execution actors, prefix of actor names, publish depth for new strategies' subscriptions."""

    def __init__(self, supervisor_name: str, namespace: str, token_digest: str | None, risk_name: str | None = None,
                 execution_name: str | None = None, prefix: str = "", publish_depth: int = 10,
                 recorder_name: str | None = None, store: dict | None = None, run_id: str | None = None,
                 specs: Sequence[InstrumentSpec] = ()) -> None:  # fmt: skip
        self.recorder_name = recorder_name
        self.specs = {s.instrument_id: s for s in specs}  # loaded from the venues at start-up (manual orders)
        self.history = History(store["kind"], store.get("runs_root"), store.get("dsn")) if store else None
        self.run_id = run_id
        self.supervisor_name = supervisor_name
        self.namespace = namespace
        self.require_token = TokenCheck(token_digest)
        self.names = {"supervisor": supervisor_name, "risk": risk_name, "execution": execution_name}
        self.prefix = prefix
        self.publish_depth = publish_depth
        self.hub = stream.StreamHub(stream.api_topics(self))

    def _actor(self, name: str | None, role: str = "actor"):
        if name is None:
            raise HTTPException(503, detail=f"{role}: not part of this run")
        try:
            return ray.get_actor(name, namespace=self.namespace)
        except ValueError:
            raise HTTPException(503, detail=f"{role} ({name}) is not running") from None

    def role(self, role: str):
        """The handle of the run's ``supervisor`` / ``risk`` / ``execution`` actor (503 naming the role if down)."""
        return self._actor(self.names[role], role)

    async def _audit(self, request: Request | None, status: int) -> None:
        if self.recorder_name is None or request is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        who = hashlib.sha256(token.strip().encode()).hexdigest()[:12] if scheme.lower() == "bearer" and token else "none"
        row = {"token_id": who, "action": request.method, "target": request.url.path,
               "detail": request.url.query or "", "result": str(status), "ts": time.time_ns()}  # fmt: skip
        try:
            handle = ray.get_actor(self.recorder_name, namespace=self.namespace)
            await asyncio.wait_for(handle.write_now.remote("audit_log", [row]), timeout=5)
        except Exception as exc:  # noqa: BLE001 - stay usable (the kill switch must work when storage is down)
            log.error("audit record not stored: %s", exc)

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
        status = await self._call(supervisor.status.remote(), "supervisor")
        try:  # where each actor runs (node id and IP), from the GCS actor table
            from actors.remote import actor_nodes

            nodes = await asyncio.to_thread(actor_nodes, self.prefix, self.namespace)
        except Exception:  # noqa: BLE001 - the status itself matters more than its node column
            nodes = {}
        status["nodes"] = nodes
        for name, entry in status.get("supervision", {}).items():
            entry.update({k: nodes.get(name, {}).get(k) for k in ("node_id", "node_ip")})
        return status

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

    @api.get("/bars/{instrument_id}", response_model=BarsResponse)
    async def bars(
        self,
        instrument_id: InstrumentIdPath,
        interval: Annotated[Literal["1s", "1m", "5m", "15m", "1h", "4h", "1d"], Query(description="Bar interval")] = "1m",
        limit: Annotated[int, Query(ge=1, le=1000, description="Most recent bars")] = 100,
    ) -> BarsResponse:
        actor = await self._book_actor(instrument_id)
        bars = await self._call(actor.bars.remote(instrument_id, interval, limit), "book")
        return BarsResponse(instrument_id=instrument_id, interval=interval,
                            bars=[BarModel(**b.to_dict()) for b in bars])  # fmt: skip

    @api.post("/feeds/{feed_id}/restart", dependencies=_SECURED, response_model=RestartResponse, responses=_UNAUTHORIZED)
    @audited
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


    @api.get("/stream", response_class=StreamingResponse, responses=stream.OPENAPI_RESPONSES)
    async def live_stream(
        self,
        topics: Annotated[str | None, Query(pattern=r"^[a-z_]+(,[a-z_]+)*$", description="Comma-separated topics "
                                            "(default: all): " + ", ".join(stream.TOPICS))] = None,  # fmt: skip
    ) -> StreamingResponse:
        """Server-sent events: each topic's GET route JSON when it changed, conflated on the server (see the
        200 response for the event names)."""
        return stream.response(self.hub, topics)

    # -- trading -------------------------------------------------------------------------------------------
    @api.get("/strategies")
    async def list_strategies(self) -> dict:
        """Every strategy instance (state, counters) and the kinds that can be started."""
        return await trading.list_strategies(self)

    @api.post("/strategies", dependencies=_SECURED, status_code=201, responses={401: {}, 409: {}, 422: {}, 503: {}})
    @audited
    async def create_strategy(self, body: StrategyCreate, request: Request) -> dict:
        """Start a new strategy instance (a new StrategyActor, supervised, subscribed to its books)."""
        self.require_token(request)
        return await trading.create_strategy(self, body)

    @api.get("/strategies/{strategy_id}", responses={404: {}, 503: {}})
    async def get_strategy(self, strategy_id: StrategyIdPath) -> dict:
        """State, parameters, positions and performance of one instance."""
        return await trading.get_strategy(self, strategy_id)

    @api.patch("/strategies/{strategy_id}", dependencies=_SECURED, responses={401: {}, 404: {}, 422: {}, 503: {}})
    @audited
    async def patch_strategy(self, strategy_id: StrategyIdPath, body: StrategyPatch, request: Request) -> dict:
        """Change parameters (validated by the kind's model; 422 names the field)."""
        self.require_token(request)
        return await trading.patch_strategy(self, strategy_id, body.params)

    @api.post("/strategies/{strategy_id}/stop", dependencies=_SECURED, responses={401: {}, 404: {}, 503: {}})
    @audited
    async def stop_strategy(self, strategy_id: StrategyIdPath, request: Request) -> dict:
        """Stop submitting and cancel the instance's open orders."""
        self.require_token(request)
        return await trading.control_strategy(self, strategy_id, "stop")

    @api.post("/strategies/{strategy_id}/start", dependencies=_SECURED, responses={401: {}, 404: {}, 503: {}})
    @audited
    async def start_strategy(self, strategy_id: StrategyIdPath, request: Request) -> dict:
        """Resume a stopped instance."""
        self.require_token(request)
        return await trading.control_strategy(self, strategy_id, "start")

    @api.get("/strategies/{strategy_id}/signals", responses={404: {}, 503: {}})
    async def strategy_signals(
        self, strategy_id: StrategyIdPath, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
    ) -> dict:
        """The instance's most recent signals (newest last)."""
        return await trading.strategy_signals(self, strategy_id, limit)

    @api.post("/orders", dependencies=_SECURED, response_model=IntentResult, responses={401: {}, 422: {}, 503: {}})
    @audited
    async def create_order(self, body: OrderCreate, request: Request) -> IntentResult:
        """A manual order: through the risk gate (rejections carry the rule's reason), then execution."""
        self.require_token(request)
        return IntentResult(**await trading.create_order(self, body))

    @api.delete("/orders/{client_order_id}", dependencies=_SECURED, response_model=IntentResult, responses={401: {}, 404: {}, 503: {}})
    @audited
    async def cancel_order(self, client_order_id: OrderIdPath, request: Request) -> IntentResult:
        """Cancel an open order (through the risk gate, which always lets a cancel pass)."""
        self.require_token(request)
        return IntentResult(**await trading.cancel_order(self, client_order_id))

    @api.get("/orders", responses={503: {}})
    async def list_orders(
        self,
        status: Annotated[str | None, Query(pattern=r"^(open|closed)$")] = None,
        strategy: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_\-]+$")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> dict:
        """Orders (latest state each), filtered by status and strategy."""
        orders = await self._call(self.role("execution").orders.remote(strategy, status, limit), "execution")
        return {"orders": [o.to_json() for o in orders]}

    @api.get("/fills", responses={503: {}})
    async def list_fills(
        self,
        strategy: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_\-]+$")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> dict:
        """Fills, oldest first."""
        fills = await self._call(self.role("execution").fills.remote(strategy, limit), "execution")
        return {"fills": [f.to_json() for f in fills]}

    @api.get("/positions", responses={503: {}})
    async def list_positions(self, strategy: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_\-]+$")] = None) -> dict:
        """Positions per strategy and instrument (exact decimal strings)."""
        return await trading.positions(self, strategy)

    @api.get("/portfolio", responses={503: {}})
    async def get_portfolio(self) -> dict:
        """Equity, balances, realized / unrealized PnL and fees (USD)."""
        return await self._call(self.role("risk").portfolio_summary.remote(), "risk")

    @api.get("/performance", responses={503: {}})
    async def get_performance(self) -> dict:
        """Performance analytics per strategy and in total."""
        return await trading.performance(self)

    @api.get("/accounts", responses={503: {}})
    async def get_accounts(self) -> dict:
        """Venue accounts of the testnet / live modes: venue, mode, balances (exact decimal strings), permissions,
        last reconciliation (paper: its mode only). Never a key or secret."""
        return {"accounts": await self._call(self.role("execution").accounts.remote(), "execution")}

    @api.get("/risk", responses={503: {}})
    async def get_risk(self) -> dict:
        """Trading state, limits, usage of each limit, breaker history."""
        return await self._call(self.role("risk").status.remote(), "risk")

    @api.post("/risk/kill", dependencies=_SECURED, responses={401: {}, 503: {}})
    @audited
    async def kill(self, request: Request, body: KillRequest | None = None) -> dict:
        """Kill switch: halted, every open order canceled, every position flattened."""
        self.require_token(request)
        reason = body.reason if body else "kill_switch"
        return await self._call(self.role("risk").kill.remote(reason, "api"), "risk")

    @api.post("/risk/reset", dependencies=_SECURED, responses={401: {}, 503: {}})
    @audited
    async def reset(self, request: Request) -> dict:
        """Leave halted / reducing (explicit operator action)."""
        self.require_token(request)
        return await self._call(self.role("risk").reset.remote("api"), "risk")

    @api.patch("/risk/limits", dependencies=_SECURED, responses={401: {}, 422: {}, 503: {}})
    @audited
    async def patch_limits(self, body: LimitsPatch, request: Request) -> dict:
        """Change risk limits (validated)."""
        self.require_token(request)
        return await trading.patch_limits(self, body)


    # -- history ---------------------------------------------------------------------------------------------
    def _history(self) -> History:
        if self.history is None:
            raise HTTPException(503, detail="store: this run records nothing (store.enabled = false)")
        return self.history

    async def _read(self, fn, *args):
        from actors.recorder.errors import StoreUnavailable

        try:
            return await asyncio.to_thread(fn, *args)
        except (UnknownRun, UnknownTable) as exc:
            raise HTTPException(404, detail=str(exc)) from None
        except StoreUnavailable as exc:
            raise HTTPException(503, detail=f"store: {exc}") from None

    @api.get("/runs", responses={503: {}})
    async def list_runs(self) -> dict:
        """Every run in the store (newest first), and the id of this one."""
        return {"current": self.run_id, "runs": await self._read(self._history().runs)}

    @api.get("/runs/{run_id}/{table}", responses={404: {}, 422: {}, 503: {}})
    async def run_rows(
        self,
        run_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]+$")],
        table: Annotated[str, Path(pattern=r"^[a-z_]+$", description="orders, fills, positions, signals, ...")],
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        since_ns: Annotated[int | None, Query(ge=0)] = None,
        until_ns: Annotated[int | None, Query(ge=0)] = None,
    ) -> dict:
        """One page of a stored table of a run, oldest first by its time column."""
        return await self._read(self._history().rows, run_id, table, limit, offset, since_ns, until_ns)

    @api.post("/alerts/{row_key}/ack", dependencies=_SECURED, responses={401: {}, 404: {}, 503: {}})
    @audited
    async def ack_alert(self, row_key: Annotated[str, Path(max_length=300)], request: Request) -> dict:
        """Acknowledge one alert of this run."""
        self.require_token(request)
        if not await self._read(self._history().ack_alert, self.run_id, row_key):
            raise HTTPException(404, detail=f"unknown alert {row_key!r} in run {self.run_id}")
        return {"row_key": row_key, "acknowledged": True}


def build_app(supervisor_name: str, namespace: str, token_digest: str | None, risk_name: str | None = None,
              execution_name: str | None = None, prefix: str = "", publish_depth: int = 10,
              recorder_name: str | None = None, store: dict | None = None, run_id: str | None = None,
              specs: Sequence[InstrumentSpec] = ()):  # fmt: skip
    """The Serve application to ``serve.run``. ``store``: ``{kind, runs_root, dsn}`` for the history endpoints;
    ``specs``: the instrument specs loaded from the venues (:mod:`actors.feed.instrument_specs`), which
    ``POST /orders`` prices manual orders with."""
    return ApiServer.bind(supervisor_name, namespace, token_digest, risk_name, execution_name, prefix, publish_depth,
                          recorder_name, store, run_id, tuple(specs))
