"""Helpers for replay-venue socket tests: capture lines read independently of the project's reader, and clients."""

from __future__ import annotations

import asyncio
import gzip
from itertools import islice
from pathlib import Path

import aiohttp

from actors.replay.captures import read_recordings


def capture_lines(paths: list[Path], limit: int | None = None) -> list[bytes]:
    """The capture lines after the timestamp field, in file order (plain gzip, not the project's reader)."""
    out = []
    for path in paths:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                out.append(line.rstrip(b"\n").split(b" ", 1)[1])
                if limit is not None and len(out) >= limit:
                    return out
    return out


def stream_frames(lines: list[bytes]) -> list[bytes]:
    """The websocket frames among capture lines (the REST snapshot line has no ``"stream"`` envelope)."""
    return [line for line in lines if line.startswith(b'{"stream":"')]


def records(paths: list[Path], limit: int) -> list:
    """The first ``limit`` records through the project's reader (for rebuilding books to compare with)."""
    (recording,) = read_recordings(paths)
    return list(islice(recording.records(), limit))


async def recv_frames(ws, count: int, timeout_s: float = 20.0) -> list[bytes]:
    """Receive exactly ``count`` frames as bytes (fails on timeout)."""
    out = []
    async with asyncio.timeout(timeout_s):
        while len(out) < count:
            out.append(await ws.recv(decode=False))
    return out


async def recv_until_quiet(ws, quiet_s: float = 0.5) -> list[bytes]:
    """Receive frames until none arrives for ``quiet_s`` or the venue says the recording ended (close 4001)."""
    from websockets.exceptions import ConnectionClosed

    from actors.replay.ws_server import ENDED_CODE

    out = []
    while True:
        try:
            out.append(await asyncio.wait_for(ws.recv(decode=False), quiet_s))
        except TimeoutError:
            return out
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == ENDED_CODE:
                return out
            raise


async def http_get(url: str, **params: object) -> tuple[int, dict, bytes]:
    """``GET url?params`` -> (status, headers, body)."""
    async with aiohttp.ClientSession() as session:
        async with session.get(url, params={k: str(v) for k, v in params.items()}) as resp:
            return resp.status, dict(resp.headers), await resp.read()
