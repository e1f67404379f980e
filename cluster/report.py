"""``raytrade report [RUN_DIR | --dsn DSN] [--json] [--out DIR]``: the performance summary of a recorded run.

Reads a store (the embedded run directory ``runs/<run_id>/`` or PostgreSQL) through :func:`open_store`, queries
it with DuckDB (over the rows as DataFrames: the Parquet market data, the SQLite / PostgreSQL trading tables),
and prints per strategy:

* from ``fills``: ``fills``, ``buys``, ``sells``, ``volume`` (Σ price · size, quote currency), ``fees``;
* from the latest ``strategy_state`` row: ``trades``, ``wins``, ``losses``, ``win_rate``, ``realized_pnl``,
  ``unrealized_pnl``, ``total_pnl``;
* from the ``performance_metrics`` equity series: :func:`actors.portfolio.analytics.performance` (Sharpe, Sortino,
  max drawdown, return; sampling interval = the median spacing of the series, annualised over 365 days).

PNG plots (matplotlib, written to ``--out``, default ``<RUN_DIR>/report`` or ``./report``): ``equity.png``
(equity with drawdown per strategy), ``pnl.png`` (total PnL per strategy), ``fills.png`` (fills on the mid-price
series per instrument), ``spread.png`` (spread per instrument and the basis, first instrument's mid minus each
other's, as-of joined on ``ts_recv``). ``--json`` prints one JSON object: ``run_ids``, ``store``, ``strategies``
(per id: the analytics) and ``plots`` (paths).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from actors.portfolio.analytics import performance
from actors.recorder.store import open_store

__all__ = ["build_report", "report_command"]

_TABLES = ("fills", "strategy_state", "performance_metrics", "quotes", "orders", "trading_sessions")


def _frames(store) -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame(store.read(t)) for t in _TABLES}


def _dec(v) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return format(v, "f") if isinstance(v, Decimal) else str(v)


def _strategy_stats(frames: dict[str, pd.DataFrame]) -> dict[str, dict]:
    con = duckdb.connect()
    out: dict[str, dict] = {}
    fills = frames["fills"]
    if not fills.empty:
        con.register("fills", fills.assign(price_f=fills["price"].astype(str), size_f=fills["size"].astype(str),
                                           fee_f=fills["fee"].astype(str)))
        q = """SELECT strategy_id, count(*) AS fills, count(*) FILTER (side = 'buy') AS buys,
                      count(*) FILTER (side = 'sell') AS sells,
                      sum(CAST(price_f AS DECIMAL(38, 10)) * CAST(size_f AS DECIMAL(38, 10))) AS volume,
                      sum(CAST(fee_f AS DECIMAL(38, 18))) AS fees
               FROM fills GROUP BY strategy_id ORDER BY strategy_id"""
        for sid, n, buys, sells, volume, fees in con.execute(q).fetchall():
            out[sid] = {"fills": n, "buys": buys, "sells": sells, "volume": _dec(volume),
                        "fees": _dec(Decimal(fees).normalize() if fees is not None else None)}
    state = frames["strategy_state"]
    if not state.empty:
        for sid, rows in state.sort_values("ts").groupby("strategy_id"):
            last = rows.iloc[-1]
            out.setdefault(sid, {}).update(
                {k: (_dec(last[k]) if isinstance(last[k], Decimal) else (None if pd.isna(last[k]) else last[k]))
                 for k in ("trades", "wins", "losses", "win_rate", "realized_pnl", "unrealized_pnl", "total_pnl")})
    metrics = frames["performance_metrics"]
    if not metrics.empty:
        for sid, rows in metrics.sort_values("ts").groupby("strategy_id"):
            points = [(int(ts), Decimal(e)) for ts, e in zip(rows["ts"], rows["equity"]) if e is not None]
            if not points:
                continue
            gaps = pd.Series([b - a for (a, _), (b, _) in zip(points, points[1:])])
            interval_s = float(gaps.median()) / 1e9 if len(gaps) else 60.0
            perf = performance(points, [], interval_s or 60.0, points[0][1])
            out.setdefault(sid, {}).update({k: perf[k] for k in ("sharpe", "sortino", "max_drawdown",
                                                                 "max_drawdown_pct", "total_return", "return_pct")})
            out[sid]["equity_points"] = len(points)
    for stats in out.values():
        for k, v in list(stats.items()):
            if hasattr(v, "item"):
                stats[k] = v.item()  # numpy scalars -> JSON
    return out


def _plots(frames: dict[str, pd.DataFrame], out_dir: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}

    def save(fig, name: str) -> None:
        path = out_dir / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths[name] = str(path)

    metrics = frames["performance_metrics"]
    fig, (ax_eq, ax_dd) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for sid, rows in (metrics.sort_values("ts").groupby("strategy_id") if not metrics.empty else []):
        t = pd.to_datetime(rows["ts"], unit="ns")
        eq = rows["equity"].astype(float)  # plotting only
        ax_eq.plot(t, eq, label=sid)
        ax_dd.fill_between(t, eq - eq.cummax(), 0, alpha=0.4, label=sid)
    ax_eq.set_title("equity"), ax_dd.set_title("drawdown")
    ax_eq.legend(loc="best", fontsize=7) if not metrics.empty else None
    save(fig, "equity")

    stats = _strategy_stats(frames)
    fig, ax = plt.subplots(figsize=(8, 4))
    names = list(stats)
    ax.bar(names, [float(stats[s].get("total_pnl") or stats[s].get("total_return") or 0) for s in names])
    ax.set_title("PnL per strategy")
    save(fig, "pnl")

    quotes, fills = frames["quotes"], frames["fills"]
    fig, ax = plt.subplots(figsize=(10, 5))
    if not quotes.empty:
        for iid, rows in quotes.groupby("instrument_id"):
            ax.plot(pd.to_datetime(rows["ts_recv"], unit="ns"), rows["mid"].astype(float), lw=0.7, label=iid)
    if not fills.empty:
        for side, marker in (("buy", "^"), ("sell", "v")):
            f = fills[fills["side"] == side]
            ax.scatter(pd.to_datetime(f["ts_event"], unit="ns"), f["price"].astype(float), marker=marker, s=30,
                       label=f"{side} fills", zorder=3)
    ax.set_title("fills on the mid price"), ax.legend(loc="best", fontsize=7)
    save(fig, "fills")

    fig, (ax_s, ax_b) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    if not quotes.empty:
        groups = {iid: rows.sort_values("ts_recv") for iid, rows in quotes.groupby("instrument_id")}
        for iid, rows in groups.items():
            ax_s.plot(pd.to_datetime(rows["ts_recv"], unit="ns"), rows["spread"].astype(float), lw=0.7, label=iid)
        ids = list(groups)
        for other in ids[1:]:
            joined = pd.merge_asof(groups[ids[0]][["ts_recv", "mid"]], groups[other][["ts_recv", "mid"]],
                                   on="ts_recv", suffixes=("", "_o")).dropna()
            ax_b.plot(pd.to_datetime(joined["ts_recv"], unit="ns"),
                      joined["mid"].astype(float) - joined["mid_o"].astype(float), lw=0.7, label=f"{ids[0]} - {other}")
        ax_s.legend(loc="best", fontsize=7)
    ax_s.set_title("spread"), ax_b.set_title("basis")
    save(fig, "spread")
    return paths


def build_report(run_dir: str | Path | None = None, dsn: str | None = None, out_dir: str | Path | None = None) -> dict:
    """Read the store and return ``{"run_ids", "store", "strategies", "plots"}`` (writes the PNGs).

    Raises:
        StoreUnavailable: the store cannot be opened. ValueError: neither or both of run_dir / dsn.
    """
    if (run_dir is None) == (dsn is None):
        raise ValueError("give a run directory or --dsn")
    config = {"kind": "embedded", "run_dir": str(run_dir)} if run_dir else {"kind": "postgres", "dsn": dsn}
    if run_dir and not Path(run_dir).is_dir():
        raise ValueError(f"{run_dir}: no such run directory")
    store = open_store(config)
    try:
        frames = _frames(store)
    finally:
        store.close()
    out = Path(out_dir) if out_dir else (Path(run_dir) / "report" if run_dir else Path("report"))
    run_ids = sorted({r for f in frames.values() if not f.empty for r in f["run_id"]})
    return {"run_ids": run_ids, "store": store.kind, "strategies": _strategy_stats(frames),
            "plots": _plots(frames, out)}


def report_command(run_dir: str | None, dsn: str | None, as_json: bool = False, out_dir: str | None = None) -> int:
    """The body of ``raytrade report``: print the summary (or one JSON object); return the exit code (2 on error)."""
    from actors.errors import RaytradeError

    try:
        result = build_report(run_dir, dsn, out_dir)
    except (RaytradeError, ValueError) as exc:
        print(f"raytrade report: error: {exc}", flush=True)
        return 2
    if as_json:
        print(json.dumps(result, default=str))
        return 0
    print(f"run {', '.join(result['run_ids']) or '-'} ({result['store']})")
    for sid, stats in result["strategies"].items():
        print(f"  {sid}: " + ", ".join(f"{k}={v}" for k, v in stats.items()))
    for name, path in result["plots"].items():
        print(f"  plot {name}: {path}")
    return 0
