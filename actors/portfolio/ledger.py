"""The portfolio over strategies and instruments: positions, PnL in USD, balances, equity, SL/TP (pure, exact).

:class:`Portfolio` holds one :class:`~actors.portfolio.positions.Position` per ``(strategy_id, instrument_id)``,
fed fills (``on_fill``) and marks (``on_mark``: the mid for spot, the mark price or mid for futures). Amounts are
exact :class:`~decimal.Decimal`.

Currencies and USD:
    - ``usd_rates`` fixes the USD value of quote currencies: by default ``USD = USDT = USDC = 1`` (an assumption:
      stablecoins at par; pass other rates to change it).
    - A coin's USD price (``BTC``, for COIN-M PnL and fees) is the latest mark, by ``ts_event``, of an instrument
      whose base is the coin and whose quote has a USD rate (``BTCUSDT.BINANCE`` mid, ``BTCUSD_PERP`` mark), times
      that quote's rate. Before any such mark the coin's USD value is unknown: USD totals then leave those coin
      amounts out, and :meth:`Portfolio.unconverted` lists them per currency.

Definitions (per strategy, or the sum over strategies when ``strategy_id`` is None):
    - ``pnl_usd``: ``realized`` and ``unrealized`` (at the latest marks) and ``fees``, each converted to USD at the
      current rates; ``net = realized + unrealized − fees`` (fees are subtracted).
    - ``equity_usd = allocated capital + net``.
    - ``notional_usd``: ``Σ |size|·c·mark`` (linear, at the quote's USD rate; at the average entry before the first
      mark) and ``Σ |contracts|·contract_usd`` for inverse (fixed in USD by the contract).
    - ``balances``: the strategy's allocated capital in ``capital_currency`` (default ``USDT``), plus the cash
      flows of its fills: spot moves the base (``±size``) and the quote (``∓size·price``); derivatives move their
      settlement currency by realized PnL; every fee is taken from its own currency.

Protection (stop loss / take profit): :meth:`Portfolio.protection_triggers` reports each trigger once until the
position changes; the host turns it into a reduce-only market order through the risk gate (tag it with the
trigger's ``reason``), and the round trip's ``close_reason`` is that reason when the closing fill arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext

from actors.errors import ConfigError
from actors.instruments import InstrumentSpec
from actors.orders import Fill, PositionSnapshot
from actors.portfolio.analytics import union_ns
from actors.portfolio.positions import PNL_CONTEXT, Position, ProtectionTrigger, RoundTrip

__all__ = ["DEFAULT_USD_RATES", "Portfolio"]

DEFAULT_USD_RATES: Mapping[str, Decimal] = {"USD": Decimal(1), "USDT": Decimal(1), "USDC": Decimal(1)}
"""Stablecoins at par with USD (an assumption; override with ``usd_rates``)."""

_ZERO = Decimal(0)


class Portfolio:
    """Positions, PnL, balances and protection of every strategy (see the module docstring for definitions).

    Args:
        specs: instrument specs by instrument id (decimals, contract size, inverse, currencies).
        usd_rates: fixed USD rates of quote currencies (default :data:`DEFAULT_USD_RATES`).
        capital_currency: the currency allocated capital is held in, for :meth:`balances`.

    Fills of a strategy never added get allocated capital 0 (e.g. ``"manual"``). A fill whose ``fill_id`` was
    already applied is ignored (replays after recovery are idempotent).
    """

    def __init__(self, specs: Mapping[str, InstrumentSpec], usd_rates: Mapping[str, Decimal] | None = None,
                 capital_currency: str = "USDT") -> None:  # fmt: skip
        self.specs = dict(specs)
        self.usd_rates = dict(DEFAULT_USD_RATES if usd_rates is None else usd_rates)
        self.capital_currency = capital_currency
        self._capital: dict[str, Decimal] = {}
        self._positions: dict[tuple[str, str], Position] = {}
        self._marks: dict[str, tuple[Decimal, int]] = {}
        self._round_trips: list[RoundTrip] = []
        self._flows: dict[str, dict[str, Decimal]] = {}
        self._fill_ids: set[str] = set()

    # -- input ---------------------------------------------------------------------------------------------------
    def add_strategy(self, strategy_id: str, allocated_capital: Decimal) -> None:
        """Register a strategy with its allocated capital (USD); calling again replaces the capital."""
        self._capital[strategy_id] = Decimal(allocated_capital)
        self._flows.setdefault(strategy_id, {})

    def on_fill(self, fill: Fill) -> PositionSnapshot:
        """Apply a fill and return the position after it.

        Raises:
            ConfigError: the fill's instrument has no spec.
            PrecisionError: its size does not fit the instrument's ``size_decimals``.
        """
        pos = self._position(fill.strategy_id, fill.instrument_id)
        if fill.fill_id in self._fill_ids:
            return pos.snapshot()
        spec = pos.spec
        with localcontext(PNL_CONTEXT):
            realized_before = pos.realized
            closed = pos.on_fill(fill, self.usd_rates.get(spec.quote))
            flows = self._flows.setdefault(fill.strategy_id, {})
            if spec.kind == "spot":
                qty = fill.size_decimal() * fill.side.sign
                _add(flows, spec.base, qty)
                _add(flows, spec.quote, -qty * fill.price_decimal())
            else:
                _add(flows, spec.settle, pos.realized - realized_before)
            if fill.fee:
                _add(flows, fill.fee_currency, -fill.fee)
        self._fill_ids.add(fill.fill_id)
        self._capital.setdefault(fill.strategy_id, _ZERO)
        if closed is not None:
            self._round_trips.append(closed)
        return pos.snapshot()

    def on_mark(self, instrument_id: str, price: Decimal, ts_event: int) -> None:
        """Record the latest mid / mark price of an instrument (an older ``ts_event`` than the last is ignored)."""
        last = self._marks.get(instrument_id)
        if last is None or ts_event >= last[1]:
            self._marks[instrument_id] = (price, ts_event)
        for (_, iid), pos in self._positions.items():
            if iid == instrument_id:
                pos.on_mark(price, ts_event)

    def set_protection(self, strategy_id: str, instrument_id: str, stop_loss: Decimal | None,
                       take_profit: Decimal | None) -> None:  # fmt: skip
        """Set the stop loss / take profit of the open round trip (when flat: of the next one); None clears."""
        self._position(strategy_id, instrument_id).set_protection(stop_loss, take_profit)

    def protection_triggers(self, instrument_id: str, last_price: Decimal, ts_event: int) -> list[ProtectionTrigger]:
        """Stop losses / take profits on ``instrument_id`` that the trade at ``last_price`` reached (each once)."""
        out = []
        for (_, iid), pos in self._positions.items():
            if iid == instrument_id:
                trigger = pos.check_protection(last_price, ts_event)
                if trigger is not None:
                    out.append(trigger)
        return out

    # -- positions -----------------------------------------------------------------------------------------------
    def position(self, strategy_id: str, instrument_id: str) -> PositionSnapshot:
        """The position (a flat ``closed`` snapshot when the strategy never traded the instrument)."""
        pos = self._positions.get((strategy_id, instrument_id))
        if pos is None:
            return Position(strategy_id, self._spec(instrument_id)).snapshot()
        return pos.snapshot()

    def positions(self, strategy_id: str | None = None, open_only: bool = False) -> list[PositionSnapshot]:
        """Snapshots of every position traded (of one strategy), optionally only non-flat ones."""
        return [p.snapshot() for p in self._select(strategy_id) if not open_only or p.size]

    def open_position_count(self, strategy_id: str | None = None) -> int:
        return sum(1 for p in self._select(strategy_id) if p.size)

    def round_trips(self, strategy_id: str | None = None) -> list[RoundTrip]:
        """Closed round trips in closing order."""
        return [rt for rt in self._round_trips if strategy_id is None or rt.strategy_id == strategy_id]

    def position_records(self, strategy_id: str | None = None) -> list[dict]:
        """The plan's records: every closed round trip and every open one, ordered by ``opened_ns``."""
        records = [rt.record() for rt in self.round_trips(strategy_id)]
        records += [r for p in self._select(strategy_id) if (r := p.open_record()) is not None]
        return sorted(records, key=lambda r: r["opened_ns"])

    def exposure_ns(self, strategy_id: str | None = None, now_ns: int | None = None) -> int:
        """Time with at least one open position (union of round-trip intervals; open ones end at ``now_ns``)."""
        spans = [(rt.opened_ns, rt.closed_ns) for rt in self.round_trips(strategy_id)]
        spans += [(p.trip.opened_ns, max(now_ns or 0, p.updated_ns)) for p in self._select(strategy_id) if p.trip]
        return union_ns(spans)

    # -- money ---------------------------------------------------------------------------------------------------
    def usd_rate(self, currency: str) -> Decimal | None:
        """USD per unit of ``currency``: a fixed rate, else the latest coin mark (module docstring), else None."""
        fixed = self.usd_rates.get(currency)
        if fixed is not None:
            return fixed
        best = None
        for iid, (price, ts) in self._marks.items():
            spec = self.specs.get(iid)
            if spec is not None and spec.base == currency and spec.quote in self.usd_rates:
                if best is None or ts > best[1]:
                    best = (price * self.usd_rates[spec.quote], ts)
        return None if best is None else best[0]

    def pnl(self, strategy_id: str | None = None) -> dict[str, dict[str, Decimal]]:
        """PnL in native currencies: ``{currency: {"realized", "unrealized", "fees", "net"}}`` (coin for inverse)."""
        out: dict[str, dict[str, Decimal]] = {}
        with localcontext(PNL_CONTEXT):
            for p in self._select(strategy_id):
                row = out.setdefault(p.pnl_currency, {"realized": _ZERO, "unrealized": _ZERO, "fees": _ZERO})
                row["realized"] += p.realized
                row["unrealized"] += p.unrealized()
                row["fees"] += p.fees
                for cur, fee in p.other_fees.items():
                    other = out.setdefault(cur, {"realized": _ZERO, "unrealized": _ZERO, "fees": _ZERO})
                    other["fees"] += fee
            for row in out.values():
                row["net"] = row["realized"] + row["unrealized"] - row["fees"]
        return out

    def pnl_usd(self, strategy_id: str | None = None) -> dict[str, Decimal]:
        """``{"realized", "unrealized", "fees", "net"}`` in USD at current rates; ``net`` subtracts fees."""
        total = {"realized": _ZERO, "unrealized": _ZERO, "fees": _ZERO, "net": _ZERO}
        with localcontext(PNL_CONTEXT):
            for cur, row in self.pnl(strategy_id).items():
                rate = self.usd_rate(cur)
                if rate is not None:
                    for k in total:
                        total[k] += row[k] * rate
        return total

    def unconverted(self, strategy_id: str | None = None) -> dict[str, Decimal]:
        """Net PnL per currency that has no USD rate yet (left out of the USD totals)."""
        return {cur: row["net"] for cur, row in self.pnl(strategy_id).items()
                if self.usd_rate(cur) is None and row["net"]}  # fmt: skip

    def equity_usd(self, strategy_id: str | None = None) -> Decimal:
        """Allocated capital + realized + unrealized − fees, in USD (see :meth:`pnl_usd`)."""
        capital = sum((c for s, c in self._capital.items() if strategy_id is None or s == strategy_id), _ZERO)
        with localcontext(PNL_CONTEXT):
            return capital + self.pnl_usd(strategy_id)["net"]

    def notional_usd(self, strategy_id: str | None, instrument_id: str | None = None) -> Decimal:
        """Absolute exposure in USD at the latest marks (module docstring); quotes without a USD rate count 0."""
        total = _ZERO
        with localcontext(PNL_CONTEXT):
            for p in self._select(strategy_id):
                if not p.size or (instrument_id is not None and p.instrument_id != instrument_id):
                    continue
                s = p.spec
                rate = self.usd_rate(s.quote) or _ZERO
                contracts = abs(p.size_decimal) * s.contract_size
                total += contracts * rate if s.inverse else contracts * (p.mark or p.avg_entry_price) * rate
        return total

    def balances(self, strategy_id: str | None = None) -> dict[str, Decimal]:
        """Per currency: allocated capital (in ``capital_currency``) plus the fills' cash flows and fees."""
        out: dict[str, Decimal] = {}
        for sid, capital in self._capital.items():
            if strategy_id is None or sid == strategy_id:
                _add(out, self.capital_currency, capital)
                for cur, amount in self._flows.get(sid, {}).items():
                    _add(out, cur, amount)
        return out

    # -- state ---------------------------------------------------------------------------------------------------
    def to_state(self) -> dict:
        """Exact JSON-friendly state for recovery (decimals as strings)."""
        return {
            "version": 1,
            "usd_rates": {k: str(v) for k, v in self.usd_rates.items()},
            "capital_currency": self.capital_currency,
            "capital": {k: str(v) for k, v in self._capital.items()},
            "positions": [p.to_state() for p in self._positions.values()],
            "marks": {k: [str(p), ts] for k, (p, ts) in self._marks.items()},
            "round_trips": [rt.to_state() for rt in self._round_trips],
            "flows": {s: {c: str(v) for c, v in f.items()} for s, f in self._flows.items()},
            "fill_ids": sorted(self._fill_ids),
        }

    @classmethod
    def from_state(cls, specs: Mapping[str, InstrumentSpec], state: dict) -> Portfolio:
        """Rebuild a portfolio from :meth:`to_state` (raises ConfigError for a position without a spec)."""
        pf = cls(specs, {k: Decimal(v) for k, v in state["usd_rates"].items()}, state["capital_currency"])
        pf._capital = {k: Decimal(v) for k, v in state["capital"].items()}
        for d in state["positions"]:
            pos = Position.from_state(pf._spec(d["instrument_id"]), d)
            pf._positions[(pos.strategy_id, pos.instrument_id)] = pos
        pf._marks = {k: (Decimal(p), ts) for k, (p, ts) in state["marks"].items()}
        pf._round_trips = [RoundTrip.from_state(d) for d in state["round_trips"]]
        pf._flows = {s: {c: Decimal(v) for c, v in f.items()} for s, f in state["flows"].items()}
        pf._fill_ids = set(state["fill_ids"])
        return pf

    # -- private -------------------------------------------------------------------------------------------------
    def _spec(self, instrument_id: str) -> InstrumentSpec:
        spec = self.specs.get(instrument_id)
        if spec is None:
            raise ConfigError(f"portfolio: no instrument spec for {instrument_id!r}")
        return spec

    def _position(self, strategy_id: str, instrument_id: str) -> Position:
        key = (strategy_id, instrument_id)
        pos = self._positions.get(key)
        if pos is None:
            pos = self._positions[key] = Position(strategy_id, self._spec(instrument_id))
            mark = self._marks.get(instrument_id)
            if mark is not None:
                pos.on_mark(*mark)
        return pos

    def _select(self, strategy_id: str | None) -> list[Position]:
        return [p for (s, _), p in self._positions.items() if strategy_id is None or s == strategy_id]


def _add(book: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    book[currency] = book.get(currency, _ZERO) + amount
