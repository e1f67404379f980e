"""The replay venue's REST side over HTTP: recorded and rebuilt snapshots, Binance's errors, injected 429s."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from actors.replay.faultlog import read_fault_log
from actors.replay.rebuild import BookRebuilder
from actors.replay.venue import ReplayVenue
from tests.conftest import COINM, SPOT, USDM
from tests.integration.replay_support import http_get, records


def book_body(rebuilder: BookRebuilder, iid: str, limit: int) -> dict:
    """What the depth endpoint must answer for a book, decoded."""
    sync = rebuilder.syncs[iid]
    bids, asks = sync.book.depth(limit)
    price, size = sync.book.format_price, sync.book.format_size
    return {"lastUpdateId": sync.last_sequence, "bids": [[price(p), size(s)] for p, s in bids],
            "asks": [[price(p), size(s)] for p, s in asks]}  # fmt: skip


@pytest.mark.parametrize(("paths", "symbol"), [(SPOT, "BTCUSDT"), (USDM, "BTCUSDT"), (COINM, "BTCUSD_PERP")],
                         ids=["spot", "usdm", "coinm"])  # fmt: skip
def test_at_the_recorded_snapshot_time_the_body_is_the_recorded_one_byte_for_byte(paths, symbol):
    recs = records(paths, 200)
    at = next(i for i, r in enumerate(recs) if r.kind == "rest")

    async def main():
        venue = ReplayVenue(paths, speed="max", paused=True, max_records=200)
        urls = await venue.open()
        await venue.step(at + 1)
        answer = await http_get(urls["depth"], symbol=symbol, limit=1000)
        await venue.stop()
        return answer

    status, headers, body = asyncio.run(main())
    assert status == 200
    assert headers["Content-Type"] == "application/json;charset=UTF-8"
    assert body == recs[at].data


def test_snapshots_at_several_replay_times_equal_the_rebuilt_book_at_that_point():
    points = [10, 250, 1200, 4000, 9000]
    recs = records(SPOT, points[-1])

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=points[-1])
        urls = await venue.open()
        answers, done = [], 0
        for point in points:
            await venue.step(point - done)
            done = point
            answers.append([json.loads((await http_get(urls["depth"], symbol="BTCUSDT", limit=limit))[2])
                            for limit in (5, 1000)])  # fmt: skip
        await venue.stop()
        return answers

    answers = asyncio.run(main())
    truth, fed = BookRebuilder("binance"), 0
    for point, (small, large) in zip(points, answers, strict=True):
        truth.feed_all(recs[fed:point])
        fed = point
        assert small == book_body(truth, "BTCUSDT.BINANCE", 5)
        assert large == book_body(truth, "BTCUSDT.BINANCE", 1000)
    assert len({a[1]["lastUpdateId"] for a in answers}) == len(points)


def test_a_request_before_the_first_snapshot_waits_until_it_exists():
    recs = records(SPOT, 20)

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=20, snapshot_wait_s=10)
        urls = await venue.open()
        await venue.step(3)
        request = asyncio.create_task(http_get(urls["depth"], symbol="BTCUSDT", limit=1000))
        await asyncio.sleep(0.3)
        waiting = not request.done()
        await venue.step(5)  # records 3..7: the snapshot is record 7
        answer = await request
        await venue.stop()
        return waiting, answer

    waiting, (status, _, body) = asyncio.run(main())
    assert waiting
    assert status == 200 and body == recs[7].data


def test_a_capture_without_a_snapshot_answers_503_after_the_wait_or_once_the_replay_ended():
    async def main():
        venue = ReplayVenue(SPOT[1:], speed="max", paused=True, max_records=500, snapshot_wait_s=1.0)
        urls = await venue.open()
        await venue.step(100)
        started = time.monotonic()
        waited = await http_get(urls["depth"], symbol="BTCUSDT")
        elapsed = time.monotonic() - started
        await venue.step(400)  # the end: no snapshot can come any more
        started = time.monotonic()
        ended = await http_get(urls["depth"], symbol="BTCUSDT")
        elapsed_ended = time.monotonic() - started
        await venue.stop()
        return waited, elapsed, ended, elapsed_ended

    (status, _, body), elapsed, ended, elapsed_ended = asyncio.run(main())
    assert status == 503 and ended[0] == 503
    assert json.loads(body) == {"code": -1007, "msg": "Timeout waiting for response from backend server. Send status "
                                "unknown; execution status unknown."}  # fmt: skip
    assert elapsed >= 0.95
    assert elapsed_ended < 0.5


@pytest.mark.parametrize(
    ("params", "code"),
    [({"symbol": "ETHUSDT"}, -1121), ({"symbol": "BTCUSDT", "limit": "abc"}, -1100), ({}, -1102),
     ({"symbol": "BTCUSDT", "limit": 0}, -1130)],
)  # fmt: skip
def test_bad_depth_requests_get_400_with_binance_error_bodies(params, code):
    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=100)
        urls = await venue.open()
        answer = await http_get(urls["depth"], **params)
        await venue.stop()
        return answer

    status, _, body = asyncio.run(main())
    assert status == 400
    assert json.loads(body)["code"] == code
    if code == -1121:
        assert body == b'{"code":-1121,"msg":"Invalid symbol."}'


def test_fault_spec_429_answers_with_retry_after_and_is_logged(tmp_path):
    log_path = tmp_path / "faults.jsonl"

    async def main():
        venue = ReplayVenue(SPOT, speed="max", paused=True, max_records=20, faults="rest_429=0.5,retry_after=2s",
                            seed=3, fault_log=str(log_path))  # fmt: skip
        urls = await venue.open()
        await venue.step(20)
        answers = [await http_get(urls["depth"], symbol="BTCUSDT", limit=1000) for _ in range(20)]
        await venue.stop()
        return answers

    answers = asyncio.run(main())
    limited = [(i, headers, body) for i, (status, headers, body) in enumerate(answers) if status == 429]
    assert 3 <= len(limited) <= 17
    assert all(status in (200, 429) for status, _, _ in answers)
    for _, headers, body in limited:
        assert headers["Retry-After"] == "2"
        assert json.loads(body)["code"] == -1003
    entries = read_fault_log(log_path)
    assert [e["request"] for e in entries] == [i for i, _, _ in limited]
    assert all(e["kind"] == "rest_429" and e["path"] == "/api/v3/depth" and e["symbol"] == "BTCUSDT" for e in entries)


def test_time_ping_and_exchange_info_endpoints():
    async def main():
        spot = ReplayVenue(SPOT, speed="max", paused=True, max_records=50)
        usdm = ReplayVenue(USDM, speed="max", paused=True, max_records=50)
        s_urls, u_urls = await spot.open(), await usdm.open()
        await spot.step(50)
        out = {
            "time": await http_get(f"{s_urls['rest']}/api/v3/time"),
            "ping": await http_get(f"{s_urls['rest']}/api/v3/ping"),
            "info": await http_get(f"{s_urls['rest']}/api/v3/exchangeInfo"),
            "fapi_time": await http_get(f"{u_urls['rest']}/fapi/v1/time"),
            "fapi_info": await http_get(f"{u_urls['rest']}/fapi/v1/exchangeInfo"),
            "position": (await spot.status())["position_ns"],
        }
        await spot.stop()
        await usdm.stop()
        return out

    out = asyncio.run(main())
    assert json.loads(out["time"][2]) == {"serverTime": out["position"] // 1_000_000}
    assert out["ping"][:1] == (200,) and out["ping"][2] == b"{}"
    assert out["info"][0] == 200 and out["info"][2].startswith(b'{"timezone":"UTC","serverTime":1633998511098,')
    assert json.loads(out["fapi_time"][2])["serverTime"] > 1_723_161_250_000
    assert out["fapi_info"][0] == 404  # no futures exchangeInfo was recorded
