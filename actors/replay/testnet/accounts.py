"""Balances of the testnet-mode venue's accounts: spot wallets and a USD-M margin wallet with positions. Pure.

All amounts are exact :class:`~decimal.Decimal`.

Spot (Binance Spot "Account Information": ``free`` / ``locked`` per asset): a new order locks what it may spend
(buy limit: ``price * quantity * (1 + max(maker, taker) fee rate)`` of the quote asset; sell: the quantity of the
base asset; market buy: the estimated cost from the book plus the fee, see the engine). A fill moves the assets:
buy ``-(price * size + fee)`` quote, ``+size`` base; sell ``-size`` base, ``+(price * size - fee)`` quote; the fee is
charged in the quote asset as the paper model charges it (Binance charges the asset received, or BNB: a stated
difference). What a closed order had still locked is released.

USD-M (Binance USD-M "Account Information V3", "Position Information V3"): one ``USDT`` wallet per account,
one-way positions (``positionSide`` ``BOTH``) per symbol with the average entry price (TRADING.md "Positions and
PnL"). A fill: fees are debited from the wallet, the reducing part realizes ``closed * (exit - entry) * sign``
into the wallet; an increasing part moves the entry to the size-weighted average. Margin: an order needs
``notional / leverage`` of *available balance* = wallet - position initial margin - open orders' initial margin
(reduce-only orders need none); unrealized PnL is not counted (a stated simplification).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["FuturesAccount", "Position", "SpotAccount", "ZERO"]

ZERO = Decimal(0)


@dataclass
class SpotAccount:
    """Free and locked amounts per asset."""

    free: dict[str, Decimal] = field(default_factory=dict)
    locked: dict[str, Decimal] = field(default_factory=dict)
    update_ms: int = 0

    @classmethod
    def with_balances(cls, balances: dict[str, Decimal]) -> SpotAccount:
        return cls({a: Decimal(v) for a, v in balances.items()}, {a: ZERO for a in balances})

    def available(self, asset: str) -> Decimal:
        return self.free.get(asset, ZERO)

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked (the caller checked :meth:`available`)."""
        self.free[asset] = self.free.get(asset, ZERO) - amount
        self.locked[asset] = self.locked.get(asset, ZERO) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        self.locked[asset] = self.locked.get(asset, ZERO) - amount
        self.free[asset] = self.free.get(asset, ZERO) + amount

    def spend_locked(self, asset: str, from_locked: Decimal, total: Decimal) -> None:
        """Pay ``total`` of ``asset``: ``from_locked`` of it out of the order's lock, the rest from free."""
        self.locked[asset] = self.locked.get(asset, ZERO) - from_locked
        self.free[asset] = self.free.get(asset, ZERO) - (total - from_locked)

    def credit(self, asset: str, amount: Decimal) -> None:
        self.free[asset] = self.free.get(asset, ZERO) + amount
        self.locked.setdefault(asset, ZERO)

    def balances(self) -> list[tuple[str, Decimal, Decimal]]:
        """``(asset, free, locked)`` for every asset the account ever held, sorted by asset."""
        return [(a, self.free.get(a, ZERO), self.locked.get(a, ZERO)) for a in sorted(set(self.free) | set(self.locked))]


@dataclass
class Position:
    """One-way position of one symbol: signed size, average entry price, realized PnL so far."""

    amount: Decimal = ZERO
    entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    update_ms: int = 0

    def apply(self, signed_size: Decimal, price: Decimal) -> Decimal:
        """A fill of ``signed_size`` (buy > 0) at ``price``; returns the PnL it realized."""
        pos = self.amount
        realized = ZERO
        if pos != 0 and (pos > 0) != (signed_size > 0):  # reducing (and maybe flipping)
            closed = min(abs(signed_size), abs(pos))
            sign = 1 if pos > 0 else -1
            realized = closed * (price - self.entry_price) * sign
            new = pos + signed_size
            if new == 0:
                self.entry_price = ZERO
            elif (new > 0) != (pos > 0):  # flipped: the rest opens at the fill price
                self.entry_price = price
            self.amount = new
        else:
            new = pos + signed_size
            self.entry_price = (abs(pos) * self.entry_price + abs(signed_size) * price) / abs(new)
            self.amount = new
        self.realized_pnl += realized
        return realized


@dataclass
class FuturesAccount:
    """A USD-M margin wallet (one asset, ``USDT``) and positions per symbol."""

    asset: str = "USDT"
    wallet: Decimal = ZERO
    leverage: int = 20
    positions: dict[str, Position] = field(default_factory=dict)
    update_ms: int = 0

    def position(self, symbol: str) -> Position:
        return self.positions.setdefault(symbol, Position())

    def position_margin(self) -> Decimal:
        """Initial margin of the open positions: ``|amount| * entry / leverage``."""
        return sum((abs(p.amount) * p.entry_price for p in self.positions.values()), ZERO) / self.leverage

    def fill(self, symbol: str, signed_size: Decimal, price: Decimal, fee: Decimal, ms: int) -> Decimal:
        """Apply a fill; returns its realized PnL (already added to the wallet, the fee already taken)."""
        pos = self.position(symbol)
        realized = pos.apply(signed_size, price)
        pos.update_ms = ms
        self.wallet += realized - fee
        self.update_ms = ms
        return realized
