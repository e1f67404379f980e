"""Rows: exact money, every column present, idempotent keys stable across calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.recorder.rows import coerce, partition_of, to_row
from actors.recorder.schema import COLUMNS
from tests.unit.test_recorder_samples import RUN, market_events, sample_rows, trading_items


def test_trade_row_is_exact_and_keyed_by_run_instrument_and_trade_id():
    trade = market_events()[0][0]
    row = to_row("trades", trade, RUN)
    assert row["price"] == Decimal("61837.63000000") and row["size"] == Decimal("0.02000000")
    assert row["row_key"] == f"{RUN}:BTCUSDT.BINANCE:{trade.trade_id}"
    assert row["venue"] == "binance" and set(row) == {c for c, _ in COLUMNS["trades"]}


def test_quote_row_derives_spread_and_mid_exactly():
    quote = market_events()[1][0]
    row = to_row("quotes", quote, RUN)
    assert row["spread"] == row["ask_price"] - row["bid_price"] == Decimal("0.01000000")
    assert row["mid"] == (row["ask_price"] + row["bid_price"]) / 2 == Decimal("61837.635")


def test_every_order_state_change_is_its_own_row_with_its_own_key():
    rows = sample_rows()["orders"]
    assert [r["event"] for r in rows] == ["accepted", "partially_filled", "partially_filled", "canceled"]
    assert [r["filled"] for r in rows] == [Decimal("0"), Decimal("0.40000"), Decimal("0.50000"), Decimal("0.50000")]
    assert rows[-1]["ts_canceled"] == rows[-1]["ts_event"] and rows[-1]["error_message"] == "user"
    assert len({r["row_key"] for r in rows}) == 4


def test_same_message_gives_the_same_key_in_a_restarted_recorder():
    first, again = sample_rows(), sample_rows()
    assert all([r["row_key"] for r in first[t]] == [r["row_key"] for r in again[t]] for t in first)


def test_risk_event_dict_is_read_column_by_column_and_detail_becomes_json():
    row = to_row("risk_events", trading_items()["risk_events"][0], RUN)
    assert row["kind"] == "approve" and row["detail"] == '{"notional":"61.84"}' and row["state"] == "active"


def test_float_money_is_refused():
    with pytest.raises(TypeError, match="exact"):
        coerce("fills", {"price": 61837.63})


def test_market_rows_partition_by_venue_and_utc_date():
    row = to_row("trades", market_events()[0][0], RUN)
    assert partition_of("trades", row) == ("binance", "2024-08-08")
