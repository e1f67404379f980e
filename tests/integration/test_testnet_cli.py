"""``raytrade replay --testnet``: keys from the environment, balances from the command line, URLs printed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, SPOT
from tests.integration.testnet_support import KEY, SECRET, spot_client

RAYTRADE = [sys.executable, "-m", "cluster.cli"]


def test_testnet_without_keys_is_a_one_line_error_exit_2():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAYTRADE_TESTNET_")}
    env["RAYTRADE_TESTNET_API_KEY"] = KEY
    done = subprocess.run([*RAYTRADE, "replay", str(SPOT[0]), "--testnet"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "raytrade replay: error: --testnet needs RAYTRADE_TESTNET_API_SECRET in the environment"]
    assert SECRET not in done.stderr + done.stdout


def test_testnet_replay_serves_signed_requests_with_the_configured_balances():
    env = {**os.environ, "RAYTRADE_TESTNET_API_KEY": KEY, "RAYTRADE_TESTNET_API_SECRET": SECRET}

    async def main():
        proc = await asyncio.create_subprocess_exec(
            *RAYTRADE, "replay", *map(str, SPOT), "--speed", "max", "--paused", "--max-records", "500", "--testnet",
            "--testnet-balances", "USDT=250.5,ETH=2", cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        lines = []
        try:
            async with asyncio.timeout(30):
                while not lines or not lines[-1].startswith("paused:"):
                    lines.append((await proc.stdout.readline()).decode().strip())
            rest = next(line.split()[1] for line in lines if "testnet: signed orders" in line).split("/api/v3")[0]
            ex = spot_client(rest)
            try:
                balance = await ex.fetch_balance()
            finally:
                await ex.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await proc.communicate()
        return lines, balance, out.decode() + err.decode()

    lines, balance, rest_output = asyncio.run(main())
    assert any(line.startswith("ws    ws://127.0.0.1:") and line.endswith("/ws/<listenKey>   testnet: user data")
               for line in lines)  # fmt: skip
    assert balance["total"] == {"USDT": 250.5, "ETH": 2.0}
    assert SECRET not in "\n".join(lines) + rest_output
