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

    table = Table(title="raytrade verify")
    for key in ("instrument_id", "frames", "diffs_applied", "diffs_dropped_stale", "gaps", "crossed",
                "ticker_checks", "ticker_mismatches", "ready", "bid_levels", "ask_levels", "best_bid", "best_ask"):
        table.add_column(key)
    for row in results:
        table.add_row(*(str(row[c.header]) for c in table.columns))
    console = Console()
    Console(width=max(console.width, 170)).print(table)


app.command("replay")(replay)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
