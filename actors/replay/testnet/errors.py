"""Binance's REST error answers of the testnet-mode venue: one constructor per documented code. Pure.

Source: Binance Spot API docs "Error codes" (``-1003``, ``-1013``, ``-1021``, ``-1022``, ``-1100`` .. ``-1130``,
``-2010`` .. ``-2015``) and USD-M Futures "Error Codes" (``-2019``, ``-4164``). Bodies are ``{"code":..,"msg":..}``
(:class:`actors.replay.depth.RestError`); HTTP statuses are Binance's: 4XX for a bad request, 401 for an invalid
API key, 429 when rate limited. ccxt's own ``handle_errors`` maps them (with a loopback URL it uses its generic
tables): ``-2015``/``-1022`` → ``AuthenticationError``, ``-1021`` → ``InvalidNonce``, ``-2010`` with the
"insufficient balance" message → ``InsufficientFunds``, ``-2011``/``-2013`` → ``OrderNotFound``, ``-1003`` (with
HTTP 429) → ``DDoSProtection``/``RateLimitExceeded``.
"""

from __future__ import annotations

from actors.replay.depth import RestError

__all__ = [
    "RestError", "bad_param", "duplicate_param", "filter_failure", "insufficient_balance", "insufficient_margin",
    "invalid_key", "invalid_signature", "mandatory", "outside_recv_window", "rate_limited", "unknown_order",
    "cancel_rejected", "bad_recv_window", "illegal_chars",
]  # fmt: skip

INSUFFICIENT_BALANCE_MSG = "Account has insufficient balance for requested action."


def invalid_key() -> RestError:
    """``-2015`` (HTTP 401): unknown ``X-MBX-APIKEY`` or none."""
    return RestError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def invalid_signature() -> RestError:
    """``-1022``: the HMAC-SHA256 of the total params does not match ``signature``."""
    return RestError(400, -1022, "Signature for this request is not valid.")


def outside_recv_window() -> RestError:
    """``-1021``: ``timestamp`` older than ``recvWindow`` or more than 1 s ahead of the server."""
    return RestError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def bad_recv_window() -> RestError:
    """``-1131``: ``recvWindow`` above 60000 (Binance: "recvWindow must be less than 60000")."""
    return RestError(400, -1131, "recvWindow must be less than 60000")


def mandatory(name: str) -> RestError:
    """``-1102``: a mandatory parameter was not sent, was empty/null, or malformed."""
    return RestError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def duplicate_param(name: str) -> RestError:
    """``-1101``: the same parameter twice."""
    return RestError(400, -1101, f"Duplicate values for parameter '{name}'.")


def illegal_chars(name: str) -> RestError:
    """``-1100``: a parameter's value has characters its type does not allow."""
    return RestError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")


def bad_param(code: int, msg: str) -> RestError:
    """Any other 4XX answer (``-1115`` invalid timeInForce, ``-1116`` invalid orderType, ``-1117`` invalid side,
    ``-1121`` invalid symbol, ``-1106`` parameter sent when not required ...)."""
    return RestError(400, code, msg)


def filter_failure(name: str) -> RestError:
    """``-1013``: ``Filter failure: PRICE_FILTER`` / ``LOT_SIZE`` / ``NOTIONAL`` / ``MIN_NOTIONAL``."""
    return RestError(400, -1013, f"Filter failure: {name}")


def insufficient_balance() -> RestError:
    """``-2010`` (NEW_ORDER_REJECTED) with Binance's message for a spot order the free balance cannot cover."""
    return RestError(400, -2010, INSUFFICIENT_BALANCE_MSG)


def insufficient_margin() -> RestError:
    """USD-M ``-2019``: the available margin cannot cover the order's initial margin."""
    return RestError(400, -2019, "Margin is insufficient.")


def unknown_order() -> RestError:
    """``-2013``: query of an order the account never had."""
    return RestError(400, -2013, "Order does not exist.")


def cancel_rejected() -> RestError:
    """``-2011``: cancel of an unknown or already closed order."""
    return RestError(400, -2011, "Unknown order sent.")


def rate_limited(status: int = 429) -> RestError:
    """``-1003`` with HTTP 429 (or 418, the ban that follows)."""
    msg = ("Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
           "Please use WebSocket Streams for live updates to avoid polling the API.")  # fmt: skip
    return RestError(status, -1003, msg)
