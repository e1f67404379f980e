"""Pure portfolio trading state and breakers: ``active`` / ``reducing`` / ``halted`` (issue 9 item 6).

Trading state is portfolio-wide: the breakers watch the total equity (USD), per-strategy limits sit below them
in the pre-trade rules. The word *circuit* belongs to feed restarts; here it is *breaker* and *trading state*.

Breakers, on every equity sample (``on_equity``, on the market clock: the venue's ``ts_event`` in ns):

- **daily loss**: ``(start_of_day - equity) / start_of_day``, where ``start_of_day`` is the first equity seen at or
  after each 00:00 UTC boundary of ``ts_event`` (TRADING.md: "the daily-loss limit is measured from the equity at
  00:00 UTC"); the first sample of a run (or after a reset) starts its day. Reaching ``daily_loss_limit_pct``
  trips ``halted`` with reason ``daily_loss_limit``.
- **drawdown**: ``(peak - equity) / peak`` over the run (TRADING.md "max drawdown"); reaching ``max_drawdown_pct``
  trips ``halted`` with reason ``max_drawdown``.
- **reducing level**: when either loss has used ``reducing_at_pct`` of its limit, ``active -> reducing`` (only
  position-reducing orders pass; reason: the limit most used). Chosen behaviour: ``reducing`` goes back to
  ``active`` by itself once both usages fall under the level again (a new UTC day restarts the daily loss, or the
  equity recovers), with a ``state`` event ``recovered``; the level is a warning zone, not a stop.
- ``halted`` never leaves by itself: only :meth:`Breakers.reset` (explicit, by an authenticated operator) does.

Comparisons are exact (cross-multiplied Decimals: a loss of exactly 5 % trips a 5 % limit); a limit is reached at
``>=``. A baseline (start-of-day or peak) that is not positive gives 0 %: there is nothing left to lose in percent.
Every transition is a :class:`RiskEvent`, appended to :attr:`Breakers.events` and returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

import msgspec

from actors.risk.limits import RiskLimits

__all__ = ["DAY_NS", "Breakers", "RiskEvent", "TradingState"]

DAY_NS = 86_400 * 10**9
"""One UTC day in ns; ``ts // DAY_NS`` is the UTC day number (epoch days have no leap seconds)."""

_HUNDRED = Decimal(100)
_Q = Decimal("0.0001")


class TradingState(StrEnum):
    """Portfolio trading state: ``active`` (all rules), ``reducing`` (only reducing orders), ``halted`` (cancels)."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskEvent(msgspec.Struct, frozen=True, gc=False):
    """One risk decision or transition, persisted by the recorder before it is acknowledged.

    Attributes:
        ts_event: ns; the gate's clock for approve / reject, the market clock for breakers, the caller's for
            kill / reset / limits.
        kind: ``approve`` | ``reject`` | ``breaker`` (a trip to reducing / halted) | ``kill`` | ``reset`` |
            ``state`` (other state news: ``start_of_day``, ``recovered``) | ``limits`` (limits changed).
        reason: the rule name for a rejection (``max_order_notional``, ``halted``, ``risk_unavailable``, ...),
            ``submit`` / ``replace`` / ``cancel`` for an approval, the breaker (``daily_loss_limit``,
            ``max_drawdown``) for a trip.
        strategy_id, client_order_id, instrument_id: of the intent, empty for portfolio events.
        detail: human-readable numbers.
        state: the trading state after the event.
    """

    ts_event: int
    kind: str
    reason: str
    strategy_id: str = ""
    client_order_id: str = ""
    instrument_id: str = ""
    detail: str = ""
    state: str = ""

    @property
    def key(self) -> str:
        """Idempotent row key for the recorder: one decision per (time, kind, order, reason)."""
        return f"{self.ts_event}:{self.kind}:{self.strategy_id}:{self.client_order_id}:{self.reason}"

    def to_json(self) -> dict:
        """JSON-friendly dict of every field."""
        return msgspec.structs.asdict(self)


class Breakers:
    """The portfolio's trading state, driven by equity samples, the kill switch and explicit resets.

    Args:
        limits: read for ``daily_loss_limit_pct``, ``max_drawdown_pct``, ``reducing_at_pct``, ``flatten_on_halt``;
            may be replaced later (``breakers.limits = ...``), taking effect at the next sample.
        on_event: called with every event as it happens (the gate records them through it), optional.

    Attributes:
        state: the current :class:`TradingState`.
        flatten_requested: True after the kill switch, or a trip with ``flatten_on_halt``: the actor should
            flatten every position (``RiskGate.flatten_intents``); cleared by :meth:`reset`.
        halt_reason: why the state is ``halted`` (``""`` otherwise).
        events: every event so far, oldest first.
    """

    def __init__(self, limits: RiskLimits, on_event: Callable[[RiskEvent], None] | None = None) -> None:
        self.limits = limits
        self.on_event = on_event
        self.state = TradingState.ACTIVE
        self.flatten_requested = False
        self.halt_reason = ""
        self.events: list[RiskEvent] = []
        self.day: int | None = None
        self.start_of_day_equity: Decimal | None = None
        self.peak_equity: Decimal | None = None
        self.last_equity: Decimal | None = None
        self.last_ts: int | None = None

    def on_equity(self, equity_usd: Decimal, ts_event: int) -> list[RiskEvent]:
        """Take one portfolio equity sample.

        Args:
            equity_usd: total portfolio equity, USD (Decimal or int; floats are refused: money is exact).
            ts_event: the market clock (ns) the equity was marked at.

        Returns:
            The events this sample caused (a new day's baseline, a trip, a recovery), possibly empty.

        Raises:
            TypeError: ``equity_usd`` is a float or not a number.
        """
        if isinstance(equity_usd, (float, bool)) or not isinstance(equity_usd, (Decimal, int)):
            raise TypeError(f"equity must be an exact Decimal or int, got {type(equity_usd).__name__}")
        equity = Decimal(equity_usd)
        out: list[RiskEvent] = []
        day = ts_event // DAY_NS
        if self.day is None or day > self.day:
            self.day, self.start_of_day_equity = day, equity
            out.append(self._event(ts_event, "state", "start_of_day", f"start-of-day equity {equity} USD on "
                                   f"{datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()}"))  # fmt: skip
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        self.last_equity, self.last_ts = equity, ts_event
        if self.state is not TradingState.HALTED:
            out.extend(self._evaluate(ts_event))
        for event in out:
            self._emit(event)
        return out

    def kill(self, ts: int, reason: str = "kill_switch", actor: str = "api") -> list[RiskEvent]:
        """The kill switch: ``halted`` at once and flatten requested (the caller also cancels every open order).

        Args:
            ts: ns. reason: recorded as the event's reason. actor: who pulled it (``"api"``, a user name).
        """
        self.state, self.halt_reason, self.flatten_requested = TradingState.HALTED, reason, True
        return [self._emit(self._event(ts, "kill", reason, f"by {actor}; flatten requested"))]

    def reset(self, ts: int, actor: str) -> list[RiskEvent]:
        """Leave ``halted`` / ``reducing``: back to ``active``, explicitly. The next equity sample starts a new day
        baseline and a new peak (the old losses no longer count).

        Args:
            ts: ns. actor: the authenticated operator (checked by the API before it calls this).

        Raises:
            ValueError: ``actor`` is empty (a reset must name who made it).
        """
        if not actor:
            raise ValueError("a reset must name the authenticated actor who made it")
        before = self.state
        self.state, self.halt_reason, self.flatten_requested = TradingState.ACTIVE, "", False
        self.day = self.start_of_day_equity = self.peak_equity = None
        return [self._emit(self._event(ts, "reset", "reset", f"by {actor}; was {before.value}"))]

    def usage(self) -> dict:
        """JSON-friendly: equities (USD strings), losses and their share of each limit (% strings), the state."""
        lim = self.limits
        daily, drawdown = self.daily_loss_pct(), self.drawdown_pct()
        s = lambda v: None if v is None else str(v)  # noqa: E731
        return {
            "state": self.state.value, "halt_reason": self.halt_reason, "flatten_requested": self.flatten_requested,
            "start_of_day_equity": s(self.start_of_day_equity), "peak_equity": s(self.peak_equity),
            "last_equity": s(self.last_equity), "last_ts": self.last_ts,
            "day": None if self.day is None else datetime.fromtimestamp(self.day * 86_400, UTC).date().isoformat(),
            "daily_loss_pct": str(daily.quantize(_Q)), "drawdown_pct": str(drawdown.quantize(_Q)),
            "daily_loss_limit_pct": str(lim.daily_loss_limit_pct), "max_drawdown_pct": str(lim.max_drawdown_pct),
            "daily_loss_used_pct": str((daily / lim.daily_loss_limit_pct * _HUNDRED).quantize(_Q)),
            "drawdown_used_pct": str((drawdown / lim.max_drawdown_pct * _HUNDRED).quantize(_Q)),
            "reducing_at_pct": s(lim.reducing_at_pct),
        }  # fmt: skip

    def daily_loss_pct(self) -> Decimal:
        """Loss from the start-of-day equity, % (0 when up or before the first sample)."""
        return _loss_pct(self.start_of_day_equity, self.last_equity)

    def drawdown_pct(self) -> Decimal:
        """Fall from the peak equity, % (0 at the peak or before the first sample)."""
        return _loss_pct(self.peak_equity, self.last_equity)

    def _evaluate(self, ts: int) -> list[RiskEvent]:
        lim = self.limits
        daily = _Loss("daily_loss_limit", self.start_of_day_equity, self.last_equity, lim.daily_loss_limit_pct)
        drawdown = _Loss("max_drawdown", self.peak_equity, self.last_equity, lim.max_drawdown_pct)
        for loss in (daily, drawdown):
            if loss.used_at_least(_HUNDRED):
                self.state, self.halt_reason = TradingState.HALTED, loss.name
                self.flatten_requested = self.flatten_requested or lim.flatten_on_halt
                flatten = "; flatten requested" if lim.flatten_on_halt else ""
                return [self._event(ts, "breaker", loss.name, loss.describe() + flatten)]
        if lim.reducing_at_pct is None:
            return []
        hot = [loss for loss in (daily, drawdown) if loss.used_at_least(lim.reducing_at_pct)]
        if hot and self.state is TradingState.ACTIVE:
            worst = max(hot, key=lambda loss: loss.used_pct())
            self.state = TradingState.REDUCING
            return [self._event(ts, "breaker", worst.name, f"{worst.describe()}; reducing at "
                                f"{lim.reducing_at_pct} % of the limit")]  # fmt: skip
        if not hot and self.state is TradingState.REDUCING:
            self.state = TradingState.ACTIVE
            return [self._event(ts, "state", "recovered", f"{daily.describe()}; {drawdown.describe()}")]
        return []

    def to_state(self) -> dict:
        """The state a restarted risk actor needs (JSON-friendly: Decimals as strings), for a checkpoint."""
        s = lambda v: None if v is None else str(v)  # noqa: E731
        return {"state": self.state.value, "halt_reason": self.halt_reason,
                "flatten_requested": self.flatten_requested, "day": self.day,
                "start_of_day_equity": s(self.start_of_day_equity), "peak_equity": s(self.peak_equity),
                "last_equity": s(self.last_equity), "last_ts": self.last_ts}  # fmt: skip

    def restore(self, state: Mapping[str, object]) -> None:
        """Continue from a :meth:`to_state` checkpoint: same trading state, same day baseline and peak.

        Raises:
            ValueError: not a checkpoint of this class (unknown state, missing keys, bad numbers).
        """
        try:
            d = lambda k: None if state[k] is None else Decimal(str(state[k]))  # noqa: E731
            i = lambda k: None if state[k] is None else int(state[k])  # noqa: E731
            restored = (TradingState(state["state"]), str(state["halt_reason"]), bool(state["flatten_requested"]),
                        i("day"), d("start_of_day_equity"), d("peak_equity"), d("last_equity"), i("last_ts"))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a breakers checkpoint: {exc!r}") from None
        (self.state, self.halt_reason, self.flatten_requested, self.day, self.start_of_day_equity,
         self.peak_equity, self.last_equity, self.last_ts) = restored  # fmt: skip

    def _emit(self, event: RiskEvent) -> RiskEvent:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def _event(self, ts: int, kind: str, reason: str, detail: str) -> RiskEvent:
        return RiskEvent(ts_event=ts, kind=kind, reason=reason, detail=detail, state=self.state.value)


def _loss_pct(base: Decimal | None, equity: Decimal | None) -> Decimal:
    if base is None or equity is None or base <= 0 or equity >= base:
        return Decimal(0)
    return (base - equity) / base * _HUNDRED


class _Loss:
    """One loss measure against its limit, compared exactly: ``loss / base * 100 >= limit * used / 100``."""

    __slots__ = ("name", "base", "equity", "limit_pct")

    def __init__(self, name: str, base: Decimal | None, equity: Decimal | None, limit_pct: Decimal) -> None:
        self.name, self.base, self.equity, self.limit_pct = name, base, equity, limit_pct

    def used_at_least(self, used_pct: Decimal) -> bool:
        if self.base is None or self.equity is None or self.base <= 0 or self.equity >= self.base:
            return False
        return (self.base - self.equity) * _HUNDRED * _HUNDRED >= used_pct * self.limit_pct * self.base

    def used_pct(self) -> Decimal:
        return _loss_pct(self.base, self.equity) / self.limit_pct * _HUNDRED

    def describe(self) -> str:
        pct = _loss_pct(self.base, self.equity).quantize(_Q)
        return f"{self.name}: {pct} % of {self.base} USD (limit {self.limit_pct} %), equity {self.equity} USD"
