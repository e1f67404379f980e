"""Real batches for the recorder tests (the bundled spot capture + one order's real lifecycle), and their rows."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from actors.messages import BookSnapshot, BookView, Quote, Trade
from actors.orders import IntentAction, Liquidity, OrderIntent, OrderState, OrderType, PositionSnapshot, Side, Signal
from actors.recorder.rows import to_rows
from tests.conftest import SPOT, load_events

RUN = "run-test"


@lru_cache(maxsize=1)
def market_events() -> tuple[list[Trade], list[Quote], list[BookView]]:
    """Trades, quotes and top-10 views from the first 3,000 records of the spot capture."""
    events = [e for _, e in load_events(SPOT[:1], "binance", limit=3000)]
    trades = [e for e in events if isinstance(e, Trade)]
    quotes = [e for e in events if isinstance(e, Quote)]
    snaps = [e for e in events if isinstance(e, BookSnapshot)]
    views = [BookView(s.instrument_id, True, s.sequence, s.bids[:10], s.asks[:10], s.price_decimals,
                      s.size_decimals, s.ts_event, s.ts_recv, s.ts_recv + k) for s in snaps for k in range(3)]
    return trades, quotes, views


def trading_items() -> dict[str, list]:
    """One limit order's lifecycle (accepted, two partial fills, canceled), its fills, a position, a signal, ..."""
    intent = OrderIntent(IntentAction.SUBMIT, "mm-1", "mm-1-1", "BTCUSDT.BINANCE", 2, 5, Side.BUY, OrderType.LIMIT,
                         size=100_000, price=6_183_763, ts_created=1_723_161_254_000_000_000)
    state = OrderState(intent, "USDT", "paper-1", 1_723_161_254_000_000_000)
    t = 1_723_161_254_100_000_000
    events = [state.accept(t), state.fill(6_183_763, 40_000, Liquidity.MAKER, Decimal("0.0247350520"), t + 1),
              state.fill(6_183_763, 10_000, Liquidity.MAKER, Decimal("0.0061837630"), t + 2),
              state.cancel("user", t + 3)]
    fills = [e.fill for e in events if e.fill is not None]
    position = PositionSnapshot("mm-1", "BTCUSDT.BINANCE", 50_000, 5, Decimal("61837.63"), Decimal(0),
                                Decimal("-0.25"), Decimal("0.030918815"), "USDT", "open", t + 1, t + 2)
    signal = Signal("mm-1", "BTCUSDT.BINANCE", "buy", 0.7, t, "spread wide", entry=Decimal("61837.63"),
                    size=Decimal("0.001"), executed=True)
    risk = {"ts_event": t, "kind": "approve", "reason": "ok", "strategy_id": "mm-1", "client_order_id": "mm-1-1",
            "instrument_id": "BTCUSDT.BINANCE", "detail": {"notional": "61.84"}, "state": "active"}
    feed = {"feed_id": "binance-spot", "instrument_id": "BTCUSDT.BINANCE", "kind": "gap", "detail": "U != u+1",
            "ts": t}
    audit = {"token_id": "tok-3f2a", "action": "POST /feeds/binance-spot/restart", "target": "binance-spot",
             "result": "202", "ts": t}
    return {"orders": events, "fills": fills, "positions": [position], "signals": [signal], "risk_events": [risk],
            "feed_events": [feed], "audit_log": [audit]}


def sample_rows(run_id: str = RUN) -> dict[str, list[dict]]:
    """Every sample batch as store rows, per table."""
    trades, quotes, views = market_events()
    out = {"trades": to_rows("trades", trades, run_id), "quotes": to_rows("quotes", quotes, run_id),
           "book_snapshots": to_rows("book_snapshots", views, run_id)}
    out.update({table: to_rows(table, items, run_id) for table, items in trading_items().items()})
    return out


def test_samples_cover_market_and_trading_tables():
    rows = sample_rows()
    assert len(rows["trades"]) > 400 and len(rows["quotes"]) > 2000 and len(rows["orders"]) == 4
    assert all(len({r["row_key"] for r in batch}) == len(batch) for batch in rows.values())
