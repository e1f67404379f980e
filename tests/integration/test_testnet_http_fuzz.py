"""Testnet mode over real HTTP: whatever a client sends to a Binance route, the answer is Binance's error body (or
a success), never a 500 or a non-JSON body (hypothesis-generated query strings, bodies and headers)."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.parse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.replay.testnet.signing import sign
from tests.conftest import SPOT
from tests.integration.testnet_support import KEY, SECRET, make_venue

ROUTES = [("POST", "/api/v3/order"), ("GET", "/api/v3/order"), ("DELETE", "/api/v3/order"),
          ("GET", "/api/v3/openOrders"), ("DELETE", "/api/v3/openOrders"), ("GET", "/api/v3/account"),
          ("GET", "/api/v3/myTrades"), ("PUT", "/api/v3/userDataStream"), ("GET", "/api/v3/ticker/24hr")]  # fmt: skip
NAMES = ["symbol", "side", "type", "quantity", "price", "timeInForce", "orderId", "origClientOrderId", "limit",
         "newClientOrderId", "stopPrice", "listenKey", "recvWindow", "fromId", "startTime"]  # fmt: skip


@pytest.fixture(scope="module")
def rest_url():
    loop = asyncio.new_event_loop()
    venue = make_venue(SPOT, 400)
    urls = loop.run_until_complete(venue.open())
    loop.run_until_complete(venue.step(300))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield urls["rest"]
    asyncio.run_coroutine_threadsafe(venue.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES),
       params=st.lists(st.tuples(st.sampled_from(NAMES), st.text(max_size=10)), max_size=6),
       raw_tail=st.text(max_size=20), signed=st.booleans(), in_body=st.booleans(),
       key=st.sampled_from([KEY, "", "x"]))  # fmt: skip
def test_any_request_gets_a_binance_json_answer_never_a_500(rest_url, route, params, raw_tail, signed, in_body, key):
    method, path = route
    query = urllib.parse.urlencode(params + [("timestamp", str(int(time.time() * 1000)))])
    if raw_tail:
        query += "&" + urllib.parse.quote(raw_tail, safe="=&%")
    if signed:
        query += "&signature=" + sign(SECRET, query)
    body = query if in_body and method in ("POST", "PUT") else ""
    url = rest_url + path + ("" if body else "?" + query)
    headers = {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"} if key else {}
    r = httpx.request(method, url, content=body, headers=headers, timeout=10)
    assert r.status_code != 500 and r.status_code < 500, r.text
    answer = r.json()
    if r.status_code >= 400:
        assert set(answer) == {"code", "msg"} and answer["code"] < 0 and answer["msg"]
