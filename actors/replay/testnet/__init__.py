"""Testnet mode of the Binance replay venue: signed order endpoints, balances, paper fills, user-data streams.

Turned on by ``ReplayConfig(testnet=TestnetConfig(keys={api_key: secret}))`` (``raytrade replay PATH...
--testnet``) on a Binance spot or USD-M recording; without it none of these routes exist (404).

Contract (what the live client and its tests code against)
-----------------------------------------------------------
REST, on the venue's REST port, as Binance documents them (sources in each module):

* spot (``/api/v3``): ``POST/GET/DELETE order``, ``GET/DELETE openOrders``, ``GET account``, ``GET myTrades``,
  ``POST/PUT/DELETE userDataStream``, ``GET ticker/24hr``, plus the replay's ``depth``, ``ping``, ``time``,
  ``exchangeInfo``.
* USD-M (``/fapi/v1``): ``POST/GET/DELETE order``, ``GET openOrders``, ``DELETE allOpenOrders``, ``GET
  userTrades``, ``POST/PUT/DELETE listenKey``, ``GET ticker/24hr``; ``GET /fapi/v3/account`` (what ccxt 4.5.90
  ``binanceusdm.fetch_balance`` calls), ``/fapi/v2/account``, ``/fapi/v2|v3/balance``, ``/fapi/v2|v3/positionRisk``.
* SIGNED endpoints check, in order (:mod:`.signing`): ``X-MBX-APIKEY`` (unknown → ``-2015``, HTTP 401),
  parameters (duplicate → ``-1101``), ``timestamp`` (missing → ``-1102``) within ``recvWindow`` (default 5000,
  max 60000 → ``-1131``; outside, or > 1 s ahead → ``-1021``) of the venue's **wall clock** (``GET time`` answers
  the wall clock in testnet mode), then the HMAC-SHA256 hex of query string + body (→ ``-1022``). User-stream
  endpoints check the API key only.
* Order errors: missing parameter ``-1102``, invalid symbol ``-1121``, filters ``-1013`` (``PRICE_FILTER``,
  ``LOT_SIZE``, ``NOTIONAL``; spot filters from the recorded ``exchangeInfo``, USD-M tick/step from the instrument
  specs and ``-4164`` under 100 USDT notional), too many decimals ``-1111``, insufficient balance ``-2010``
  "Account has insufficient balance for requested action." (spot) / ``-2019`` "Margin is insufficient." (USD-M),
  query of an unknown order ``-2013``, cancel of an unknown or closed order ``-2011``, a spot ``LIMIT_MAKER``
  that would take ``-2010`` (USD-M ``GTX``: ``-5022``). Errors are ``{"code":..,"msg":..}`` with Binance's status.

Amounts on the wire are Binance's strings (spot: 8 decimals; USD-M: the shortest exact decimal), except that a
spot amount with more than 8 decimals (a paper-model fee ``price * size * rate``) is written exactly rather than
rounded, so reported fees, trades and balances add up to what the venue charged.

An unmodified ccxt (4.5.90) client needs its ``urls['api']`` pointed at the venue
(:func:`actors.feed.ccxt_markets.ccxt_api_urls`) and, for ``binance`` spot, ``options`` ``fetchMarkets: {types:
[spot]}``, ``fetchCurrencies: False``, ``fetchMargins: False`` (those load from ``sapi``, which a replay does not
serve); ``binanceusdm`` needs markets from the specs (``set_markets``) whose ``info`` lists ``orderTypes``
(ccxt checks them). See ``tests/integration/testnet_support.py``.

Accounts: one per API key (``TestnetConfig.keys``), spot ``free``/``locked`` per asset (default 10,000 USDT +
1 BTC) and a USD-M ``USDT`` wallet (default 10,000) with one-way positions; see :mod:`.accounts`. Amounts are
exact Decimals, strings on the wire.

Fills: the paper fill model (:class:`actors.execution.paper.PaperVenue`, unchanged) against the frames this venue
sends, parsed by the feed's Binance parser with ``ts_recv`` = the send time (:mod:`.market`); an order arrives at
the venue's receive time, entry / response / cancel latencies 0 (a model latency needs the event clock). Where a
testnet run and a paper run on the same data can differ on the wall clock, and why:

1. Clock: the paper actor's events carry the *feed's* receive time and its orders its own clock; here both are
   the venue's wall clock. An order that reaches the venue between two frames sees the book as of the last frame
   *sent*; a paper order sees the book as of the last frame its feed *received* (later by the loopback and
   batching delay). With a nonzero paper entry latency the two coincide only statistically.
2. Book source: the model's book starts from the venue's ``GET depth`` answer (1000 levels) when the first diff
   arrives, a feed's from the snapshot it fetched itself (also 1000 levels, possibly a few diffs later).
3. Balance checks: paper has none; here an order the account cannot pay for is refused (``-2010``/``-2019``) and
   Binance's filters (min notional) apply before the model sees it.
4. Fees are charged in the quote asset (as the paper model does), not in the asset received or BNB.

Event clock (``TestnetConfig(event_clock=True)``, lock step: :mod:`actors.execution.parity`, ``raytrade parity``):
1 and 2 go away. The model sees each frame at its recorded ``ts_recv`` and takes its book from the recording's
snapshot record, exactly as the feed pipeline gives paper its events; a request reaches the model at the model
clock plus the configured entry (cancel) latency, and its answer is held until the model releases the outcome
(``+ response_latency``): ``POST order`` answers the order as placed, with the fills it took on arrival (later
maker fills come over the stream), or the refusal (``-2010`` post-only, nothing recorded); ``DELETE order`` the
canceled order, or ``-2011`` when a fill won the race. ``DELETE openOrders`` still answers at once (the cancels
reach the model later). Driven by a paused venue (``step``) and
:meth:`~actors.replay.testnet.service.TestnetService.advance_to` between frames, a strategy then gets the same
orders and fills in testnet mode as in paper mode, element for element (``tests/integration/test_testnet_parity.py``).
3 remains (the default balances cover the market maker).

User data (:mod:`.userdata`, the listen-key flavour: Binance spot now also offers a WebSocket-API subscription
whose events are wrapped in ``{"subscriptionId":..,"event":..}``; this venue serves the listen-key streams with
bare events): ``POST userDataStream``/``listenKey`` → ``{"listenKey": ..}``; connect
``ws://<ws host>/ws/<listenKey>``; spot pushes ``executionReport`` (every order event) and
``outboundAccountPosition`` (after an order locks funds, a fill, or a close), USD-M ``ORDER_TRADE_UPDATE`` and ``ACCOUNT_UPDATE``, and
``listenKeyExpired`` when a key is not kept alive within ``listen_key_ttl_s`` (default 3600). Events are pushed only
to sockets connected when they happen.

Test hooks, **outside Binance's namespace** (no signature; the venue's own ground truth):

* ``GET /testnet/fills`` → ``{"fills": [{account, symbol, orderId, clientOrderId, tradeId, side, price, qty,
  commission, commissionAsset, isMaker, time, ts_event, realizedPnl}]}`` (amounts as strings).
* ``GET /testnet/orders`` → ``{"orders": [...every order created, current status...], "requests": [...]}``.
* ``POST /testnet/faults`` with ``{"rate_limit": {"count": 3, "status": 429, "retry_after_s": 1, "paths":
  ["/api/v3/order"], "methods": ["POST"]}}`` (the next ``count`` matching requests get that status, Binance's
  ``-1003`` body and ``Retry-After``, and are not executed; logged with ``"order_created": false``) or
  ``{"drop_user_streams": true}`` (closes every user-data socket, code 1001). ``GET /testnet/faults``: the
  active faults and the fault log.
* In process: ``venue.testnet`` (:class:`~.service.TestnetService`): ``.exchange`` (``fills``, ``orders``,
  ``spot[key]``, ``usdm[key]``), ``.set_faults(spec)``, ``.listen_keys``.

Secrets are never logged, never in a response, never in the fault log.
"""

from actors.replay.testnet.config import TestnetConfig, parse_balances

__all__ = ["TestnetConfig", "parse_balances"]
