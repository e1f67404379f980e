"""Actor names: what the Ray dashboard, ``ray list actors`` and ``/status`` show for every actor of a run.

Every actor of a run is named by its role, ``<role>:<ident>`` or just ``<role>`` for the run's single actors:
``feed:binance-spot``, ``book:BTCUSDT.BINANCE``, ``strategy:mm-1``, ``risk``, ``execution``, ``recorder``,
``supervisor``, ``budget:<key id>``. The names live in the run's Ray namespace (``[ray] namespace``, default
``raytrade``), which keeps them apart from other Ray applications; ``[ray] prefix`` (default empty) is put in front
of each, for two runs that share one namespace. This module is the only place a name is built or taken apart.
"""

from __future__ import annotations

__all__ = ["actor_name", "parse_actor_name"]

SEPARATOR = ":"


def actor_name(role: str, ident: str = "", prefix: str = "") -> str:
    """``<prefix><role>:<ident>``, or ``<prefix><role>`` without an ident.

    Raises:
        ValueError: ``role`` is empty or contains ``:`` (the name could not be taken apart again).
    """
    if not role or SEPARATOR in role:
        raise ValueError(f"bad actor role {role!r}: non-empty, without {SEPARATOR!r}")
    return f"{prefix}{role}{SEPARATOR}{ident}" if ident else f"{prefix}{role}"


def parse_actor_name(name: str, prefix: str = "") -> tuple[str, str]:
    """``(role, ident)`` of a name :func:`actor_name` built with this ``prefix`` (ident ``""`` for a single actor).

    Raises:
        ValueError: ``name`` does not start with ``prefix`` or has no role.
    """
    if not name.startswith(prefix):
        raise ValueError(f"actor name {name!r} does not start with the run's prefix {prefix!r}")
    role, _, ident = name[len(prefix):].partition(SEPARATOR)
    if not role:
        raise ValueError(f"actor name {name!r} has no role")
    return role, ident
