"""The Strategy protocol: pure decision logic hosted by a StrategyActor. No Ray, no I/O, no wall clock.

A strategy sees book views (and later trades, fills and positions) and returns order intents. The first
strategies are observers (they return no intents); the protocol already carries the hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from actors.messages import BookView

__all__ = ["Strategy"]


class Strategy(Protocol):
    """What a StrategyActor hosts."""

    name: str

    def instruments(self) -> Sequence[str]:
        """Instrument ids whose books the strategy needs."""
        ...

    def on_book(self, view: BookView, now_ns: int) -> Sequence[object]:
        """React to a new view of one book; return order intents (none for observers)."""
        ...

    def summary(self) -> dict:
        """A JSON-friendly summary of what the strategy saw or did."""
        ...
