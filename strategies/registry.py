"""Strategies by kind: each kind registers a pydantic parameter model and a factory. Pure.

A new strategy is one module in ``strategies/`` that ends with one ``register(...)`` call, plus its module name in
:data:`BUILTIN_MODULES` (imported on first use, so importing the registry stays cheap and cycle-free). Nothing in
``cluster/`` changes: the topology calls :func:`build` with the configured kind and parameters.

Parameter models are frozen and reject unknown keys (``ConfigDict(extra="forbid", frozen=True)``); every field has
a default and states its unit. A validation failure becomes :class:`~actors.errors.ConfigError` naming the kind
and each bad field with pydantic's message, e.g.::

    strategy kind 'market_making': invalid params: gamma: Input should be greater than 0 (got -1)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pydantic

from actors.errors import ConfigError
from strategies.base import Strategy

__all__ = ["BUILTIN_MODULES", "build", "kinds", "params_schema", "register", "validate_params"]

Factory = Callable[[str, Sequence[str], pydantic.BaseModel], Strategy]

BUILTIN_MODULES = (
    "strategies.basis_monitor",
    "strategies.market_making",
    "strategies.basis_arbitrage",
    "strategies.scheduled_event",
)
"""Modules whose import registers the built-in kinds."""

_KINDS: dict[str, tuple[type[pydantic.BaseModel], Factory]] = {}
_loaded = False


def register(kind: str, params_model: type[pydantic.BaseModel], factory: Factory) -> None:
    """Register ``kind``: ``factory(strategy_id, instruments, params)`` builds an instance from validated params.

    Re-registering a kind replaces it (a module reloaded in a test).

    Raises:
        ConfigError: the model does not forbid unknown keys or is not frozen.
    """
    cfg = params_model.model_config
    if cfg.get("extra") != "forbid" or not cfg.get("frozen"):
        raise ConfigError(f"strategy kind {kind!r}: params model must be ConfigDict(extra='forbid', frozen=True)")
    _KINDS[kind] = (params_model, factory)


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in BUILTIN_MODULES:
            importlib.import_module(name)


def _entry(kind: str) -> tuple[type[pydantic.BaseModel], Factory]:
    _load_builtins()
    try:
        return _KINDS[kind]
    except KeyError:
        raise ConfigError(f"unknown strategy kind {kind!r}; known kinds: {', '.join(sorted(_KINDS))}") from None


def kinds() -> list[str]:
    """The registered kinds, sorted."""
    _load_builtins()
    return sorted(_KINDS)


def params_schema(kind: str) -> dict:
    """The JSON schema of ``kind``'s parameter model (what the API documents). Raises ConfigError: unknown kind."""
    return _entry(kind)[0].model_json_schema()


def validate_params(kind: str, params: Mapping[str, Any] | pydantic.BaseModel) -> pydantic.BaseModel:
    """Validate ``params`` against ``kind``'s model (missing fields take their defaults).

    Raises:
        ConfigError: unknown kind, or invalid params (the message names every bad field, pydantic's wording).
    """
    model, _ = _entry(kind)
    if isinstance(params, model):
        return params
    if isinstance(params, pydantic.BaseModel):
        params = params.model_dump()
    try:
        return model.model_validate(dict(params))
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(params)'}: {err['msg']}"
            + (f" (got {err['input']!r})" if err.get("type") != "missing" and "input" in err else "")
            for err in exc.errors()
        )
        raise ConfigError(f"strategy kind {kind!r}: invalid params: {problems}") from None
    except TypeError as exc:
        raise ConfigError(f"strategy kind {kind!r}: params must be a mapping ({exc})") from None


def build(kind: str, strategy_id: str, instruments: Sequence[str], params: Mapping[str, Any]) -> Strategy:
    """Build a ``kind`` strategy named ``strategy_id`` on ``instruments`` (ids; empty: the kind's defaults).

    Raises:
        ConfigError: unknown kind, invalid params, or instruments the kind cannot trade.
    """
    _, factory = _entry(kind)
    return factory(strategy_id, list(instruments), validate_params(kind, params))
