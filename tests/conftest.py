"""Shared test paths. Tests read the bundled sample (always present) and ``../shared/data`` when it exists."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "hftbacktest"
FIXTURES = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"

SPOT = [SAMPLE / "binance_spot" / "btcusdt_20240808.gz", SAMPLE / "binance_spot" / "btcusdt_20240809.gz"]
USDM = [SAMPLE / "binance_usdm" / "btcusdt_20240808.gz"]
COINM = [SAMPLE / "binance_coinm" / "btcusd_perp_20240808.gz", SAMPLE / "binance_coinm" / "btcusd_perp_20240809.gz"]

# The testnet key pair of the tests (Binance's documentation example pair, no account anywhere), and a wrong secret.
TESTNET_ENV = {"RAYTRADE_TESTNET_API_KEY": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
               "RAYTRADE_TESTNET_API_SECRET": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
               "RAYTRADE_TEST_WRONG_SECRET": "0" * 64}  # fmt: skip


@pytest.fixture(autouse=True)
def _own_metrics_port(monkeypatch):
    """Every test's ``raytrade run`` gets a free metrics export port instead of the fixed default (8080), so
    concurrent test runs on one machine never refuse each other's port."""
    import os
    import socket

    if "RAYTRADE_RAY__METRICS_EXPORT_PORT" not in os.environ:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            monkeypatch.setenv("RAYTRADE_RAY__METRICS_EXPORT_PORT", str(sock.getsockname()[1]))


@pytest.fixture(scope="session")
def ray_session():
    """One new local Ray (2 CPUs, no dashboard; never a cluster started by `ray start` on this machine) for the
    whole test session, shut down at the end.

    Starting Ray costs seconds, so actor, integration and end-to-end tests share it; unit tests may not use it.
    """
    import os

    import ray

    # Execution actors read exchange keys from their own process environment (never from arguments), and Ray's
    # worker processes inherit the environment Ray started with: the testnet tests' pair must be there from now.
    for name, value in TESTNET_ENV.items():
        os.environ.setdefault(name, value)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need more than the bundled sample skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


def load_events(paths, venue, limit=None):
    """Parse a capture into ``[(kind, event)]`` with kind ``"ws"``/``"rest"``, using the project's reader+parser."""
    from actors.feed.venues import parser_for
    from actors.replay.captures import read_recordings

    (recording,) = read_recordings(paths)
    parser = parser_for(venue)
    out, symbol = [], None
    for i, rec in enumerate(recording.records()):
        if limit is not None and i >= limit:
            break
        if rec.kind == "ws":
            events = parser.parse_frame(rec.data, rec.ts_recv)
            event = events[0] if events else None
            symbol = symbol or getattr(event, "instrument_id", "").split(".")[0]
            out.append(("ws", event))
        elif rec.kind == "rest":
            out.append(("rest", parser.parse_snapshot(rec.data, symbol or "", rec.ts_recv)))
    return out


@pytest.fixture(scope="session")
def spot_events():
    """The first 3,000 records of the spot capture, parsed (includes the REST snapshot)."""
    return load_events(SPOT[:1], "binance", limit=3000)


@pytest.fixture(scope="session")
def usdm_events():
    """The first 3,000 records of the USD-M capture, parsed (includes the REST snapshot)."""
    return load_events(USDM, "binance_usdm", limit=3000)
