"""Acceptance: 1m bars of the bundled spot capture equal an independent pandas ``resample`` of the same trades.

The reference reads the raw capture lines itself (gzip + json, Binance's ``T``/``p``/``q`` fields as
:class:`~decimal.Decimal`), so neither our capture reader, our parser nor our aggregator is involved in it.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pandas as pd
import pytest

from actors.bars.captures import bars_from_captures
from tests.conftest import ROOT, SPOT


def _reference_trades() -> pd.DataFrame:
    rows = []
    for path in SPOT:
        with gzip.open(path, "rt") as fh:
            for line in fh:
                _, body = line.rstrip("\n").split(" ", 1)
                frame = json.loads(body)
                data = frame.get("data", frame) if isinstance(frame, dict) else None
                if isinstance(data, dict) and data.get("e") == "trade":
                    rows.append((data["T"], Decimal(data["p"]), Decimal(data["q"])))
    frame = pd.DataFrame(rows, columns=["T", "price", "size"])
    frame.index = pd.to_datetime(frame["T"], unit="ms", utc=True)
    frame["notional"] = [p * q for p, q in zip(frame["price"], frame["size"], strict=True)]
    return frame


@pytest.fixture(scope="module")
def reference():
    trades = _reference_trades()
    grouped = trades.resample("1min")
    out = pd.DataFrame({
        "open": grouped["price"].first(), "high": grouped["price"].max(), "low": grouped["price"].min(),
        "close": grouped["price"].last(), "volume": grouped["size"].sum(), "notional": grouped["notional"].sum(),
        "trades": grouped["price"].count(),
    })  # fmt: skip
    return out[out["trades"] > 0], len(trades)


def test_spot_1m_bars_equal_pandas_resample(reference):
    expected, n_trades = reference
    bars, notes = bars_from_captures(SPOT, "1m")
    assert notes == []
    assert len(bars) == len(expected) == 12
    assert sum(b.trades for b in bars) == n_trades == 19904
    assert [b.closed for b in bars] == [True] * 11 + [False]
    for bar, (ts, row) in zip(bars, expected.iterrows(), strict=True):
        got = bar.to_dict()
        assert got["start"] == ts.value
        for key in ("open", "high", "low", "close", "volume"):
            assert Decimal(got[key]) == row[key], (ts, key)
        assert got["trades"] == row["trades"]
        with localcontext() as ctx:
            ctx.prec = 60
            vwap = (row["notional"] / row["volume"]).quantize(Decimal("1e-12"), rounding=ROUND_HALF_EVEN)
        assert got["vwap"] == str(vwap)  # exact: 8 price decimals + 4


def test_cli_prints_one_json_object_per_bar_and_the_open_one_last():
    out = subprocess.run([sys.executable, "-m", "cluster.cli", "bars", *map(str, SPOT), "--interval", "5m", "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout.splitlines()  # fmt: skip
    rows = [json.loads(line) for line in out]
    assert [r["start"] for r in rows] == [1723161000000000000, 1723161300000000000, 1723161600000000000,
                                          1723161900000000000]  # fmt: skip
    assert [r["closed"] for r in rows] == [True, True, True, False]
    assert list(rows[0]) == ["instrument_id", "interval", "start", "open", "high", "low", "close", "volume", "vwap",
                             "trades", "closed"]  # fmt: skip
    assert sum(r["trades"] for r in rows) == 19904


def test_cli_bad_interval_or_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "nothing.gz"
    bad.write_bytes(b"not a capture\n")
    for args in (["--interval", "2m", *map(str, SPOT)], [str(bad)]):
        proc = subprocess.run([sys.executable, "-m", "cluster.cli", "bars", *args], capture_output=True, text=True,
                              cwd=ROOT)  # fmt: skip
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1 and "raytrade bars: error" in proc.stderr


def test_cryptofeed_v1_capture_gives_one_open_bar_per_traded_instrument():
    from tests.conftest import FIXTURES

    paths = [FIXTURES / "cryptofeed_v1" / "BINANCE.ws.1.0", FIXTURES / "cryptofeed_v1" / "BINANCE.http.0.0"]
    bars, _ = bars_from_captures(paths, "1m")
    rows = {b.instrument_id: b.to_dict() for b in bars}
    assert set(rows) == {"NKNUSDT.BINANCE", "LRCBTC.BINANCE"} and not any(r["closed"] for r in rows.values())
    assert (rows["LRCBTC.BINANCE"]["open"], rows["LRCBTC.BINANCE"]["vwap"]) == ("0.00000638", "0.000006380000")
