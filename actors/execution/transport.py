"""The transport seam of execution: what :class:`~actors.execution.actor.ExecutionActor` needs from a venue.

Paper, testnet and live share every code path except this one object: the actor routes each approved intent to
the transport of its strategy's mode, numbers every :class:`~actors.orders.OrderEvent` the transport releases,
writes it ahead to the recorder, pushes it to the risk gate (and so to the strategy), and its kill switch calls
``cancel_all`` on every transport. The order lifecycle itself is :class:`~actors.orders.OrderState`, used by every
transport, so the same transitions are allowed and refused everywhere.

A transport releases events in two ways: as the return value of ``submit`` / ``cancel_all`` (what is known at
once: a paper rejection, a venue's answer to the REST call) and from ``advance(now)``, which the actor calls on
market data and on its timer (paper: the fill model's clock; live: whatever the venue reported meanwhile through
the user-data stream or reconciliation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from actors.execution.paper import PaperConfig, PaperVenue
from actors.instruments import InstrumentSpec
from actors.messages import MarketEvent
from actors.orders import Order, OrderEvent, OrderIntent

__all__ = ["MODES", "PaperTransport", "Transport"]

MODES = ("paper", "testnet", "live")


@runtime_checkable
class Transport(Protocol):
    """One venue connection (or the paper model) as execution sees it.

    Attributes:
        mode: ``paper`` | ``testnet`` | ``live``.
    """

    mode: str

    async def start(self) -> dict:
        """Connect and check (live: connection test: latency, permissions). Raises
        :class:`~actors.errors.AuthenticationError` on a refused key, before any order."""
        ...

    async def stop(self) -> None: ...

    def on_market(self, events: Iterable[MarketEvent]) -> list[OrderEvent]:
        """Every feed batch's events (paper fills from them; live ignores them)."""
        ...

    async def submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        """An approved intent (submit / cancel / replace); returns the events known at once."""
        ...

    def advance(self, now_ns: int) -> list[OrderEvent]:
        """Events released since the last call (paper: the model up to ``now_ns``; live: venue reports)."""
        ...

    async def cancel_all(self, now_ns: int, strategy_id: str | None = None, reason: str = "kill_switch") -> list[OrderEvent]:
        """Cancel every open order (of one strategy, or all: live then cancels every open order **at the venue**,
        also those it does not know)."""
        ...

    def open_orders(self, strategy_id: str | None = None) -> list[Order]: ...

    def order(self, client_order_id: str) -> Order:
        """Raises KeyError when unknown."""
        ...

    def stats(self) -> dict: ...


class PaperTransport:
    """The pure :class:`~actors.execution.paper.PaperVenue` behind the seam (results exactly as before the seam)."""

    mode = "paper"

    def __init__(self, specs: Mapping[str, InstrumentSpec], config: PaperConfig) -> None:
        self.config = config
        self.venue = PaperVenue(specs, config)

    async def start(self) -> dict:
        return {"mode": "paper"}

    async def stop(self) -> None:
        return None

    def on_market(self, events: Iterable[MarketEvent]) -> list[OrderEvent]:
        return self.venue.on_market(events)

    async def submit(self, intent: OrderIntent, now_ns: int) -> list[OrderEvent]:
        return self.venue.submit(intent, now_ns)

    def advance(self, now_ns: int) -> list[OrderEvent]:
        return self.venue.advance(now_ns)

    async def cancel_all(self, now_ns: int, strategy_id: str | None = None, reason: str = "kill_switch") -> list[OrderEvent]:
        return self.venue.cancel_all(now_ns, strategy_id, reason)

    def open_orders(self, strategy_id: str | None = None) -> list[Order]:
        return self.venue.open_orders(strategy_id)

    def order(self, client_order_id: str) -> Order:
        return self.venue.order(client_order_id)

    def stats(self) -> dict:
        return self.venue.stats()
