"""The ``raytrade`` command line (typer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from actors.errors import RaytradeError
from cluster.replay_cmd import replay

app = typer.Typer(help="raytrade: distributed crypto market data and trading on Ray.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """raytrade: distributed crypto market data and trading on Ray."""


@app.command()
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Capture files (hftbacktest .gz, cryptofeed v1 / v2).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per instrument per line.")] = False,
) -> None:
    """Rebuild every book in the captures by the venue's sync rules and report per instrument."""
    from cluster.verify import verify_paths

    try:
        results, notes = verify_paths(paths)
    except RaytradeError as exc:
        typer.echo(f"raytrade verify: error: {exc}", err=True)
        raise typer.Exit(2) from None
    for note in notes:
        typer.echo(f"raytrade verify: {note}", err=True)
    if as_json:
        for row in results:
            sys.stdout.write(json.dumps(row) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    # Instrument ids are never cut (spot and USD-M differ only in the suffix): one row per instrument when the
    # terminal is wide enough, else one column per instrument (numbers are short, ids are not).
    keys = ("instrument_id", "frames", "diffs_applied", "diffs_dropped_stale", "gaps", "crossed", "ticker_checks",
            "ticker_mismatches", "ready", "bid_levels", "ask_levels", "best_bid", "best_ask")
    console = Console()
    table = Table(title="raytrade verify")
    if console.width >= 170 or not results:
        for key in keys:
            table.add_column(key, no_wrap=True)
        for row in results:
            table.add_row(*(str(row.get(k, "")) for k in keys))
    else:
        table.add_column("", no_wrap=True)
        for row in results:
            table.add_column(str(row["instrument_id"]), overflow="fold")
        for key in keys[1:]:
            table.add_row(key, *(str(row.get(key, "")) for row in results))
    console.print(table)


@app.command()
def bars(
    paths: Annotated[list[Path], typer.Argument(help="Capture files (every format `raytrade verify` reads).")],
    interval: Annotated[str, typer.Option("--interval", help="1s, 1m, 5m, 15m, 1h, 4h or 1d.")] = "1m",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per bar per line.")] = False,
) -> None:
    """OHLCV + VWAP bars from the trades in capture files (the last, still-open bar marked closed: false)."""
    from actors.bars.captures import bars_from_captures

    try:
        result, notes = bars_from_captures(paths, interval)
    except RaytradeError as exc:
        typer.echo(f"raytrade bars: error: {exc}", err=True)
        raise typer.Exit(2) from None
    for note in notes:
        typer.echo(f"raytrade bars: {note}", err=True)
    rows = [bar.to_dict() for bar in result]
    if as_json:
        sys.stdout.writelines(json.dumps(row) + "\n" for row in rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"raytrade bars ({interval})")
    keys = ("instrument_id", "start", "open", "high", "low", "close", "volume", "vwap", "trades", "closed")
    for key in keys:
        table.add_column(key)
    for row in rows:
        table.add_row(*(str(row[k]) for k in keys))
    Console(width=max(Console().width, 170)).print(table)


app.command("replay")(replay)


@app.command()
def run(
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file.")] = None,
    speed: Annotated[str | None, typer.Option("--speed", help="Replay speed: factor or 'max' (default 11).")] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Stop after this many seconds.")] = None,
    keep_serving: Annotated[bool, typer.Option("--keep-serving", help="Keep the API up after the run.")] = False,
    address: Annotated[str | None, typer.Option("--address", help="'auto' to join a running Ray cluster.")] = None,
    faults: Annotated[str | None, typer.Option("--faults", help="Replay fault spec (see raytrade replay).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Replay fault seed.")] = None,
    api_port: Annotated[int | None, typer.Option("--api-port", help="HTTP API port (default 8000).")] = None,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port",
                                                     help="Prometheus port of the local Ray (default 8080).")] = None,
    store: Annotated[str | None, typer.Option("--store", help="embedded (default) or postgres (DSN from config/env).")] = None,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run directory (default runs/<run_id>).")] = None,
    record_raw: Annotated[bool, typer.Option("--record-raw", help="Also record every received frame.")] = False,
    live: Annotated[bool, typer.Option("--live", help="Allow production trading (mode 'live' strategies; the "
                                       "config must also say [execution] allow_live = true).")] = False,
) -> None:
    """Run the system: replay venues, feeds, books, strategies, supervisor and API; end with a JSON summary."""
    from cluster.config import load_config
    from cluster.run import run as run_system

    overrides = {k: v for k, v in {"replay__speed": speed, "ray__address": address, "replay__faults": faults,
                                   "replay__seed": seed, "api__port": api_port, "ray__metrics_export_port": metrics_port,
                                   "store__kind": store,
                                   "store__run_dir": None if run_dir is None else str(run_dir),
                                   "store__record_raw": record_raw or None}.items() if v is not None}  # fmt: skip
    try:
        cfg = load_config(config, **overrides)
    except RaytradeError as exc:
        typer.echo(f"raytrade run: error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        summary = run_system(cfg, duration_s=duration, keep_serving=keep_serving, live=live)
    except RaytradeError as exc:  # e.g. the store cannot be opened: reported before any actor starts
        typer.echo(f"raytrade run: error: {exc}", err=True)
        raise typer.Exit(2) from None
    if summary.get("interrupted"):
        raise typer.Exit(143 if summary.get("signal") == "SIGTERM" else 130)
    raise typer.Exit(0 if summary.get("ok") else 1)


@app.command()
def record(
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file (the feeds to record).")] = None,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run directory (default runs/<run_id>).")] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Stop after this many seconds.")] = None,
    speed: Annotated[str | None, typer.Option("--speed", help="Replay speed when the config replays.")] = None,
) -> None:
    """Record every received frame and REST snapshot body of the configured feeds, byte for byte, in the capture
    format `verify` and `replay` read (`<run_dir>/raw/<venue>/<symbol>_<date>.gz`); no strategy trades."""
    from cluster.config import load_config
    from cluster.run import run as run_system

    overrides = {k: v for k, v in {"replay__speed": speed, "store__run_dir": None if run_dir is None else str(run_dir),
                                   "store__record_raw": True, "strategies": []}.items() if v is not None}  # fmt: skip
    try:
        cfg = load_config(config, **overrides)
        summary = run_system(cfg, duration_s=duration)
    except RaytradeError as exc:
        typer.echo(f"raytrade record: error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(0 if summary.get("ok") else 1)


@app.command()
def report(
    run_dir: Annotated[Path | None, typer.Argument(help="A run directory (runs/<run_id>) of the embedded store.")] = None,
    dsn: Annotated[str | None, typer.Option("--dsn", help="Read a PostgreSQL store instead (latest run).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: strategies and plots.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Where the PNG plots go (default: the run dir).")] = None,
) -> None:
    """Performance per strategy from a stored run, with PNG plots (equity and drawdown, PnL, fills, basis)."""
    from cluster.report import report_command

    raise typer.Exit(report_command(None if run_dir is None else str(run_dir), dsn, as_json,
                                    None if out is None else str(out)))


@app.command()
def parity(
    paths: Annotated[list[Path] | None, typer.Argument(help="One Binance spot BTCUSDT recording (default: the "
                                                           "bundled 11-minute capture).")] = None,
    records: Annotated[int | None, typer.Option("--records", help="Only the first N records.")] = None,
) -> None:
    """Run the market maker over a recording in paper and in testnet mode (the testnet-mode replay venue on
    loopback, real ccxt), in lock step, and compare orders and fills element for element
    (:mod:`actors.execution.parity`). Prints one JSON line; exits 0 when equal, 1 when not."""
    import asyncio

    from actors.execution.parity import market_maker_parity

    if not paths:
        sample = Path(__file__).resolve().parent.parent / "data" / "sample" / "hftbacktest" / "binance_spot"
        paths = [sample / "btcusdt_20240808.gz", sample / "btcusdt_20240809.gz"]
    try:
        result = asyncio.run(market_maker_parity([str(p) for p in paths], records))
    except RaytradeError as exc:
        typer.echo(f"raytrade parity: error: {exc}", err=True)
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(result) + "\n")
    raise typer.Exit(0 if result["equal"] else 1)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
