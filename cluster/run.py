"""``raytrade run``: start the topology, show progress, end with one JSON summary line on stdout.

The run ends when every replay venue has dispatched its recording and the pipeline has drained (every feed has
received what its venue sent and every batch is acknowledged), or after ``--duration`` seconds, or on Ctrl-C.
Progress goes to stderr (a rich status line on a terminal, a plain line every few seconds otherwise); the last
line on stdout is the JSON summary:

``{"ok", "wall_s", "speed", "api_url", "frames", "frames_per_s", "instruments": {iid: {frames, diffs_applied,
gaps, resyncs, checksum_checks, checksum_mismatches, ready, best_bid, best_ask, ticker_checks, ticker_mismatches,
...}}, "latency_ms":
{"frame_to_book", "frame_to_subscriber", "book_to_subscriber"}, "basis": {...}, "feeds": {...}, "replay": {...}}``
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext, redirect_stdout
from typing import Any

import ray
from rich.console import Console

from actors.errors import RaytradeError
from actors.metrics import RayMetricsSink, percentiles_ms
from actors.telemetry import samples_from_status
from actors.validation.validator import merge_stats
from cluster.config import RaytradeConfig, check_live_guard
from cluster.topology import Topology

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(config: RaytradeConfig, duration_s: float | None = None, keep_serving: bool = False,
        console: Console | None = None, before_teardown: Callable[[Topology], None] | None = None,
        live: bool = False) -> dict:  # fmt: skip
    """Run the system described by ``config``; return (and print) the summary.

    Args:
        before_teardown: called with the live topology after the run ended and before anything is torn down
            (tests read final books through it).
        live: the command line's ``--live``: production trading needs it and ``[execution] allow_live``.

    Ctrl-C (SIGINT) and SIGTERM end the run cleanly: the summary is marked ``interrupted: true`` (with the signal
    name) and ``ok: false``; the CLI exits 130 / 143. Before Ray starts, every ``RAYTRADE_*`` variable is removed
    from this process's environment (the config already holds them), so no secret reaches an actor process.

    Raises:
        ConfigError: invalid configuration or the API port is taken. StoreUnavailable: the store cannot be opened.
            Both before any actor starts. Any other error while starting (an actor that dies or does not answer)
            ends the run with a summary ``ok: false, error: "startup failed: <Type>: <message>"`` after teardown.

    Standard output carries the summary line only: while the run lasts, anything else written to ``sys.stdout``
    (Ray prints its raylet warnings there, e.g. "N PYTHON worker processes have been started") goes to stderr.
    """
    real_stdout = sys.stdout
    with redirect_stdout(sys.stderr):
        summary = _run(config, duration_s, keep_serving, console, before_teardown, live)
        real_stdout.write(json.dumps(summary) + "\n")
        real_stdout.flush()
    return summary


def _run(config: RaytradeConfig, duration_s: float | None, keep_serving: bool, console: Console | None,
         before_teardown: Callable[[Topology], None] | None, live: bool = False) -> dict:  # fmt: skip
    console = console or Console(stderr=True)
    topo = Topology(config, live_confirmed=live)
    t0 = time.monotonic()
    stop: dict[str, Any] = {"flag": False, "signal": None}

    def on_signal(signum, _frame) -> None:
        stop["flag"], stop["signal"] = True, signal.Signals(signum).name

    summary: dict[str, Any] = {"ok": False}
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _check_api_port(config)
        _check_metrics_port(config)
        topo.check_store()  # a bad DSN or an unreachable server: one clear error before any actor starts
        check_live_guard(config, live)
        _scrub_environment(_key_variables(config))
        try:
            with console.status("starting Ray and the actors...") if console.is_terminal else nullcontext():
                topo.start_ray()
                for sig in (signal.SIGINT, signal.SIGTERM):  # Ray installs its own (stack-dumping) handlers in init
                    signal.signal(sig, on_signal)
                topo.remove_leftovers()
                topo.start_replay()
                topo.load_instrument_specs()
                topo.start_supervisor()
                topo.start_recorder()
                topo.record_session("start")
                topo.start_trading()
                topo.start_books()
                topo.start_strategies()
                topo.start_feeds()
                topo.start_providers()
                topo.start_api()
                if topo.replay and not topo.wait_feeds_connected():
                    raise RuntimeError("feeds did not connect to the replay venues within 30 s")
                topo.start_clocks()
        except RaytradeError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. an actor died while starting: a summary, never a traceback
            first = (str(exc).splitlines() or [""])[0][:300]
            summary = {"ok": False, "error": f"startup failed: {type(exc).__name__}: {first}",
                       "run_id": topo.run_id, "run_dir": topo.run_dir}  # fmt: skip
            console.print(f"raytrade: {summary['error']}")
            stop["startup_failed"] = True
        if not stop.get("startup_failed"):
            summary = _run_to_end(topo, console, stop, duration_s, keep_serving, before_teardown, t0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        finals = topo.teardown()
    if stop["signal"]:
        summary.update(ok=False, interrupted=True, signal=stop["signal"])
    live = summary.get("feeds", {})
    for feed_id, final in finals.items():  # the feeds' own last words (after the last batch), plus supervision
        live[feed_id] = {**live.get(feed_id, {}), **_feed_summary(final), "state": live.get(feed_id, {}).get("state")}
    summary["feeds"] = live
    if "validation" in summary:  # the feeds' final counts (after their last batch) win over the last status
        finals_validation = [f.get("validation") for f in finals.values() if isinstance(f, dict) and "validation" in f]
        if finals_validation:
            summary["validation"] = merge_stats(finals_validation, summary["validation"].get("divergence"))
    if topo.recorder_name is not None:
        summary["store"] = _store_summary(topo)
        if summary["store"].get("failed") and "error" not in summary:
            summary["ok"] = False
            summary["error"] = f"recording failed, trading halted: {summary['store']['failed']}"
    return summary


def _run_to_end(topo: Topology, console: Console, stop: dict, duration_s: float | None, keep_serving: bool,
                before_teardown: Callable[[Topology], None] | None, t0: float) -> dict[str, Any]:
    """From a started topology to the summary (before teardown): progress, the summary, ``--keep-serving``."""
    if topo.api_url:
        console.print(f"raytrade: API at {topo.api_url} (docs: {topo.api_url}/docs)")
    started = time.monotonic()
    _progress_loop(topo, console, stop, duration_s)
    wall_s = time.monotonic() - started
    try:
        try:
            summary = _summary(topo, wall_s, time.monotonic() - t0)
        except Exception:  # noqa: BLE001 - the supervisor may be restarting right now: once more
            if not topo.revive_supervisor(topo.config.supervisor.revive_timeout_s):
                raise
            summary = _summary(topo, wall_s, time.monotonic() - t0)
    except Exception as exc:  # noqa: BLE001 - e.g. a dead supervisor: still end with a summary
        summary = {"ok": False, "error": f"summary incomplete: {type(exc).__name__}: {exc}"[:500],
                   "run_id": topo.run_id, "run_dir": topo.run_dir, "wall_s": round(wall_s, 3)}  # fmt: skip
    if stop.get("ended"):
        summary.update(ok=False, ended=stop["ended"])
    if before_teardown is not None:
        before_teardown(topo)
    if keep_serving and not stop["flag"] and topo.api_url:
        console.print(f"raytrade: run finished; API still serving at {topo.api_url} (Ctrl-C to stop)")
        while not stop["flag"]:
            time.sleep(0.2)
    return summary


def _progress_loop(topo: Topology, console: Console, stop: dict, duration_s: float | None,
                   resync_wait_s: float = 30.0) -> None:
    started = time.monotonic()
    last_frames, last_t, last_print, last_health = 0, started, 0.0, 0.0
    finished_since = None
    prev_frames = -1
    down_since: dict[str, float] = {}
    limit_s = topo.config.supervisor.venue_unreachable_s
    sink, last_metrics = RayMetricsSink(), 0.0
    while not stop["flag"]:
        time.sleep(0.5)
        now = time.monotonic()
        try:
            status = ray.get(topo.supervisor.status.remote(), timeout=30)
        except Exception as exc:  # noqa: BLE001 - the supervisor died or hangs: bring it back, or end the run
            revive_s = topo.config.supervisor.revive_timeout_s
            console.print(f"raytrade: the supervisor is gone ({type(exc).__name__}); bringing it back")
            if topo.revive_supervisor(revive_s):
                continue
            stop["ended"] = {"supervisor": f"unreachable for {revive_s:g} s: {type(exc).__name__}"}
            console.print("raytrade: the supervisor did not come back; ending the run")
            break
        for feed_id, feed in status["feeds"].items():
            down = feed.get("state") in ("circuit_open", "failed") or feed.get("connected") is False
            if not down or feed.get("state") == "ended":
                down_since.pop(feed_id, None)
            elif now - down_since.setdefault(feed_id, now) >= limit_s:
                reason = feed.get("last_error") or feed.get("last_death") or feed.get("state")
                stop.setdefault("ended", {})[feed_id] = f"unreachable for {limit_s:g} s: {reason}"
        if stop.get("ended"):
            console.print(f"raytrade: ending the run: {stop['ended']}")
            break
        if now - last_health >= 5:
            last_health = now
            topo.record_health(status.get("supervision", {}))
        if now - last_metrics >= 1:
            last_metrics = now
            _export_metrics(topo, status, sink)
        feeds = status["feeds"].values()
        frames = sum(f.get("frames", 0) for f in feeds)
        rate = (frames - last_frames) / max(now - last_t, 1e-6)
        last_frames, last_t = frames, now
        books = [i for b in status["books"].values() for i in b.get("instruments", {}).values()]
        ready = sum(1 for b in books if b.get("ready"))
        instruments = [i for f in feeds for i in f.get("instruments", {}).values()]
        gaps = sum(i.get("gaps", 0) for i in instruments)
        resyncs = sum(i.get("resyncs", 0) for i in instruments)
        restarts = sum(a.get("restarts", 0) for a in status.get("supervision", {}).values())
        risk = next(iter(status.get("risk", {}).values()), {})
        fills = sum(s.get("fills", 0) for s in status["strategies"].values())
        replays = list(status["replay"].values())
        position = min((r.get("position_ns", 0) for r in replays), default=0)
        done = bool(replays) and all(r.get("finished") for r in replays)
        pos = time.strftime("%H:%M:%S", time.gmtime(position / 1e9)) if position else "-"
        line = (f"replay {pos} | frames {frames:,} ({rate:,.0f}/s) | books ready {ready}/{len(books)} | "
                f"gaps {gaps} resyncs {resyncs} | restarts {restarts} | fills {fills} | trading {risk.get('state', '?')}")  # fmt: skip
        if console.is_terminal:
            console.print(line, end="\r")
        elif now - last_print >= 5:
            console.print(line)
            last_print = now
        if duration_s is not None and now - started >= duration_s:
            break
        failed = next((e.get("recorder_failed") for e in status.get("execution", {}).values()
                       if e.get("recorder_failed")), None)  # fmt: skip
        if failed:
            console.print(f"raytrade: recording failed, trading halted: {failed}")
            break
        if done and _drained(status) and frames == prev_frames:
            finished_since = finished_since or now
            # Stable for a second, and every book of a live feed resynced (or give up after resync_wait_s).
            if now - finished_since >= 1.0 and (_resynced(status) or now - finished_since >= resync_wait_s):
                break
        else:
            finished_since = None
        prev_frames = frames
    if console.is_terminal:
        console.print()


def _export_metrics(topo: Topology, status: dict, sink: RayMetricsSink) -> None:
    """The run's series (``actors/telemetry.py``) from this status, the recorder's and the live node count."""
    recorder = None
    if topo.recorder_name is not None:
        try:
            recorder = ray.get(topo.spawner.lookup(topo.recorder_name).status.remote(), timeout=2)
        except Exception:  # noqa: BLE001 - restarting: its gauges keep their last values
            recorder = None
    try:
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    except Exception:  # noqa: BLE001
        nodes = None
    try:
        sink.record(samples_from_status(status, recorder, nodes))
    except Exception as exc:  # noqa: BLE001 - metrics never end a run
        log.warning("metrics export: %s", exc)


def _resynced(status: dict) -> bool:
    """Every instrument of every running feed is ready at its feed and in its book: no resync in progress, and no
    book actor dead, restarting or restarted and still waiting for its snapshot (a book killed near the end of the
    replay is rebuilt before the run ends, not summarized empty)."""
    live = [(iid, i) for f in status["feeds"].values() if f.get("state") == "running"
            for iid, i in f.get("instruments", {}).items()]  # fmt: skip
    if not all(i.get("ready") for _, i in live):
        return False
    if any(s.get("role") in ("book", "feed") and s.get("state") in ("restarting", "starting")
           for s in status.get("supervision", {}).values()):  # fmt: skip
        return False
    books: dict[str, bool] = {}
    for entry in status.get("books", {}).values():
        if not isinstance(entry, dict) or "instruments" not in entry:
            return False  # unreachable: dead or not yet replaced
        books.update((iid, bool(i.get("ready"))) for iid, i in entry["instruments"].items())
    return all(books.get(iid, True) for iid, _ in live)


def _drained(status: dict) -> bool:
    """No frame waits in a venue's queues, no event waits in a feed, every batch is acknowledged."""
    for r in status["replay"].values():
        if any(c.get("queued", 0) for c in r.get("clients", [])):
            return False
    for f in status["feeds"].values():
        if f.get("state") == "restarting":
            return False
        if f.get("state") == "running" and (f.get("pending") or f.get("in_flight") or "frames" not in f):
            return False
    return True


def _feed_summary(status: dict) -> dict:
    keys = ("state", "frames", "connects", "reconnects", "restarts", "deaths", "circuit", "malformed",
            "snapshot_requests", "snapshot_failures", "batches_sent", "events_sent", "last_error")  # fmt: skip
    return {k: status.get(k) for k in keys if k in status}


def _summary(topo: Topology, wall_s: float, total_s: float) -> dict[str, Any]:
    status = ray.get(topo.supervisor.status.remote())
    instruments: dict[str, dict] = {}
    frames = 0
    for feed in status["feeds"].values():
        frames += feed.get("frames", 0)
        for iid, s in feed.get("instruments", {}).items():
            instruments[iid] = {k: s[k] for k in ("frames", "diffs_applied", "diffs_dropped_stale", "gaps",
                                                   "resyncs", "snapshots", "last_sequence")}  # fmt: skip
            instruments[iid].update({k: s.get(k, 0) for k in ("checksum_checks", "checksum_mismatches")})
    latency = {"frame_to_book": [], "frame_to_subscriber": [], "book_to_subscriber": []}
    for name, book in status["books"].items():
        for iid, s in book.get("instruments", {}).items():
            instruments.setdefault(iid, {}).update({
                "ready": s["ready"], "best_bid": s["best_bid"], "best_ask": s["best_ask"],
                "bid_levels": s["bid_levels"], "ask_levels": s["ask_levels"], "sequence": s["sequence"],
                "ticker_checks": s["ticker_checks"], "ticker_mismatches": s["ticker_mismatches"],
                "trades": s["trades"], "crossed": s["crossed"], "book_resets": s["resets"],
            })  # fmt: skip
    samples = _gather_live(topo, list(topo.books), "latency_samples")
    latency["frame_to_book"] = percentiles_ms(sorted(x for s in samples for x in s))
    strat = _gather_live(topo, list(topo.strategies), "latency_samples")
    latency["frame_to_subscriber"] = percentiles_ms(sorted(x for s in strat for x in s["frame_to_subscriber"]))
    latency["book_to_subscriber"] = percentiles_ms(sorted(x for s in strat for x in s["book_to_subscriber"]))
    basis = {}  # the basis monitor's (an observer that sees every view it can) wins over a trading strategy's
    for name, s in sorted(status["strategies"].items(), key=lambda kv: kv[1].get("kind") == "basis_monitor"):
        basis.update(s.get("basis", {}))
    strategies, risk = _trading_summary(topo, status)
    ex = _gather_live(topo, [topo.execution_name] if topo.execution_name else [], "latency_samples")
    latency["tick_to_order"] = percentiles_ms(sorted(x for s in ex for x in s))
    dead = [n for n, a in status.get("supervision", {}).items() if a.get("state") not in ("running", "stopped", "ended")]
    recorder_failed = next((e.get("recorder_failed") for e in status.get("execution", {}).values()
                            if e.get("recorder_failed")), None)  # fmt: skip
    replay = {r.get("venue", n): {k: r.get(k) for k in ("speed", "finished", "frames_sent", "records", "faults",
                                                         "faults_by_kind", "connections")}
              for n, r in status["replay"].items()}  # fmt: skip
    traded = {i for f in topo.config.feeds for i in f.instrument_ids()}  # provider books carry no depth
    return {
        "ok": all(i.get("ready") for iid, i in instruments.items() if iid in traded) and not dead
        and not recorder_failed,
        "dead_actors": dead, **({"error": f"recording failed, trading halted: {recorder_failed}"}
                                if recorder_failed else {}),
        "run_id": topo.run_id, "run_dir": topo.run_dir,
        "wall_s": round(wall_s, 3),
        "total_s": round(total_s, 3), "speed": topo.config.replay.speed if topo.replay else None,
        "api_url": topo.api_url, "frames": frames, "frames_per_s": round(frames / wall_s) if wall_s else None,
        "instruments": instruments, "latency_ms": latency, "basis": basis,
        "feeds": {k: _feed_summary(v) for k, v in status["feeds"].items()}, "replay": replay,
        "strategies": strategies, "risk": risk, "supervision": status.get("supervision", {}),
        "validation": merge_stats((f.get("validation") for f in status["feeds"].values()),
                                  next((r.get("divergence") for r in status.get("risk", {}).values()
                                        if isinstance(r, dict) and r.get("divergence")), None)),
    }  # fmt: skip


def _check_api_port(config: RaytradeConfig) -> None:
    """Refuse a taken API port before anything starts (one line instead of a Serve traceback)."""
    import socket

    from actors.errors import ConfigError

    if not config.api.enabled or not config.api.port:
        return
    with socket.socket() as sock:
        try:
            sock.bind((config.api.host, config.api.port))
        except OSError as exc:
            raise ConfigError(f"API port {config.api.host}:{config.api.port} is not free ({exc.strerror})") from None


def _check_metrics_port(config: RaytradeConfig) -> None:
    """Refuse a taken metrics export port when this run starts its own Ray (Ray itself would not say so)."""
    import socket

    from actors.errors import ConfigError

    port = config.ray.metrics_export_port
    if config.ray.address or ray.is_initialized() or not port:
        return
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as exc:
            raise ConfigError(f"metrics export port {port} is not free ({exc.strerror}); set --metrics-port, "
                              "[ray] metrics_export_port or RAYTRADE_RAY__METRICS_EXPORT_PORT") from None


def _scrub_environment(keep: frozenset[str] = frozenset()) -> None:
    """Remove ``RAYTRADE_*`` variables (the API token, the store DSN, ...) before Ray starts its processes, except
    ``keep``: the exchange key variables of the modes the strategies use, which the execution actor reads from
    its own environment, and the key variables of provider feeds that connect to the real provider (so they are in
    no actor argument, record or log)."""
    import os

    for key in [k for k in os.environ if k.startswith("RAYTRADE_") and k not in keep]:
        del os.environ[key]


def _key_variables(config: RaytradeConfig) -> frozenset[str]:
    from cluster.topology import REPLAY_TESTNET_KEY_ENV

    modes = {s.mode for s in config.strategies} - {"paper"}
    out = set(REPLAY_TESTNET_KEY_ENV) if "testnet" in modes and config.replay.enabled else set()
    for mode in modes:
        acct = getattr(config.execution, mode)
        out |= {acct.api_key_env, acct.api_secret_env}
    # provider feeds that connect to the real provider read their key on their node (actors/providers/feed.py)
    out |= {p.api_key_env for p in config.providers if not (p.ws_url is None and config.replay.enabled)}
    return frozenset(out)


def _store_summary(topo: Topology) -> dict:
    """``{kind, run_dir, rows: {table: n}, recorder: final status}``; rows are counted in the store itself."""
    try:
        rows = topo.store_rows()
    except Exception as exc:  # noqa: BLE001 - the store went away after the run: say so
        rows = {"error": f"{type(exc).__name__}: {exc}"}
    final = topo.recorder_final or {}
    return {"kind": topo.config.store.kind, "run_dir": topo.run_dir, "rows": rows,
            "spooled_rows": final.get("spooled_rows"), "failed": final.get("failed"),
            "last_error": final.get("last_error")}  # fmt: skip


def _gather_live(topo: Topology, names: list[str], method: str, timeout_s: float = 10.0) -> list:
    """``method()`` of each named actor's current incarnation; a dead or silent actor is left out (it is reported
    as dead in the summary's ``supervision``), never an exception that would lose the summary."""
    out = []
    for name in names:
        try:
            out.append(ray.get(getattr(topo.spawner.lookup(name), method).remote(), timeout=timeout_s))
        except Exception:  # noqa: BLE001
            continue
    return out


def _trading_summary(topo: Topology, status: dict) -> tuple[dict, dict]:
    """Per strategy: orders, fills, volume, fees, PnL, drawdown, signals, rejections; the trading state and events."""
    risk_status = next(iter(status.get("risk", {}).values()), {})
    risk_handle = topo.spawner.lookup(topo.risk_name) if topo.risk_name else None
    strategies = {}
    for name, s in status["strategies"].items():
        sid = s.get("strategy_id")
        if sid is None:
            strategies[name] = {"state": s.get("state", "unreachable"), "error": s.get("error")}
            continue
        report = {}
        if risk_handle is not None:
            try:
                report = ray.get(risk_handle.strategy_report.remote(sid), timeout=10)
            except Exception as exc:  # noqa: BLE001 - reported, never fatal to the summary
                report = {"error": str(exc)[:200]}
        pnl = report.get("pnl", {})
        perf = report.get("performance", {})
        rejections = dict(s.get("rejections", {}))
        for reason, n in risk_status.get("rejections", {}).get(sid, {}).items():
            rejections[reason] = max(rejections.get(reason, 0), n)
        strategies[sid] = {
            "kind": s.get("kind"), "mode": s.get("mode"), "state": s.get("state"), "orders": s.get("orders", 0),
            "cancels": s.get("cancels", 0), "fills": s.get("fills", 0), "volume": pnl.get("volume"),
            "fees": pnl.get("fees"), "realized_pnl": pnl.get("realized"), "unrealized_pnl": pnl.get("unrealized"),
            "net_pnl": pnl.get("net"), "max_drawdown": perf.get("max_drawdown"),
            "max_drawdown_pct": perf.get("max_drawdown_pct"), "signals": s.get("signals", 0),
            "rejections": rejections, "errors": s.get("errors", 0),
        }  # fmt: skip
    risk = {"state": risk_status.get("state"), "events": risk_status.get("breaker_events", []),
            "decisions": risk_status.get("decisions", {}), "portfolio": risk_status.get("portfolio", {})}  # fmt: skip
    return strategies, risk
