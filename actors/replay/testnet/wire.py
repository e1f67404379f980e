"""Binance's JSON shapes for orders, trades, accounts and user-data events, built from the venue's records. Pure.

Sources (field lists as documented, strings for every amount):
Spot API docs "New order (TRADE)" (``ACK`` / ``RESULT`` / ``FULL`` responses), "Query order (USER_DATA)",
"Cancel order (TRADE)", "Account information (USER_DATA)", "Account trade list (USER_DATA)", User Data Stream
"Order Update" (``executionReport``) and "Account Update" (``outboundAccountPosition``); USD-M Futures "New Order",
"Query Order", "Account Trade List", "Account Information V3", "Futures Account Balance V3", "Position
Information V3", user data "Event: Order Update" (``ORDER_TRADE_UPDATE``), "Event: Balance and Position Update"
(``ACCOUNT_UPDATE``), "Event: User Data Stream Expired" (``listenKeyExpired``).
"""

from __future__ import annotations

from decimal import Decimal

from actors.replay.testnet.accounts import ZERO, FuturesAccount, SpotAccount
from actors.replay.testnet.orders import VenueOrder

__all__ = [
    "account_update", "execution_report", "futures_account", "futures_balance", "futures_order", "futures_positions",
    "futures_trade", "order_trade_update", "outbound_account_position", "spot_account", "spot_order", "spot_trade",
]  # fmt: skip


def s8(value: Decimal) -> str:
    """Spot's spelling: 8 decimals (``"0.00100000"``); more when the exact amount has more (a paper-model fee
    ``price * size * rate`` can), so that balances, fees and fills on the wire always add up exactly (Binance
    rounds fees to the asset's 8 decimals; this venue charges the paper model's exact fee: a stated difference)."""
    exact = value.normalize()
    if exact.as_tuple().exponent >= -8:  # type: ignore[operator]
        return f"{value:.8f}"
    return format(exact, "f")


def plain(value: Decimal) -> str:
    """USD-M's spelling: the shortest exact decimal (``"0.001"``, ``"61000.1"``, ``"0"``)."""
    text = format(value.normalize(), "f") if value else "0"
    return text


def _avg(o: VenueOrder) -> Decimal:
    return o.cum_quote / o.executed if o.executed else ZERO


# -- spot ------------------------------------------------------------------------------------------------------
def spot_order(o: VenueOrder, shape: str = "query", orig_coid: str | None = None) -> dict:
    """``shape``: ``ack`` / ``result`` / ``full`` (new order), ``query`` (query / open orders), ``cancel``."""
    n = o.order
    if shape == "ack":
        return {"symbol": n.symbol, "orderId": o.order_id, "orderListId": -1, "clientOrderId": n.client_order_id,
                "transactTime": o.time_ms}  # fmt: skip
    core = {"price": s8(n.price), "origQty": s8(n.quantity), "executedQty": s8(o.executed),
            "cummulativeQuoteQty": s8(o.cum_quote), "status": o.status, "timeInForce": n.time_in_force or "GTC",
            "type": n.type, "side": n.side}  # fmt: skip
    if shape == "cancel":
        return {"symbol": n.symbol, "origClientOrderId": orig_coid or n.client_order_id, "orderId": o.order_id,
                "orderListId": -1, "clientOrderId": orig_coid or n.client_order_id, "transactTime": o.update_ms,
                **core, "selfTradePreventionMode": "NONE"}  # fmt: skip
    if shape in ("result", "full"):
        out = {"symbol": n.symbol, "orderId": o.order_id, "orderListId": -1, "clientOrderId": n.client_order_id,
               "transactTime": o.time_ms, **core, "origQuoteOrderQty": s8(ZERO), "workingTime": o.time_ms,
               "selfTradePreventionMode": "NONE"}  # fmt: skip
        if n.stop_price:
            out["stopPrice"] = s8(n.stop_price)
        if shape == "full":
            out["fills"] = [{"price": s8(f["price"]), "qty": s8(f["qty"]), "commission": s8(f["commission"]),
                             "commissionAsset": f["commissionAsset"], "tradeId": f["tradeId"]} for f in o.fills]
        return out
    return {"symbol": n.symbol, "orderId": o.order_id, "orderListId": -1, "clientOrderId": n.client_order_id,
            **core, "stopPrice": s8(n.stop_price), "icebergQty": s8(ZERO), "time": o.time_ms,
            "updateTime": o.update_ms, "isWorking": o.is_working, "workingTime": o.time_ms, "origQuoteOrderQty": s8(ZERO),
            "selfTradePreventionMode": "NONE"}  # fmt: skip


def spot_trade(f: dict) -> dict:
    return {"symbol": f["symbol"], "id": f["tradeId"], "orderId": f["orderId"], "orderListId": -1,
            "price": s8(f["price"]), "qty": s8(f["qty"]), "quoteQty": s8(f["price"] * f["qty"]),
            "commission": s8(f["commission"]), "commissionAsset": f["commissionAsset"], "time": f["time"],
            "isBuyer": f["side"] == "BUY", "isMaker": f["isMaker"], "isBestMatch": True}  # fmt: skip


def spot_account(acct: SpotAccount, maker: Decimal, taker: Decimal, uid: int) -> dict:
    bp = lambda r: int(r * 10000)  # noqa: E731  (commission in basis points, as Binance writes it)
    return {
        "makerCommission": bp(maker), "takerCommission": bp(taker), "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": s8(maker), "taker": s8(taker), "buyer": s8(ZERO), "seller": s8(ZERO)},
        "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
        "requireSelfTradePrevention": False, "preventSor": False, "updateTime": acct.update_ms,
        "accountType": "SPOT",
        "balances": [{"asset": a, "free": s8(f), "locked": s8(l)} for a, f, l in acct.balances()],
        "permissions": ["SPOT"], "uid": uid,
    }  # fmt: skip


def execution_report(o: VenueOrder, exec_type: str, event_ms: int, fill: dict | None = None) -> dict:
    n = o.order
    last_qty = fill["qty"] if fill else ZERO
    last_price = fill["price"] if fill else ZERO
    return {
        "e": "executionReport", "E": event_ms, "s": n.symbol, "c": n.client_order_id, "S": n.side, "o": n.type,
        "f": n.time_in_force or "GTC", "q": s8(n.quantity), "p": s8(n.price), "P": s8(n.stop_price),
        "F": s8(ZERO), "g": -1, "C": n.client_order_id if exec_type == "CANCELED" else "", "x": exec_type,
        "X": o.status, "r": "NONE", "i": o.order_id, "l": s8(last_qty), "z": s8(o.executed), "L": s8(last_price),
        "n": s8(fill["commission"]) if fill else "0", "N": fill["commissionAsset"] if fill else None,
        "T": fill["time"] if fill else event_ms, "t": fill["tradeId"] if fill else -1, "v": 0,
        "I": fill["tradeId"] * 2 if fill else 0, "w": o.on_book, "m": bool(fill and fill["isMaker"]), "M": False,
        "O": o.time_ms, "Z": s8(o.cum_quote), "Y": s8(last_price * last_qty), "Q": s8(ZERO), "W": o.time_ms,
        "V": "NONE",
    }  # fmt: skip


def outbound_account_position(acct: SpotAccount, assets: list[str], event_ms: int) -> dict:
    return {"e": "outboundAccountPosition", "E": event_ms, "u": acct.update_ms,
            "B": [{"a": a, "f": s8(acct.free.get(a, ZERO)), "l": s8(acct.locked.get(a, ZERO))} for a in assets]}


# -- USD-M -----------------------------------------------------------------------------------------------------
def futures_order(o: VenueOrder) -> dict:
    n = o.order
    return {
        "avgPrice": plain(_avg(o)), "clientOrderId": n.client_order_id, "cumQuote": plain(o.cum_quote),
        "executedQty": plain(o.executed), "cumQty": plain(o.executed), "orderId": o.order_id,
        "origQty": plain(n.quantity), "origType": n.type, "price": plain(n.price), "reduceOnly": n.reduce_only,
        "side": n.side, "positionSide": "BOTH", "status": o.status, "stopPrice": plain(n.stop_price),
        "closePosition": False, "symbol": n.symbol, "time": o.time_ms, "timeInForce": n.time_in_force or "GTC",
        "type": n.type, "updateTime": o.update_ms, "workingType": "CONTRACT_PRICE", "priceProtect": False,
        "priceMatch": "NONE", "selfTradePreventionMode": "NONE", "goodTillDate": 0,
    }  # fmt: skip


def futures_trade(f: dict) -> dict:
    return {"buyer": f["side"] == "BUY", "commission": plain(f["commission"]), "commissionAsset": f["commissionAsset"],
            "id": f["tradeId"], "maker": f["isMaker"], "orderId": f["orderId"], "price": plain(f["price"]),
            "qty": plain(f["qty"]), "quoteQty": plain(f["price"] * f["qty"]), "realizedPnl": plain(f["realizedPnl"]),
            "side": f["side"], "positionSide": "BOTH", "symbol": f["symbol"], "time": f["time"]}  # fmt: skip


def _open_margin(orders: list[VenueOrder]) -> Decimal:
    return sum((o.margin_per_unit * o.remaining for o in orders if o.is_open), ZERO)


def futures_balance(acct: FuturesAccount, open_orders: list[VenueOrder]) -> list[dict]:
    """``GET /fapi/v3/balance`` (and v2)."""
    available = acct.wallet - acct.position_margin() - _open_margin(open_orders)
    return [{"accountAlias": "SgsR", "asset": acct.asset, "balance": plain(acct.wallet),
             "crossWalletBalance": plain(acct.wallet), "crossUnPnl": "0", "availableBalance": plain(available),
             "maxWithdrawAmount": plain(available), "marginAvailable": True, "updateTime": acct.update_ms}]


def futures_positions(acct: FuturesAccount, symbols: list[str] | None = None) -> list[dict]:
    """``GET /fapi/v3/positionRisk``: positions with a non-zero amount (or every one of ``symbols``)."""
    out = []
    for symbol, p in sorted(acct.positions.items()):
        if (symbols is None and p.amount == 0) or (symbols is not None and symbol not in symbols):
            continue
        notional = p.amount * p.entry_price
        out.append({"symbol": symbol, "positionSide": "BOTH", "positionAmt": plain(p.amount),
                    "entryPrice": plain(p.entry_price), "breakEvenPrice": plain(p.entry_price),
                    "markPrice": plain(p.entry_price), "unRealizedProfit": "0", "liquidationPrice": "0",
                    "isolatedMargin": "0", "notional": plain(notional), "marginAsset": acct.asset,
                    "isolatedWallet": "0", "initialMargin": plain(abs(notional) / acct.leverage),
                    "maintMargin": "0", "positionInitialMargin": plain(abs(notional) / acct.leverage),
                    "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0",
                    "updateTime": p.update_ms, "leverage": str(acct.leverage), "marginType": "cross"})  # fmt: skip
    return out


def futures_account(acct: FuturesAccount, open_orders: list[VenueOrder]) -> dict:
    """``GET /fapi/v3/account`` (what ccxt 4.5 ``binanceusdm.fetch_balance`` calls) and v2."""
    pos_margin, order_margin = acct.position_margin(), _open_margin(open_orders)
    available = acct.wallet - pos_margin - order_margin
    w = plain(acct.wallet)
    asset = {"asset": acct.asset, "walletBalance": w, "unrealizedProfit": "0", "marginBalance": w,
             "maintMargin": "0", "initialMargin": plain(pos_margin + order_margin),
             "positionInitialMargin": plain(pos_margin), "openOrderInitialMargin": plain(order_margin),
             "crossWalletBalance": w, "crossUnPnl": "0", "availableBalance": plain(available),
             "maxWithdrawAmount": plain(available), "marginAvailable": True, "updateTime": acct.update_ms}
    positions = [{"symbol": p["symbol"], "positionSide": "BOTH", "positionAmt": p["positionAmt"],
                  "unrealizedProfit": "0", "isolatedMargin": "0", "notional": p["notional"], "isolatedWallet": "0",
                  "initialMargin": p["initialMargin"], "maintMargin": "0", "updateTime": p["updateTime"]}
                 for p in futures_positions(acct)]
    return {"totalInitialMargin": plain(pos_margin + order_margin), "totalMaintMargin": "0", "totalWalletBalance": w,
            "totalUnrealizedProfit": "0", "totalMarginBalance": w, "totalPositionInitialMargin": plain(pos_margin),
            "totalOpenOrderInitialMargin": plain(order_margin), "totalCrossWalletBalance": w, "totalCrossUnPnl": "0",
            "availableBalance": plain(available), "maxWithdrawAmount": plain(available), "assets": [asset],
            "positions": positions}  # fmt: skip


def order_trade_update(o: VenueOrder, exec_type: str, event_ms: int, fill: dict | None = None) -> dict:
    n = o.order
    return {"e": "ORDER_TRADE_UPDATE", "E": event_ms, "T": event_ms, "o": {
        "s": n.symbol, "c": n.client_order_id, "S": n.side, "o": n.type, "f": n.time_in_force or "GTC",
        "q": plain(n.quantity), "p": plain(n.price), "ap": plain(_avg(o)), "sp": plain(n.stop_price),
        "x": exec_type, "X": o.status, "i": o.order_id, "l": plain(fill["qty"] if fill else ZERO),
        "z": plain(o.executed), "L": plain(fill["price"] if fill else ZERO),
        "N": fill["commissionAsset"] if fill else "USDT", "n": plain(fill["commission"] if fill else ZERO),
        "T": fill["time"] if fill else event_ms, "t": fill["tradeId"] if fill else 0, "b": "0", "a": "0",
        "m": bool(fill and fill["isMaker"]), "R": n.reduce_only, "wt": "CONTRACT_PRICE", "ot": n.type, "ps": "BOTH",
        "cp": False, "rp": plain(fill["realizedPnl"] if fill else ZERO), "pP": False, "si": 0, "ss": 0,
        "V": "NONE", "pm": "NONE", "gtd": 0}}  # fmt: skip


def account_update(acct: FuturesAccount, symbol: str, event_ms: int, reason: str = "ORDER") -> dict:
    p = acct.position(symbol)
    return {"e": "ACCOUNT_UPDATE", "E": event_ms, "T": event_ms, "a": {
        "m": reason, "B": [{"a": acct.asset, "wb": plain(acct.wallet), "cw": plain(acct.wallet), "bc": "0"}],
        "P": [{"s": symbol, "pa": plain(p.amount), "ep": plain(p.entry_price), "bep": plain(p.entry_price),
               "cr": plain(p.realized_pnl), "up": "0", "mt": "cross", "iw": "0", "ps": "BOTH"}]}}  # fmt: skip
