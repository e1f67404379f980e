"""Bybit and OKX specs from their recorded instrument answers (tick and lot decimals instead of wide defaults):
the pure parsers, ``verify``'s rebuilder, and the loader through the replay venue's instrument routes (loopback,
ccxt's implicit endpoint methods)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from actors.errors import MalformedFrame, TooManyPages, VenueError
from actors.feed.instrument_specs import fetch_specs, load_specs
from actors.feed.venues import adapter_for
from actors.feed.venues.bybit import specs_from_instruments as bybit_specs
from actors.feed.venues.okx import inst_type, specs_from_instruments as okx_specs
from actors.instruments import Venue, specs_by_id
from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder
from actors.replay.venue import ReplayVenue


def _bodies(path, marker: str) -> list[tuple[str, str]]:
    out = []
    for line in path.open():
        if '"t":"http"' in line[:20]:
            rec = json.loads(line)
            if marker in (rec.get("url") or rec.get("addr") or ""):
                out.append((rec.get("url") or rec.get("addr"), rec["data"]))
    return out


def test_bybit_ticks_and_lots_from_the_recorded_instruments_info(shared_data):
    bodies = dict(_bodies(shared_data / "cryptofeed" / "v3" / "BYBIT.jsonl", "instruments-info"))
    (linear,) = [b for u, b in bodies.items() if "category=linear" in u]
    (spot,) = [b for u, b in bodies.items() if "category=spot" in u]
    lin = {s.symbol: s for s in bybit_specs(Venue.BYBIT_LINEAR, linear)}
    assert (lin["BTCUSDT"].tick_size, lin["BTCUSDT"].lot_size, lin["BTCUSDT"].price_decimals) == (
        Decimal("0.10"), Decimal("0.001"), 1)
    assert lin["BTCUSDT"].kind == "perpetual" and lin["BTCUSDT"].settle == "USDT"
    sp = {s.symbol: s for s in bybit_specs(Venue.BYBIT, spot)}
    assert (sp["ETHUSDT"].price_decimals, sp["ETHUSDT"].size_decimals, sp["ETHUSDT"].kind) == (2, 5, "spot")
    assert bybit_specs(Venue.BYBIT, linear) == []  # another category's answer gives none
    with pytest.raises(VenueError):
        bybit_specs(Venue.BYBIT, b'{"retCode":10001,"retMsg":"params error","result":{}}')
    with pytest.raises(MalformedFrame):
        bybit_specs(Venue.BYBIT, b'{"retCode":0,"result":{"category":"spot","list":[{"symbol":"X"}]}}')


def test_okx_ticks_lots_and_contract_values_from_the_recorded_instruments(shared_data):
    specs = {}
    for _, body in _bodies(shared_data / "cryptofeed" / "v3" / "OKX.jsonl", "/public/instruments"):
        specs.update({s.symbol: s for s in okx_specs(body)})
    assert (specs["BTC-USDT"].tick_size, specs["BTC-USDT"].price_decimals, specs["BTC-USDT"].size_decimals) == (
        Decimal("0.1"), 1, 8)
    assert (specs["BTC-USD-220527"].contract_size, specs["BTC-USD-220527"].inverse) == (Decimal(100), True)
    assert specs["UNI-USD-SWAP"].price_decimals == 3
    assert [inst_type(s) for s in ("BTC-USDT", "UNI-USD-SWAP", "BTC-USD-220527", "BTC-USD-220527-30000-C")] == [
        "SPOT", "SWAP", "FUTURES", "OPTION"]
    with pytest.raises(VenueError):
        okx_specs(b'{"code":"51000","msg":"Parameter instType error","data":[]}')


def test_verify_prints_prices_at_the_venues_tick(shared_data):
    (recording,) = read_recordings([shared_data / "cryptofeed" / "v3" / "OKX.jsonl"])
    rebuilder = BookRebuilder("okx").feed_all(recording.records())
    assert rebuilder.loaded_specs > 100 and rebuilder.malformed == 0
    row = {r["instrument_id"]: r for r in rebuilder.results()}["BTC-USDT.OKX"]
    assert row["best_bid"] == "30236.1" and row["checksum_mismatches"] == 0


def test_the_feed_loads_specs_through_the_replay_venue_and_a_new_symbol_needs_no_table(shared_data):
    async def main():
        venue = ReplayVenue([shared_data / "cryptofeed" / "v3" / "BYBIT.jsonl"], speed="max", paused=True,
                            venue="bybit_linear")  # fmt: skip
        urls = await venue.open()
        try:
            return await load_specs("bybit_linear", ["SOLUSDT", "NOSUCHUSDT"], urls["rest"])
        finally:
            await venue.stop()

    specs, error = asyncio.run(main())
    assert specs["SOLUSDT"].tick_size == Decimal("0.010") and specs["SOLUSDT"].price_decimals == 2
    assert specs["SOLUSDT"].min_notional == Decimal("5")  # linear lotSizeFilter.minNotionalValue
    assert "NOSUCHUSDT" not in specs and "NOSUCHUSDT" in error  # no wide default filled in for trading


def test_an_unreachable_venue_gives_no_specs_and_the_reason():
    specs, error = asyncio.run(load_specs("okx", ["BTC-USDT"], "http://127.0.0.1:9"))
    assert specs == {} and "VenueUnavailable" in error


# -- Bybit pagination (``nextPageCursor``) against a loopback HTTP server --------------------------------------
def _linear_answer(shared_data) -> dict:
    bodies = dict(_bodies(shared_data / "cryptofeed" / "v3" / "BYBIT.jsonl", "instruments-info"))
    (linear,) = [b for u, b in bodies.items() if "category=linear" in u]
    return json.loads(linear)


async def _serve_pages(pages: dict[str | None, dict], seen: list[dict]):
    """An aiohttp server on 127.0.0.1 answering ``/v5/market/instruments-info`` with ``pages[cursor]``."""
    from aiohttp import web

    async def handler(request):
        seen.append(dict(request.query))
        return web.json_response(pages[request.query.get("cursor")])

    app = web.Application()
    app.router.add_get("/v5/market/instruments-info", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


def _page(answer: dict, entries: list, cursor: str) -> dict:
    return {**answer, "result": {**answer["result"], "list": entries, "nextPageCursor": cursor}}


def test_bybit_instruments_follow_next_page_cursor_until_empty(shared_data):
    answer = _linear_answer(shared_data)
    entries = answer["result"]["list"]
    first, second = entries[:400], entries[400:]
    wanted = [first[0]["symbol"], second[-1]["symbol"]]  # one symbol on each page
    # Bybit writes the cursor percent-encoded (its docs: "first%3DBIOUSDT%26last%3DBIOUSDT"); ccxt puts it in the
    # query as written, so the server reads it decoded once.
    cursor = "first%3D0GUSDT%26last%3DXUSDT"
    pages = {None: _page(answer, first, cursor), "first=0GUSDT&last=XUSDT": _page(answer, second, "")}
    seen: list[dict] = []

    async def main():
        runner, url = await _serve_pages(pages, seen)
        try:
            return await fetch_specs("bybit_linear", wanted, url)
        finally:
            await runner.cleanup()

    specs = asyncio.run(main())
    assert sorted(specs) == sorted(wanted)
    assert [q.get("cursor") for q in seen] == [None, "first=0GUSDT&last=XUSDT"]
    assert all(q["category"] == "linear" and q["limit"] == "1000" for q in seen)


def test_bybit_instruments_past_the_page_limit_raise_too_many_pages(shared_data):
    answer = _linear_answer(shared_data)
    endless = _page(answer, answer["result"]["list"][:1], "again")
    seen: list[dict] = []

    async def main():
        runner, url = await _serve_pages({None: endless, "again": endless}, seen)
        try:
            return await fetch_specs("bybit_linear", ["BTCUSDT"], url, max_pages=3)
        finally:
            await runner.cleanup()

    with pytest.raises(TooManyPages) as info:
        asyncio.run(main())
    assert info.value.max_pages == 3 and len(seen) == 3


def test_bybit_spot_instruments_are_one_request_without_limit_or_cursor():
    (request,) = adapter_for("bybit").instruments_requests(["BTCUSDT"])
    assert dict(request.params) == {"category": "spot"}  # "Spot does not support pagination"
    assert adapter_for("bybit").next_instruments_request(request, {"retCode": 0, "result": {"list": []}}) is None
    with pytest.raises(MalformedFrame):
        adapter_for("bybit_linear").next_instruments_request(request, b"[1]")


def test_loaded_specs_win_over_spec_for():
    loaded = adapter_for("okx").specs_from_instruments(
        b'{"code":"0","data":[{"instId":"BTC-USDT","tickSz":"0.1","lotSz":"0.00000001","ctVal":""}]}')
    by_id = specs_by_id(["BTC-USDT.OKX", "ETH-USDT.OKX"], loaded)
    assert by_id["BTC-USDT.OKX"].price_decimals == 1 and by_id["ETH-USDT.OKX"].price_decimals == 12
