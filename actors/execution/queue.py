"""Queue-position models of a resting paper order: how much size is ahead of it at its price.

Sources: hftbacktest ``hftbacktest/src/backtest/models/queue.rs`` (``RiskAdverseQueueModel``, ``ProbQueueModel``
with ``PowerProbQueueFunc`` / ``LogProbQueueFunc``), its "Queue Models" docs, and C. Rigtorp, "Estimating order
queue position" (2013). Behaviour mirrors hftbacktest; where it differs it says so below.

A :class:`QueuePosition` holds ``front`` (size ahead of us, fixed-point at the instrument's ``size_decimals``) and,
for the probabilistic models, ``traded`` (size traded at our price since the level's last update).

* **conservative** (``RiskAdverseQueueModel``): ``front`` = the level's size when the venue accepts the order; a
  trade at our price hitting our side reduces ``front`` by its size; a level update only clamps
  ``front = min(front, new_size)`` (someone ahead cancelled, or the level shrank below our estimate).
* **prob_*** (``ProbQueueModel``): trades as above and also summed in ``traded``. On a level update,
  ``chg = prev_size - new_size - traded`` (the part of the decrease trades do not explain) and ``traded`` resets.
  ``chg < 0`` (an increase): only clamp. Otherwise, with ``back = prev_size - front`` and
  ``p = f(back) / (f(back) + f(front))`` (the chance the decrease happened behind us),
  ``front' = front - (1 - p) * chg + min(back - p * chg, 0)``, then ``min(front', new_size)``.
  ``f``: ``prob_linear`` x, ``prob_square`` x², ``prob_powN`` xᴺ (e.g. ``prob_pow3``, ``prob_pow0.5``),
  ``prob_log`` ln(1 + x), evaluated on sizes in instrument units (as hftbacktest does; ln(1 + x) is not
  scale-free). The float result is rounded to the nearest fixed-point unit: the only float in the model.
  Difference: hftbacktest lets ``front'`` go below 0 on a level update; we clamp it at 0, so a fill never
  exceeds the size traded at our price.

Fill rule (both): once ``front < 0`` after a trade at our price, ``floor(-front / lot) * lot`` is executable
(capped by the caller at what remains) and ``front`` is reset to 0. hftbacktest rounds ``-front / lot`` instead of
flooring; venue sizes are lot multiples, so both agree on real data, and flooring never over-fills.

Note the strict ``<``: a trade that exactly clears the queue ahead (``front == 0``) does not fill us yet; the next
trade at our price does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from actors.errors import ConfigError

__all__ = ["QUEUE_MODELS", "QueueModel", "QueuePosition", "queue_model"]

QUEUE_MODELS = ("conservative", "prob_linear", "prob_square", "prob_log", "prob_powN")
"""Accepted ``PaperConfig.queue_model`` names (``prob_powN``: any positive exponent, ``prob_pow3``)."""


class QueuePosition:
    """Mutable queue state of one resting order (fixed-point sizes at the instrument's size decimals)."""

    __slots__ = ("front", "traded")

    def __init__(self, front: int) -> None:
        self.front = front
        self.traded = 0

    def __repr__(self) -> str:
        return f"QueuePosition(front={self.front}, traded={self.traded})"


class QueueModel:
    """The conservative model (hftbacktest ``RiskAdverseQueueModel``); the base of the probabilistic ones.

    Args:
        size_decimals: the instrument's size scale (for the probabilistic functions' units).
    """

    name = "conservative"

    def __init__(self, size_decimals: int) -> None:
        self.size_decimals = size_decimals

    def new_order(self, level_size: int) -> QueuePosition:
        """Queue position of an order the venue accepts now at a level of ``level_size`` (fixed-point)."""
        return QueuePosition(level_size)

    def trade(self, q: QueuePosition, size: int) -> None:
        """A trade of ``size`` at our price hit our side of the book."""
        q.front -= size

    def depth(self, q: QueuePosition, prev_size: int, new_size: int) -> None:
        """The level at our price changed from ``prev_size`` to ``new_size`` (both >= 0)."""
        q.front = min(q.front, new_size)

    def reload(self, q: QueuePosition, new_size: int) -> None:
        """A snapshot replaced the book: keep our estimate, never above the displayed size (never below 0)."""
        q.front = max(0, min(q.front, new_size))
        q.traded = 0

    @staticmethod
    def take_filled(q: QueuePosition, lot: int) -> int:
        """Executable size once the queue ahead is gone: ``floor(-front / lot) * lot`` (0 while ``front >= 0``).

        Resets ``front`` to 0 when something is executable.
        """
        if q.front >= 0:
            return 0
        size = (-q.front // lot) * lot
        if size:
            q.front = 0
        return size


class ProbQueueModel(QueueModel):
    """hftbacktest ``ProbQueueModel``: level decreases advance us with probability ``f(front) / (f(front)+f(back))``.

    Args:
        size_decimals: the instrument's size scale.
        f: the weighting function on sizes in instrument units (``x``, ``x**2``, ``log1p``).
        name: the config name.
    """

    def __init__(self, size_decimals: int, f: Callable[[float], float], name: str) -> None:
        super().__init__(size_decimals)
        self.f = f
        self.name = name
        self._unit = 10.0**-size_decimals

    def trade(self, q: QueuePosition, size: int) -> None:
        q.front -= size
        q.traded += size

    def depth(self, q: QueuePosition, prev_size: int, new_size: int) -> None:
        chg = prev_size - new_size - q.traded
        q.traded = 0
        if chg < 0:
            q.front = min(q.front, new_size)
            return
        unit = self._unit
        front, back = q.front * unit, (prev_size - q.front) * unit
        fb, ff = self.f(back), self.f(front)
        p = fb / (fb + ff) if fb + ff > 0 else 1.0  # hftbacktest: an infinite / undefined p counts as 1
        if math.isnan(p) or math.isinf(p):
            p = 1.0
        c = chg * unit
        est = front - (1.0 - p) * c + min(back - p * c, 0.0)
        q.front = max(0, min(round(est / unit), new_size))


def queue_model(name: str, size_decimals: int) -> QueueModel:
    """Build the queue model named ``name`` (see :data:`QUEUE_MODELS`) for an instrument's size scale.

    Raises:
        ConfigError: an unknown name or a non-positive ``prob_powN`` exponent.
    """
    if name == "conservative":
        return QueueModel(size_decimals)
    if name == "prob_linear":
        return ProbQueueModel(size_decimals, lambda x: x, name)
    if name == "prob_square":
        return ProbQueueModel(size_decimals, lambda x: x * x, name)
    if name == "prob_log":
        return ProbQueueModel(size_decimals, math.log1p, name)
    if name.startswith("prob_pow"):
        try:
            n = float(name.removeprefix("prob_pow"))
        except ValueError:
            n = 0.0
        if n > 0 and math.isfinite(n):
            return ProbQueueModel(size_decimals, lambda x: x**n, name)
    raise ConfigError(f"unknown queue model {name!r}; expected one of {', '.join(QUEUE_MODELS)}")
