"""Restart policy for supervised actors: backoff between restarts, and a circuit that opens after K deaths in a
window (the actor is then left down until an operator asks for a restart). Pure: the clock is passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["CircuitState", "RestartPolicy"]


class CircuitState(StrEnum):
    """``closed``: restarts allowed; ``open``: too many deaths, no automatic restart."""

    CLOSED = "closed"
    OPEN = "open"


@dataclass
class RestartPolicy:
    """Decide whether and when to restart an actor that died.

    Args:
        max_deaths: deaths within ``window_s`` that open the circuit (K).
        window_s: the window (s).
        base_backoff_s, max_backoff_s: restart delay ``min(max, base * 2**(deaths in window - 1))`` (s).

    Attributes:
        deaths: death times (monotonic s) within the window.
        restarts: restarts granted in total.
        state: the circuit.
    """

    max_deaths: int = 5
    window_s: float = 60.0
    base_backoff_s: float = 0.2
    max_backoff_s: float = 10.0
    deaths: deque[float] = field(default_factory=deque)
    restarts: int = 0
    state: CircuitState = CircuitState.CLOSED

    def on_death(self, now_s: float) -> float | None:
        """Record a death at ``now_s``; return the delay (s) before restarting, or None if the circuit opened."""
        self.deaths.append(now_s)
        while self.deaths and now_s - self.deaths[0] > self.window_s:
            self.deaths.popleft()
        if len(self.deaths) >= self.max_deaths:
            self.state = CircuitState.OPEN
            return None
        self.restarts += 1
        return min(self.max_backoff_s, self.base_backoff_s * 2 ** (len(self.deaths) - 1))

    def reset(self) -> None:
        """Close the circuit (an operator asked for a restart)."""
        self.deaths.clear()
        self.state = CircuitState.CLOSED
