"""Testnet-mode execution end to end (real Ray, the same code as `raytrade run --config examples/testnet.toml`):
the market maker's orders go out as ccxt-signed Binance requests to the run's replay venue in testnet mode, which
verifies them and fills them with the paper model; compared with the same run in paper mode; the kill switch over
HTTP cancels every open order at the venue; a wrong secret stops the start-up with one AuthenticationError.

A full run at a finite speed is not deterministic (wall-clock-timed inputs, see "Testnet = paper?" in
actors/execution/live.py), so this test only bounds the testnet/paper ratio of orders; its numbers stay informative.
The exact claim (same orders and fills, element for element) is tests/integration/test_testnet_parity.py, in lock
step."""

from __future__ import annotations

import asyncio
import io
import json
import os
import urllib.request
from collections import Counter
from decimal import Decimal

import httpx
import pytest
import ray
from pydantic import SecretStr
from rich.console import Console

from actors.errors import AuthenticationError
from actors.execution.live_client import BinanceClient
from actors.naming import actor_name
from cluster.config import load_config
from cluster.run import run
from tests.conftest import ROOT, TESTNET_ENV
from tests.e2e.support import free_port, until

TOKEN = "live-test-token"
EXAMPLE = ROOT / "examples" / "testnet.toml"


def _cfg(mode: str, port: int, **overrides):
    return load_config(EXAMPLE, api__port=port, api_token=TOKEN, replay__speed="30", **overrides,
                       strategies=[{"id": "mm-1", "kind": "market_making", "instruments": ["BTCUSDT.BINANCE"],
                                    "mode": mode}])  # fmt: skip


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


def _execution(cfg):
    return ray.get_actor(actor_name("execution", "", cfg.ray.prefix), namespace=cfg.ray.namespace)


def _venue_open_orders(rest: str) -> list:
    async def go():
        client = BinanceClient("binance", SecretStr(TESTNET_ENV["RAYTRADE_TESTNET_API_KEY"]),
                               SecretStr(TESTNET_ENV["RAYTRADE_TESTNET_API_SECRET"]), rest)  # fmt: skip
        try:
            return await client.open_orders("BTCUSDT")
        finally:
            await client.close()

    return asyncio.run(go())


def _run(cfg, grab) -> dict:
    return run(cfg, console=Console(file=io.StringIO()), before_teardown=grab)


@pytest.fixture
def testnet_env(monkeypatch):
    for name, value in TESTNET_ENV.items():  # the driver's copy (an earlier run() removed RAYTRADE_* from it)
        monkeypatch.setenv(name, value)


@pytest.mark.slow
def test_testnet_run_against_the_replay_venue_then_paper_and_the_kill_switch_at_the_venue(ray_session, testnet_env):
    port = free_port()
    cfg = _cfg("testnet", port)
    seen: dict = {}

    def grab(topo) -> None:
        rest = topo.replay_urls["binance"]["rest"]
        ex = _execution(cfg)
        until(lambda: ray.get(ex.fills.remote("mm-1")), 60, "a first testnet fill")
        seen["open_before"] = _venue_open_orders(rest)
        seen["accounts"] = httpx.get(f"http://127.0.0.1:{port}/accounts", timeout=10).json()
        kill = httpx.post(f"http://127.0.0.1:{port}/risk/kill", headers={"Authorization": f"Bearer {TOKEN}"},
                          json={"reason": "test"}, timeout=30)  # fmt: skip
        seen["kill"] = kill.status_code
        until(lambda: not _venue_open_orders(rest), 30, "no open order at the venue")
        seen["open_after"] = _venue_open_orders(rest)
        seen["venue_orders"] = _get(rest + "/testnet/orders")["orders"]
        seen["venue_fills"] = _get(rest + "/testnet/fills")["fills"]
        seen["fills"] = ray.get(ex.fills.remote("mm-1", 100_000))
        seen["orders"] = ray.get(ex.orders.remote("mm-1", None, 100_000))
        seen["status"] = ray.get(ex.status.remote())

    summary = _run(cfg, grab)
    assert summary["strategies"]["mm-1"]["mode"] == "testnet" and summary["strategies"]["mm-1"]["orders"] > 0
    # every order the strategy sent reached the venue, signed, exactly once (client order ids are ours)
    venue_ids = Counter(o["clientOrderId"] for o in seen["venue_orders"])
    assert venue_ids and max(venue_ids.values()) == 1
    sent = {o.client_order_id for o in seen["orders"] if o.venue_order_id}
    assert sent == set(venue_ids), (len(sent), len(venue_ids))
    # every venue fill is in execution exactly once, at the venue's price and size
    ours = Counter((f.client_order_id, f.price, f.size) for f in seen["fills"])
    truth = Counter((v["clientOrderId"], int(Decimal(v["price"]).scaleb(8)), int(Decimal(v["qty"]).scaleb(8)))
                    for v in seen["venue_fills"])  # fmt: skip
    assert seen["venue_fills"] and ours == truth
    # kill switch over HTTP: nothing open at the venue afterwards (there was something before)
    assert seen["kill"] == 200 and seen["open_before"] and seen["open_after"] == []
    assert not [o for o in seen["venue_orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")]
    acct = next(a for a in seen["accounts"]["accounts"] if a["mode"] == "testnet")
    assert acct["venue"] == "binance" and "USDT" in acct["balances"] and acct["last_reconciliation"]
    text = json.dumps(seen["accounts"])
    assert TESTNET_ENV["RAYTRADE_TESTNET_API_SECRET"] not in text and TESTNET_ENV["RAYTRADE_TESTNET_API_KEY"] not in text
    testnet = summary["strategies"]["mm-1"]

    # the same run in paper mode (same data, same strategy parameters)
    paper_port = free_port()
    paper = _run(_cfg("paper", paper_port), lambda topo: None)["strategies"]["mm-1"]
    report = {k: (testnet[k], paper[k]) for k in ("orders", "cancels", "fills", "volume", "fees")}
    print("testnet vs paper:", report)  # noqa: T201 - the numbers BENCHMARKS.md / the report quote
    assert paper["mode"] == "paper" and paper["orders"] > 0 and paper["fills"] > 0
    # Not equal order for order at a finite replay speed (wall-clock timed inputs; see "Testnet = paper?" in
    # actors/execution/live.py): the exact comparison is tests/integration/test_testnet_parity.py, in lock step. No
    # ratio is asserted here: a starved run on a loaded machine moved it past any bound (67 vs 13 at load 30-39).


def test_a_wrong_secret_is_one_authentication_error_at_start_up_and_no_order(ray_session, testnet_env, monkeypatch):
    port = free_port()
    cfg = _cfg("testnet", port, execution__testnet={"rest_urls": {"binance": "replay"}, "ws_urls": {"binance": "replay"},
                                                    "api_key_env": "RAYTRADE_TESTNET_API_KEY",
                                                    "api_secret_env": "RAYTRADE_TEST_WRONG_SECRET"})  # fmt: skip
    with pytest.raises(AuthenticationError) as info:
        _run(cfg, lambda topo: None)
    message = str(info.value)
    assert "-1022" in message and TESTNET_ENV["RAYTRADE_TEST_WRONG_SECRET"] not in message
    assert os.environ.get("RAYTRADE_TESTNET_API_SECRET") not in message
