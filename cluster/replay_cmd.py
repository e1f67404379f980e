"""``raytrade replay``: serve recorded captures over loopback as Binance serves them, in the foreground.

One replay venue per recording found in the paths (the bundled spot, USD-M and COIN-M captures are three), each
on its own websocket and REST port (``--ws-port``/``--rest-port`` for the first, +1 for each next; 0 lets the OS
pick), all sharing one replay-time origin and one start time so they stay aligned. Prints the URLs, runs until
every replay has ended (then lets subscribers drain and exits 0) or until Ctrl-C, and prints one final JSON status
line on stdout. With ``--paused`` the replay starts on SIGUSR1 (``kill -USR1 <pid>``) or a line on stdin.

``--testnet`` turns on the testnet mode (:mod:`actors.replay.testnet`) of the Binance spot and USD-M venues:
signed order / account / user-data endpoints for the key pair in ``RAYTRADE_TESTNET_API_KEY`` /
``RAYTRADE_TESTNET_API_SECRET`` (a missing one: a one-line error, exit 2), starting balances from
``--testnet-balances`` (spot, default ``USDT=10000,BTC=1``) and ``--testnet-usdm-balances`` (default
``USDT=10000``). Without it nothing changes (the signed routes answer 404).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from actors.errors import RaytradeError

__all__ = ["replay", "run_replay"]


def replay(
    paths: Annotated[list[Path], typer.Argument(help="Capture files (hftbacktest .gz, cryptofeed v1 / v2).")],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    ws_port: Annotated[int, typer.Option(help="Websocket port of the first venue (0: the OS picks).")] = 0,
    rest_port: Annotated[int, typer.Option(help="REST port of the first venue (0: the OS picks).")] = 0,
    speed: Annotated[str, typer.Option(help="Replay speed: 1 = real time, any factor, or 'max'.")] = "1",
    faults: Annotated[str, typer.Option(help="Fault spec, e.g. 'drop=0.001,reorder=0.001:5,rest_429=0.1'.")] = "",
    seed: Annotated[int, typer.Option(help="Fault seed: the same seed injects the same faults.")] = 0,
    fault_log: Annotated[Path | None, typer.Option(help="Write injected faults here (JSON lines).")] = None,
    paused: Annotated[bool, typer.Option(help="Wait for SIGUSR1 or a line on stdin before replaying.")] = False,
    max_records: Annotated[int | None, typer.Option(help="Replay only the first N records of each recording.")] = None,
    testnet: Annotated[bool, typer.Option(help="Testnet mode: signed Binance order endpoints with paper fills "
                                               "(keys from RAYTRADE_TESTNET_API_KEY / _SECRET).")] = False,
    testnet_balances: Annotated[str, typer.Option(help="Spot starting balances per key.")] = "USDT=10000,BTC=1",
    testnet_usdm_balances: Annotated[str, typer.Option(help="USD-M starting margin per key.")] = "USDT=10000",
) -> None:
    """Serve recorded captures over loopback as the exchange serves them (websocket streams and REST)."""
    try:
        testnet_config = _testnet_config(testnet_balances, testnet_usdm_balances) if testnet else None
        code = asyncio.run(run_replay(paths, host, ws_port, rest_port, speed, faults, seed, fault_log, paused,
                                      max_records, testnet_config))  # fmt: skip
    except RaytradeError as exc:
        typer.echo(f"raytrade replay: error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"raytrade replay: error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _testnet_config(spot: str, usdm: str):
    """The testnet config from the environment's key pair. Raises ConfigError when one is missing."""
    from actors.errors import ConfigError
    from actors.replay.testnet import TestnetConfig, parse_balances

    key, secret = os.environ.get("RAYTRADE_TESTNET_API_KEY"), os.environ.get("RAYTRADE_TESTNET_API_SECRET")
    missing = [n for n, v in (("RAYTRADE_TESTNET_API_KEY", key), ("RAYTRADE_TESTNET_API_SECRET", secret)) if not v]
    if missing:
        raise ConfigError(f"--testnet needs {' and '.join(missing)} in the environment")
    return TestnetConfig(keys={key: secret}, spot_balances=parse_balances(spot), usdm_balances=parse_balances(usdm))


def _fault_log_path(path: Path | None, venue: str, several: bool) -> str | None:
    if path is None:
        return None
    return str(path.with_name(f"{path.stem}.{venue}{path.suffix}") if several else path)


async def run_replay(
    paths: list[Path],
    host: str = "127.0.0.1",
    ws_port: int = 0,
    rest_port: int = 0,
    speed: str = "1",
    faults: str = "",
    seed: int = 0,
    fault_log: Path | None = None,
    paused: bool = False,
    max_records: int | None = None,
    testnet=None,
) -> int:
    """Run the venues until the replays end or a stop signal; returns the exit code.

    Raises:
        RaytradeError: unreadable captures or invalid options.
        OSError: a port cannot be bound.
    """
    from actors.replay.captures import read_recordings
    from actors.replay.config import ReplayConfig
    from actors.replay.source import ReplaySource, shared_origin_ns
    from actors.instruments import Venue
    from actors.replay.venue import ReplayVenue

    sources = [ReplaySource.from_recording(r, max_records) for r in read_recordings(paths)]
    origin = shared_origin_ns(sources)
    several = len(sources) > 1
    base = ReplayConfig(host=host, speed=speed, faults=faults, seed=seed, paused=True, origin_ns=origin)  # type: ignore[arg-type]
    venues = [
        ReplayVenue(src, base.with_options(ws_port=ws_port + i if ws_port else 0,
                                           rest_port=rest_port + i if rest_port else 0,
                                           fault_log=_fault_log_path(fault_log, src.venue.value, several),
                                           testnet=testnet if src.venue in (Venue.BINANCE, Venue.BINANCE_USDM)
                                           else None))
        for i, src in enumerate(sources)
    ]  # fmt: skip
    loop = asyncio.get_running_loop()
    stop, go = asyncio.Event(), asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, go.set)
    try:
        for venue in venues:
            urls = await venue.open()
            index = venue.index
            print(f"{urls['venue']}: {venue.source.name}: {index.records} records, "
                  f"{index.duration_ns / 1e9:.1f} s of recorder time, speed {base.speed:g}")  # fmt: skip
            print(f"  ws    {urls['combined']}")
            print(f"  ws    {urls['ws']}/ws/<stream>   streams: {' '.join(urls['streams'])}")
            print(f"  rest  {urls['depth']}?symbol={urls['symbols'][0]}&limit=1000")
            if venue.testnet is not None:
                prefix = venue.protocol.prefix
                stream = "listenKey" if venue.testnet.futures else "userDataStream"
                print(f"  rest  {urls['rest']}{prefix}/order   testnet: signed orders, account, {prefix}/{stream}")
                print(f"  ws    {urls['ws']}/ws/<listenKey>   testnet: user data")
        sys.stdout.flush()
        gc.collect()
        gc.freeze()  # startup objects (modules, indexes, servers) leave the collector: shorter gen-2 pauses
        if paused:
            print(f"paused: start with `kill -USR1 {os.getpid()}` or press Enter", flush=True)
            _watch_stdin(loop, go)
            await _first(go, stop)
        started = time.monotonic()
        at = time.time_ns()
        for venue in venues:
            await venue.start(at)
        finished = asyncio.gather(*(v.wait_finished() for v in venues))
        await _first(finished, stop, progress=(venues, started))
        finished.cancel()
        if not stop.is_set():
            await asyncio.gather(*(v.drain(10.0) for v in venues))
        statuses = [await v.stop() for v in venues]
        for status in statuses:
            status.pop("clients", None)
        print(json.dumps({"wall_s": round(time.monotonic() - started, 3), "venues": statuses}), flush=True)
        return 0
    finally:
        for venue in venues:
            if not venue._stopping:
                await venue.stop()


def _watch_stdin(loop: asyncio.AbstractEventLoop, go: asyncio.Event) -> None:
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError):
        return

    def readable() -> None:
        line = sys.stdin.readline()
        loop.remove_reader(fd)
        if line:  # EOF (no stdin): only the signal starts the replay
            go.set()

    try:
        loop.add_reader(fd, readable)
    except (OSError, ValueError, NotImplementedError):
        pass


async def _first(main: asyncio.Event | asyncio.Future, stop: asyncio.Event, progress: tuple | None = None) -> None:
    """Wait for ``main`` (an event or a future) or ``stop``; print a progress line to stderr every 10 s."""
    waiter = asyncio.ensure_future(main.wait()) if isinstance(main, asyncio.Event) else main
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while True:
            done, _ = await asyncio.wait({waiter, stopper}, timeout=10.0, return_when=asyncio.FIRST_COMPLETED)
            if done:
                return
            if progress is not None:
                venues, started = progress
                parts = []
                for venue in venues:
                    s = await venue.status()
                    parts.append(f"{s['venue']} {s['records']}/{s['records_total']} records, {s['frames_sent']} frames")
                print(f"replay {time.monotonic() - started:.0f} s: " + "; ".join(parts), file=sys.stderr, flush=True)
    finally:
        stopper.cancel()
        if waiter is not main:
            waiter.cancel()
