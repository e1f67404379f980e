"""``basis_arbitrage``: spot against USD-M and COIN-M perpetuals, traded only past the normal premium. Pure.

Model. Spot and perpetual normally trade at a basis of tens of USD (the bundled capture: spot - USD-M about +22
USD), so the strategy trades deviations from an *expected* basis, not the basis itself:

- ``basis = mid(spot) - mid(perp)`` (USD per BTC; COIN-M ``BTCUSD_PERP`` is quoted in USD per BTC), sampled by the
  as-of join of :class:`~strategies.basis_monitor.BasisMonitor` on the venues' event clock;
- ``expected`` = rolling mean of those samples over the last ``basis_window_s`` (event clock), used once the
  history spans ``warmup_s``;
- ``deviation = basis_now - expected`` (both latest views ready, uncrossed, within ``max_skew_ms`` of each other
  on the event clock and updated within ``stale_after_ms`` of the host clock);
- ``edge = |deviation| - fees - half spreads``, in USD per BTC: taker fees of both legs in price terms
  (``spot.taker_fee * spot_price + perp.taker_fee * perp_price``, rates from the instrument specs, Binance VIP 0 by
  default: 0.10 % spot, 0.05 % futures, TRADING.md) plus half the quoted spread of each book (the cost of taking
  from the mid).

Every *opportunity* (``|deviation| >= opportunity_usd``; one per episode, an episode ends when the deviation falls
back under half of it) emits a :class:`~actors.orders.Signal`, executed or not. Both legs are traded only when ``edge >
entry_threshold_usd``: buy the cheap venue and sell the rich one with market orders (taker), sizes matched in BTC:
``size_btc = min(max_trade_btc, touch_fraction * the smaller touch size in BTC)``; USD-M in 0.001 BTC lots; COIN-M
``contracts = round(size_btc * price / contract_size)`` (100 USD contracts, inverse) and the spot leg matched to
``contracts * 100 / price``. Defaults are conservative: fees alone are about 92 USD per BTC, so the capture's
normal premium and its swings (deviations up to about 68 USD from the USD-M rolling mean) never trade.

Pairs. Each entry is a pair of legs. When both legs are terminal (or ``pair_timeout_ms`` passed: open legs are
canceled first), any BTC imbalance (a lone leg, or a partial one) is flattened with a reduce-only market order,
and entries on that pair pause for ``failed_pair_backoff_ms``. A held pair is closed (both legs, reduce-only market)
when the deviation has come back to within ``exit_deviation_usd`` of zero (or past it).
Positions come from ``ctx.positions``: a restarted instance still exits what it holds (its in-flight pairs are
forgotten, so a lone leg left by a crash is closed by the exit rule, not the unwind).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict, Field

from actors.errors import ConfigError
from actors.fixedpoint import fixed_to_decimal
from actors.instruments import InstrumentSpec
from actors.messages import BookView, Trade
from actors.orders import (Fill, IntentAction, OrderEvent, OrderIntent, OrderType, Side, Signal,
                           TimeInForce)  # fmt: skip
from strategies.base import Action, StrategyContext, size_to_fixed
from strategies.basis_monitor import BasisMonitor
from strategies.registry import register

__all__ = ["BasisArbitrage", "BasisArbitrageParams"]


class BasisArbitrageParams(BaseModel):
    """Parameters of ``basis_arbitrage`` (prices in USD per BTC, sizes in BTC)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis_window_s: float = Field(120.0, gt=0, description="Rolling window of the expected basis (s, event clock)")
    warmup_s: float = Field(30.0, ge=0, description="History the expected basis needs before trading (s)")
    max_skew_ms: float = Field(1000.0, gt=0, description="Largest event-time gap between the two books (ms)")
    stale_after_ms: float = Field(5000.0, gt=0, description="A book not updated this long is not traded (ms)")
    opportunity_usd: float = Field(5.0, gt=0, description="|deviation| that counts as an opportunity (USD/BTC)")
    entry_threshold_usd: float = Field(10.0, ge=0, description="Edge after fees and half spreads to trade (USD/BTC)")
    exit_deviation_usd: float = Field(2.0, ge=0, description="Close a held pair when |deviation| <= this (USD/BTC)")
    max_trade_btc: Decimal = Field(Decimal("0.01"), gt=0, description="Largest size of one pair (BTC)")
    touch_fraction: Decimal = Field(Decimal("0.5"), gt=0, le=1, description="Share of the touch size to take")
    pair_timeout_ms: float = Field(2000.0, gt=0, description="Cancel a pair's unfilled legs after this long (ms)")
    cooldown_ms: float = Field(5000.0, ge=0, description="Least time between two entries on one pair (ms)")
    failed_pair_backoff_ms: float = Field(30000.0, ge=0, description="Pause of a pair after an unwound leg (ms)")


@dataclass
class _Pair:
    pair_id: str
    perp: str
    ts_sent: int
    legs: dict[str, str] = field(default_factory=dict)  # client id -> instrument id
    filled: dict[str, int] = field(default_factory=dict)  # client id -> filled (fixed-point)
    notional: dict[str, Decimal] = field(default_factory=dict)  # client id -> sum(price * size) (Decimal)
    sides: dict[str, Side] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    cancel_sent: bool = False


class BasisArbitrage:
    """See the module docstring. Args: strategy_id, spot (instrument id), perps (instrument ids), params."""

    kind = "basis_arbitrage"
    wants_trades = False  # decides on book views only: its host does not subscribe it to trades

    def __init__(self, strategy_id: str, spot: str, perps: Sequence[str], params: BasisArbitrageParams) -> None:
        self.strategy_id = strategy_id
        self.spot = spot
        self.perps = list(perps)
        self.params = params
        self.monitor = BasisMonitor(spot, self.perps, params.max_skew_ms, strategy_id)
        self._samples: dict[str, deque[tuple[int, Decimal]]] = {p: deque() for p in self.perps}
        self._sums = {p: Decimal(0) for p in self.perps}
        self._latest: dict[str, BookView] = {}
        self._episode = {p: False for p in self.perps}
        self._pairs: dict[str, _Pair] = {}
        self._leg_pair: dict[str, str] = {}
        self._next_entry_ns = {p: 0 for p in self.perps}
        self._closing: dict[str, int] = {}
        self.counts = {p: {"opportunities": 0, "entries": 0, "exits": 0, "unwinds": 0, "max_edge_usd": None,
                           "max_abs_deviation_usd": 0.0} for p in self.perps}  # fmt: skip

    def instruments(self) -> list[str]:
        return [self.spot, *self.perps]

    def update_params(self, params: BasisArbitrageParams) -> None:
        """Apply new validated params (thresholds at once; the window trims at the next sample)."""
        self.params = params
        self.monitor.update_params(self.monitor.params.model_copy(update={"max_skew_ms": params.max_skew_ms}))

    # --- expected basis ---------------------------------------------------------------------------------------
    def expected_basis(self, perp: str) -> Decimal | None:
        """Rolling mean of the sampled basis (exact), or None until the history spans ``warmup_s``."""
        samples = self._samples[perp]
        if len(samples) < 10 or samples[-1][0] - samples[0][0] < self.params.warmup_s * 1e9:
            return None
        return self._sums[perp] / len(samples)

    def _add_sample(self, perp: str, t: int, basis: Decimal) -> None:
        samples = self._samples[perp]
        samples.append((t, basis))
        self._sums[perp] += basis
        horizon = t - self.params.basis_window_s * 1e9
        while samples and samples[0][0] < horizon:
            self._sums[perp] -= samples.popleft()[1]

    # --- callbacks --------------------------------------------------------------------------------------------
    def on_book(self, view: BookView, ctx: StrategyContext) -> list[Action]:
        if view.instrument_id not in self._episode and view.instrument_id != self.spot:
            return []
        self._latest[view.instrument_id] = view
        for perp, t, basis in self.monitor.add_view(view):
            self._add_sample(perp, t, basis)
        out = self._check_pairs(ctx)
        for perp in self.perps if view.instrument_id == self.spot else [view.instrument_id]:
            out.extend(self._evaluate(perp, ctx))
        return out

    def on_trade(self, trade: Trade, ctx: StrategyContext) -> list[Action]:
        return []

    def on_order_event(self, event: OrderEvent, ctx: StrategyContext) -> list[Action]:
        order = event.order
        cid = order.client_order_id
        pair = self._pairs.get(self._leg_pair.get(cid, ""))
        if pair is not None:  # the order snapshot is authoritative for what a leg filled, whatever the delivery order
            pair.filled[cid] = order.filled
            if order.filled and order.avg_fill_price is not None:
                pair.notional[cid] = order.avg_fill_price * fixed_to_decimal(order.filled, order.size_decimals)
            if not order.is_open:
                pair.done.add(cid)
        if not order.is_open:
            self._closing.pop(cid, None)
        return self._check_pairs(ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> list[Action]:
        return self._check_pairs(ctx)

    def on_timer(self, ctx: StrategyContext) -> list[Action]:
        return self._check_pairs(ctx)

    def summary(self) -> dict:
        basis = self.monitor.summary()["basis"]
        per = {}
        for p in self.perps:
            exp = self.expected_basis(p)
            per[p] = {**self.counts[p], "expected_basis": None if exp is None else str(exp.quantize(Decimal("0.0001")))}
        return {"strategy_id": self.strategy_id, "kind": self.kind, "pairs": per, "basis": basis,
                "open_pairs": len(self._pairs)}  # fmt: skip

    # --- decisions --------------------------------------------------------------------------------------------
    def _usable(self, perp: str, ctx: StrategyContext) -> tuple[BookView, BookView] | None:
        s, q = self._latest.get(self.spot), self._latest.get(perp)
        p = self.params
        for v in (s, q):
            if v is None or not v.ready or not v.bids or not v.asks or v.bids[0][0] >= v.asks[0][0]:
                return None
            if v.ts_recv and ctx.now_ns - v.ts_recv > p.stale_after_ms * 1e6:
                return None
        if abs(s.ts_event - q.ts_event) > p.max_skew_ms * 1e6:
            return None
        return s, q

    def _evaluate(self, perp: str, ctx: StrategyContext) -> list[Action]:
        p = self.params
        expected = self.expected_basis(perp)
        books = self._usable(perp, ctx)
        if expected is None or books is None:
            return []
        sv, pv = books
        deviation = sv.mid() - pv.mid() - expected
        counts = self.counts[perp]
        counts["max_abs_deviation_usd"] = max(counts["max_abs_deviation_usd"], round(abs(float(deviation)), 4))
        held = ctx.positions.get(perp)
        if held is not None and held.size:
            return self._maybe_exit(perp, held.size, deviation, sv, pv, ctx)
        if abs(deviation) < p.opportunity_usd:
            if abs(deviation) < p.opportunity_usd / 2:  # hysteresis: an episode ends at half the threshold
                self._episode[perp] = False
            return []
        sspec, pspec = ctx.specs[self.spot], ctx.specs[perp]
        rich_spot = deviation > 0  # spot rich: sell spot at its bid, buy the perp at its ask
        spot_px = fixed_to_decimal(sv.bids[0][0] if rich_spot else sv.asks[0][0], sv.price_decimals)
        perp_px = fixed_to_decimal(pv.asks[0][0] if rich_spot else pv.bids[0][0], pv.price_decimals)
        fees = sspec.taker_fee * spot_px + pspec.taker_fee * perp_px
        half_spreads = (fixed_to_decimal(sv.asks[0][0] - sv.bids[0][0], sv.price_decimals)
                        + fixed_to_decimal(pv.asks[0][0] - pv.bids[0][0], pv.price_decimals)) / 2  # fmt: skip
        edge = abs(deviation) - fees - half_spreads
        counts["max_edge_usd"] = round(float(edge), 4) if counts["max_edge_usd"] is None else max(
            counts["max_edge_usd"], round(float(edge), 4))
        spot_touch = (sv.bids if rich_spot else sv.asks)[0][1]
        perp_touch = (pv.asks if rich_spot else pv.bids)[0][1]
        legs = self._leg_sizes(sspec, pspec, spot_touch, perp_touch, perp_px)
        trade = (edge > Decimal(str(p.entry_threshold_usd)) and ctx.trading_enabled and legs is not None
                 and ctx.now_ns >= self._next_entry_ns[perp]
                 and not any(x.perp == perp for x in self._pairs.values()))  # fmt: skip
        out: list[Action] = []
        new_episode = not self._episode[perp]
        self._episode[perp] = True
        if new_episode:
            counts["opportunities"] += 1
        if trade:
            out.extend(self._enter(perp, rich_spot, legs, sspec, pspec, ctx))
        if new_episode or trade:
            verb = "sell_spot_buy_perp" if rich_spot else "buy_spot_sell_perp"
            out.append(Signal(self.strategy_id, perp, verb, float(min(1, max(0, edge / abs(deviation)))), ctx.now_ns,
                              f"basis {sv.mid() - pv.mid():.2f} vs expected {expected:.2f} USD: deviation "
                              f"{deviation:+.2f}, fees {fees:.2f}, half spreads {half_spreads:.2f}, edge {edge:.2f} "
                              f"(threshold {p.entry_threshold_usd})", entry=perp_px,
                              size=None if legs is None else fixed_to_decimal(legs[0], sspec.size_decimals),
                              executed=trade))  # fmt: skip
        return out

    def _leg_sizes(self, sspec: InstrumentSpec, pspec: InstrumentSpec, spot_touch: int, perp_touch: int,
                   perp_px: Decimal) -> tuple[int, int] | None:  # fmt: skip
        """``(spot size, perp size)`` fixed-point, matched in BTC; None when under one lot/contract."""
        p = self.params
        spot_btc = fixed_to_decimal(spot_touch, sspec.size_decimals)
        perp_btc = fixed_to_decimal(perp_touch, pspec.size_decimals)
        if pspec.inverse:
            perp_btc = perp_btc * pspec.contract_size / perp_px
        btc = min(p.max_trade_btc, p.touch_fraction * min(spot_btc, perp_btc))
        if pspec.inverse:
            contracts = int((btc * perp_px / pspec.contract_size).to_integral_value(ROUND_HALF_EVEN))
            if contracts < 1:
                return None
            perp_size = contracts * 10**pspec.size_decimals
            btc = contracts * pspec.contract_size / perp_px
        else:
            perp_size = size_to_fixed(btc, pspec)
            btc = fixed_to_decimal(perp_size, pspec.size_decimals)
        spot_size = size_to_fixed(btc, sspec)
        return (spot_size, perp_size) if spot_size > 0 and perp_size > 0 else None

    def _market(self, iid: str, spec: InstrumentSpec, side: Side, size: int, tag: str, ctx: StrategyContext,
                reduce_only: bool = False) -> OrderIntent:  # fmt: skip
        return OrderIntent(IntentAction.SUBMIT, self.strategy_id, ctx.next_client_order_id(tag), iid,
                           spec.price_decimals, spec.size_decimals, side, OrderType.MARKET, size, None, None,
                           TimeInForce.IOC, reduce_only, None, ctx.now_ns, tag)  # fmt: skip

    def _enter(self, perp, rich_spot, legs, sspec, pspec, ctx) -> list[Action]:
        spot_side = Side.SELL if rich_spot else Side.BUY
        spot_leg = self._market(self.spot, sspec, spot_side, legs[0], "basis-spot", ctx)
        perp_leg = self._market(perp, pspec, spot_side.opposite, legs[1], "basis-perp", ctx)
        pair = _Pair(spot_leg.client_order_id, perp, ctx.now_ns)
        for leg in (spot_leg, perp_leg):
            pair.legs[leg.client_order_id] = leg.instrument_id
            pair.sides[leg.client_order_id] = leg.side
            self._leg_pair[leg.client_order_id] = pair.pair_id
        self._pairs[pair.pair_id] = pair
        self.counts[perp]["entries"] += 1
        self._next_entry_ns[perp] = ctx.now_ns + int(self.params.cooldown_ms * 1e6)
        return [spot_leg, perp_leg]

    def _maybe_exit(self, perp, perp_size, deviation, sv, pv, ctx) -> list[Action]:
        timeout_ns = self.params.pair_timeout_ms * 1e6
        self._closing = {c: ts for c, ts in self._closing.items() if ctx.now_ns - ts <= timeout_ns}
        # Entered short the perp on a negative deviation (perp rich): exit once it is back above -exit, and vice versa.
        exit_level = Decimal(str(self.params.exit_deviation_usd))
        reverted = deviation >= -exit_level if perp_size < 0 else deviation <= exit_level
        if (not reverted or self._closing
                or any(x.perp == perp for x in self._pairs.values())):  # fmt: skip
            return []
        sspec, pspec = ctx.specs[self.spot], ctx.specs[perp]
        close_side = Side.SELL if perp_size > 0 else Side.BUY
        out = [self._market(perp, pspec, close_side, abs(perp_size), "basis-exit-perp", ctx, reduce_only=True)]
        btc = fixed_to_decimal(abs(perp_size), pspec.size_decimals)
        if pspec.inverse:
            btc = btc * pspec.contract_size / pv.mid()
        spot_pos = ctx.positions.get(self.spot)
        spot_size = min(size_to_fixed(btc, sspec), abs(spot_pos.size) if spot_pos is not None else 0)
        if spot_size > 0:
            out.append(self._market(self.spot, sspec, close_side.opposite, spot_size, "basis-exit-spot", ctx,
                                    reduce_only=True))  # fmt: skip
        for o in out:
            self._closing[o.client_order_id] = ctx.now_ns
        self.counts[perp]["exits"] += 1
        return out

    def _check_pairs(self, ctx: StrategyContext) -> list[Action]:
        out: list[Action] = []
        for pid, pair in list(self._pairs.items()):
            open_legs = [c for c in pair.legs if c not in pair.done]
            if open_legs:
                if not pair.cancel_sent and ctx.now_ns - pair.ts_sent > self.params.pair_timeout_ms * 1e6:
                    pair.cancel_sent = True
                    out.extend(OrderIntent(IntentAction.CANCEL, self.strategy_id, c, pair.legs[c],
                                           ctx.specs[pair.legs[c]].price_decimals,
                                           ctx.specs[pair.legs[c]].size_decimals, pair.sides[c], ts_created=ctx.now_ns,
                                           tag="basis-timeout") for c in open_legs)  # fmt: skip
                continue
            del self._pairs[pid]
            out.extend(self._unwind_imbalance(pair, ctx))
        return out

    def _unwind_imbalance(self, pair: _Pair, ctx: StrategyContext) -> list[Action]:
        """Flatten the BTC imbalance between a finished pair's legs (a lone leg: all of it)."""
        btc: dict[str, Decimal] = {}
        for cid, iid in pair.legs.items():
            spec, filled = ctx.specs[iid], pair.filled.get(cid, 0)
            size = fixed_to_decimal(filled, spec.size_decimals)
            if spec.inverse and filled:
                avg = pair.notional[cid] / size
                size = size * spec.contract_size / avg
            btc[cid] = size
        (a, b) = pair.legs
        big, small = (a, b) if btc[a] >= btc[b] else (b, a)
        iid = pair.legs[big]
        spec = ctx.specs[iid]
        excess = btc[big] - btc[small]
        if spec.inverse:
            avg = pair.notional[big] / fixed_to_decimal(pair.filled[big], spec.size_decimals)
            units = int((excess * avg / spec.contract_size).to_integral_value(ROUND_HALF_EVEN))
            size = units * 10**spec.size_decimals
        else:
            size = size_to_fixed(excess, spec)
        if size <= 0:
            return []
        self.counts[pair.perp]["unwinds"] += 1
        self._next_entry_ns[pair.perp] = ctx.now_ns + int(self.params.failed_pair_backoff_ms * 1e6)
        return [self._market(iid, spec, pair.sides[big].opposite, min(size, pair.filled[big]), "basis-unwind", ctx,
                             reduce_only=True)]  # fmt: skip


def _build(strategy_id: str, instruments: Sequence[str], params: BasisArbitrageParams) -> BasisArbitrage:
    ids = list(instruments) or ["BTCUSDT.BINANCE", "BTCUSDT.BINANCE_USDM", "BTCUSD_PERP.BINANCE_COINM"]
    if len(ids) < 2:
        raise ConfigError(f"strategy {strategy_id!r} (basis_arbitrage) needs a spot and at least one perp: {ids}")
    return BasisArbitrage(strategy_id, ids[0], ids[1:], params)


register("basis_arbitrage", BasisArbitrageParams, _build)
