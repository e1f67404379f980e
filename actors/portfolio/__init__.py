"""The pure portfolio: positions and PnL (linear and inverse), balances, equity, SL/TP, performance analytics.

- :mod:`actors.portfolio.positions`: one strategy's position in one instrument (:class:`Position`), its round trips
  (:class:`RoundTrip`) and stop-loss / take-profit triggers (:class:`ProtectionTrigger`).
- :mod:`actors.portfolio.ledger`: :class:`Portfolio`, over strategies and instruments, in USD.
- :mod:`actors.portfolio.analytics`: :class:`EquityCurve` and :func:`performance`.

No Ray, no I/O, no wall clock: the host feeds fills, marks and trade prices, on the market-data clock.
"""

from actors.portfolio.analytics import EquityCurve, performance, periods_per_year
from actors.portfolio.ledger import DEFAULT_USD_RATES, Portfolio
from actors.portfolio.positions import CLOSE_REASONS, Position, ProtectionTrigger, RoundTrip

__all__ = [
    "CLOSE_REASONS",
    "DEFAULT_USD_RATES",
    "EquityCurve",
    "Portfolio",
    "Position",
    "ProtectionTrigger",
    "RoundTrip",
    "performance",
    "periods_per_year",
]
