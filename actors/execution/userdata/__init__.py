"""Binance user-data streams and reconciliation (client side of live / testnet execution, issue 14).

Rooms:

* :mod:`.wire` — msgspec structs with Binance's field names (``executionReport``, ``outboundAccountPosition``,
  ``balanceUpdate``, ``ORDER_TRADE_UPDATE``, ``ACCOUNT_UPDATE``, ``MARGIN_CALL``, ``listenKeyExpired``, ...).
* :mod:`.parse` — pure ``bytes -> event`` (:class:`UserDataParser`); :mod:`.rest` — pure parsers of the REST
  answers reconciliation reads (open orders, one order, trades, balances).
* :mod:`.model` — the events in our vocabulary (exact money, ns times, fill ids ``"<SYMBOL>:<trade id>"``).
* :mod:`.tracker` — :class:`OrderTracker`: updates -> :class:`~actors.orders.OrderEvent` / ``Fill`` through the
  one order state machine, each fill counted once.
* :mod:`.reconcile` — pure :func:`reconcile` (local vs REST -> differences and resolving updates) and
  :func:`apply_report`.
* :mod:`.stream` — :class:`UserDataStream`: listen key, keep-alive, websocket, reconnects, callbacks (async).

Wiring (what a live / testnet transport does)
--------------------------------------------
::

    tracker = OrderTracker(orders=transport_states)           # the transport's own OrderState map
    stream = UserDataStream(ws_url, ccxt_listen_key_api(exchange, venue), on_events, on_reconnect, venue=venue,
                            specs=specs_by_symbol, reconcile_interval_s=30)
    # on_events(batch):      for e in batch: pending += tracker.apply_event(e)
    # on_reconnect(reason):  view = VenueView(parse_orders(await exchange.privateGetOpenOrders({...})),
    #                                         parse_trades(await exchange.privateGetMyTrades({"symbol": s,
    #                                                      "fromId": tracker.last_trade_id.get(s, -1) + 1})),
    #                                         parse_balances(await exchange.privateGetAccount()), queried, ...)
    #                        report = reconcile(tracker.view(), view); pending += apply_report(tracker, report)
    #                        (GET order for report.to_query, then reconcile again); alert report.alerts
    asyncio.ensure_future(stream.run()); ...; stream.stop()

Every transport-side order must be registered with :meth:`OrderTracker.track` (or live in the shared map) before it
is sent, so that its first stream update finds it.

Reconciliation: what, when, who wins
-----------------------------------
*When*: on every (re)connection of the user-data socket (``on_reconnect("connect" | "reconnect" |
"listen_key_expired")``, queued after the new socket is open, so nothing falls between REST and the stream), when the
event queue overflowed (``"overflow"``), and every ``reconcile_interval_s`` while connected (``"periodic"``).

*What*: open orders (``GET openOrders``), our trades since the last counted trade id per symbol (``GET myTrades``
/ ``userTrades`` with ``fromId``: :attr:`OrderTracker.last_trade_id` + 1), account balances (``GET account`` /
``balance``), and ``GET order`` for each order open locally but no longer open at the venue (``to_query``).

*Who wins*: the venue, always. Missing fills are recorded from REST as fills with the venue's trade id (never twice:
fill ids are the venue's); orders closed at the venue are closed locally with the venue's status; balances are set
to the venue's values.

*Alerted* (``ReconcileReport.alerts``): every resolved difference (a missing fill, an order closed behind our back, a
balance difference: each means the stream missed something), orders open at the venue that we do not know (never
adopted or canceled automatically), trades of no known order, fill gaps (the venue filled more than the trades
explain) and orders closed locally but open at the venue.
"""

from actors.execution.userdata.model import (
    AccountUpdate,
    Balance,
    BalanceDelta,
    BalanceSnapshot,
    ListenKeyExpired,
    MarginCall,
    OrderUpdate,
    PositionUpdate,
    StreamTerminated,
    UserDataEvent,
    VenueFill,
    VenueOrder,
    VenueTrade,
    venue_fill_id,
)
from actors.execution.userdata.parse import UserDataParser
from actors.execution.userdata.reconcile import BalanceDiff, ReconcileReport, VenueView, apply_report, reconcile
from actors.execution.userdata.rest import parse_balances, parse_order, parse_orders, parse_trades
from actors.execution.userdata.stream import (
    ListenKeyApi,
    UserDataStats,
    UserDataStream,
    ccxt_listen_key_api,
    rest_listen_key_api,
)
from actors.execution.userdata.tracker import LocalView, OrderTracker

__all__ = [
    "AccountUpdate", "Balance", "BalanceDelta", "BalanceDiff", "BalanceSnapshot", "ListenKeyApi", "ListenKeyExpired",
    "LocalView", "MarginCall", "OrderTracker", "OrderUpdate", "PositionUpdate", "ReconcileReport",
    "StreamTerminated", "UserDataEvent", "UserDataParser", "UserDataStats", "UserDataStream", "VenueFill",
    "VenueOrder", "VenueTrade", "VenueView", "apply_report", "ccxt_listen_key_api", "parse_balances", "parse_order",
    "parse_orders", "parse_trades", "reconcile", "rest_listen_key_api", "venue_fill_id",
]
