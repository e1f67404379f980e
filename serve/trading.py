"""Handlers of the trading endpoints (the routes live on :class:`serve.app.ApiServer`; the logic is here).

Each handler takes the server (for ``role(...)``, ``_call`` and the names) and returns JSON-friendly data. Errors are
HTTP errors with a message: 404 unknown strategy / order, 409 duplicate strategy id, 422 invalid parameters, an
amount not exact at the instrument's precision or an instrument of Bybit / OKX without a spec loaded from the venue
(:class:`~actors.errors.MissingInstrumentSpec`), 503 (from ``_call``) when the actor behind it is down.
"""

from __future__ import annotations

import time
import uuid

import msgspec
from fastapi import HTTPException

from actors.errors import ConfigError, PrecisionError, RaytradeError
from actors.fixedpoint import to_fixed
from actors.instruments import trading_spec
from actors.naming import actor_name, parse_actor_name
from actors.orders import IntentAction, OrderIntent, OrderType, Side, TimeInForce
from serve.schemas import LimitsPatch, OrderCreate, StrategyCreate

__all__ = ["cancel_order", "control_strategy", "create_order", "create_strategy", "get_strategy", "list_strategies",
           "patch_limits", "patch_strategy", "performance", "positions", "strategy_signals"]


def _json(value):
    return msgspec.to_builtins(value)


async def _strategy_names(server) -> list[str]:
    return await server._call(server.role("supervisor").names.remote("strategy"), "supervisor")


async def _strategy(server, strategy_id: str):
    name = actor_name("strategy", strategy_id, server.prefix)
    if name not in await _strategy_names(server):
        raise HTTPException(404, detail=f"unknown strategy {strategy_id!r}")
    return server._actor(name, "strategy")


async def list_strategies(server) -> dict:
    from strategies import registry

    status = await server._call(server.role("supervisor").status.remote(), "supervisor")
    return {"strategies": list(status["strategies"].values()), "kinds": registry.kinds()}


async def create_strategy(server, body: StrategyCreate) -> dict:
    from actors.strategy.actor import StrategyActor
    from actors.supervision.supervisor import ActorSpec
    from strategies import registry

    try:
        registry.validate_params(body.kind, body.params)
    except ConfigError as exc:
        raise HTTPException(422, detail=f"params: {exc}") from None
    supervisor = server.role("supervisor")
    name = actor_name("strategy", body.id, server.prefix)
    if name in await _strategy_names(server):
        raise HTTPException(409, detail=f"strategy {body.id!r} already exists")
    routes = {}
    for iid in body.instruments:
        book = await server._call(supervisor.book_actor_for.remote(iid), "supervisor")
        if book is None:
            raise HTTPException(422, detail=f"instruments: {iid!r} is not an instrument of this run")
        routes.setdefault(book, []).append(iid)
    if body.mode != "paper":  # route its orders first: an unknown mode, the live guard or a bad key -> 422
        try:
            await server._call(server.role("execution").set_mode.remote(body.id, body.mode), "execution")
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - a RayTaskError wrapping ConfigError / AuthenticationError
            raise HTTPException(422, detail=f"mode: {str(getattr(exc, 'cause', exc)).splitlines()[-1][:300]}") from None
    risk = server.role("risk")
    await server._call(risk.add_strategy.remote(body.id, body.allocated_capital, name, body.limits), "risk")
    spec = ActorSpec("strategy", body.id, StrategyActor, (name, body.id, body.kind, body.instruments, body.params),
                     {"allocated_capital": body.allocated_capital, "mode": body.mode, "risk_name": server.names["risk"],
                      "execution_name": server.names["execution"], "namespace": server.namespace})  # fmt: skip
    await server._call(supervisor.start.remote(spec), "supervisor")
    bars = tuple(await server._call(server._actor(name).wants_bars.remote(), "strategy"))  # its bar intervals
    for book, held in routes.items():
        await server._call(supervisor.subscribe.remote(book, name, held, server.publish_depth, True, 0.0, bars),
                           "supervisor")  # fmt: skip
    return {"id": body.id, "name": name, "kind": body.kind, "state": "running"}


async def get_strategy(server, strategy_id: str) -> dict:
    actor = await _strategy(server, strategy_id)
    summary = await server._call(actor.summary.remote(), "strategy")
    risk = server.role("risk")
    report = await server._call(risk.strategy_report.remote(strategy_id), "risk")
    positions = await server._call(risk.positions.remote(strategy_id), "risk")
    return {**summary, "positions": _json(positions), "performance": report.get("performance"),
            "pnl": report.get("pnl"), "equity_usd": report.get("equity_usd")}  # fmt: skip


async def patch_strategy(server, strategy_id: str, params: dict) -> dict:
    actor = await _strategy(server, strategy_id)
    try:
        new = await server._call(actor.update_params.remote(params), "strategy")
    except Exception as exc:  # noqa: BLE001 - a RayTaskError wrapping the ConfigError
        cause = getattr(exc, "cause", exc)
        if isinstance(cause, ConfigError) or "ConfigError" in str(exc):
            raise HTTPException(422, detail=f"params: {str(cause).splitlines()[-1]}") from None
        raise
    return {"id": strategy_id, "params": new}


async def control_strategy(server, strategy_id: str, action: str) -> dict:
    actor = await _strategy(server, strategy_id)
    return await server._call(getattr(actor, action).remote(), "strategy")


async def strategy_signals(server, strategy_id: str, limit: int) -> dict:
    actor = await _strategy(server, strategy_id)
    return {"id": strategy_id, "signals": await server._call(actor.recent_signals.remote(limit), "strategy")}


def _fixed(value: str | None, decimals: int, field: str) -> int | None:
    if value is None:
        return None
    try:
        return to_fixed(value, decimals)
    except PrecisionError:
        raise HTTPException(422, detail=f"{field}: {value!r} is not exact at {decimals} decimals") from None


async def create_order(server, body: OrderCreate) -> dict:
    """``POST /orders``: a manual order at the decimals of the instrument's loaded spec (``server.specs``), through
    the risk gate. Raises HTTPException 422 for a bad id, an instrument without a spec (MissingInstrumentSpec) or an
    amount not exact at its decimals."""
    try:
        spec = trading_spec(body.instrument_id, server.specs)
    except RaytradeError as exc:  # ConfigError: not SYMBOL.VENUE; MissingInstrumentSpec: no loaded spec
        raise HTTPException(422, detail=f"instrument_id: {exc}") from None
    cid = body.client_order_id or f"manual-{uuid.uuid4().hex[:16]}"
    intent = OrderIntent(
        IntentAction.SUBMIT, body.strategy_id, cid, body.instrument_id, spec.price_decimals, spec.size_decimals,
        Side(body.side), OrderType(body.order_type), _fixed(body.size, spec.size_decimals, "size"),
        _fixed(body.price, spec.price_decimals, "price"),
        _fixed(body.trigger_price, spec.price_decimals, "trigger_price"), TimeInForce(body.time_in_force),
        body.reduce_only, ts_created=time.time_ns(), tag="manual",
    )  # fmt: skip
    (result,) = await server._call(server.role("risk").submit.remote([intent]), "risk")
    return result


async def cancel_order(server, client_order_id: str) -> dict:
    order = await server._call(server.role("execution").order.remote(client_order_id), "execution")
    if order is None:
        raise HTTPException(404, detail=f"unknown order {client_order_id!r}")
    intent = OrderIntent(IntentAction.CANCEL, order.strategy_id, client_order_id, order.instrument_id,
                         order.price_decimals, order.size_decimals, ts_created=time.time_ns(), tag="manual")  # fmt: skip
    (result,) = await server._call(server.role("risk").submit.remote([intent]), "risk")
    return result


async def positions(server, strategy: str | None) -> dict:
    snapshot = await server._call(server.role("risk").positions.remote(strategy), "risk")
    return {"positions": _json(snapshot)}


async def performance(server) -> dict:
    risk = server.role("risk")
    names = await _strategy_names(server)
    out = {"total": await server._call(risk.strategy_report.remote(None), "risk"), "strategies": {}}
    for name in names:
        sid = parse_actor_name(name, server.prefix)[1]
        out["strategies"][sid] = await server._call(risk.strategy_report.remote(sid), "risk")
    return out


async def patch_limits(server, body: LimitsPatch) -> dict:
    changes = {k: (str(v) if not isinstance(v, (bool, int)) else v) for k, v in body.model_dump(exclude_none=True).items()}
    if not changes:
        raise HTTPException(422, detail="no limit given")
    try:
        return await server._call(server.role("risk").update_limits.remote(changes), "risk")
    except Exception as exc:  # noqa: BLE001
        if "ConfigError" in str(exc):
            raise HTTPException(422, detail=str(exc).splitlines()[-1]) from None
        raise
