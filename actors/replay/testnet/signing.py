"""Binance SIGNED (TRADE, USER_DATA) request verification: API key, HMAC-SHA256 signature, timing. Pure.

Source: Binance Spot API docs, "Endpoint security type" / "SIGNED (TRADE and USER_DATA) Endpoint security" /
"Timing security" (USD-M Futures docs say the same):

* The API key travels in the ``X-MBX-APIKEY`` header; an unknown (or missing) key is ``-2015`` (HTTP 401).
* ``signature`` = hex ``HMAC-SHA256(secret, totalParams)``, where *totalParams* is the query string
  concatenated with the request body (``application/x-www-form-urlencoded``), **without** a separator, exactly
  as sent (before percent-decoding), with the ``signature`` parameter itself removed (it may be in either part).
  A mismatch (or no signature) is ``-1022``.
* ``timestamp`` (ms) is mandatory (``-1102``); ``recvWindow`` (ms) defaults to 5000 and may not exceed 60000
  (``-1131``). The request is refused with ``-1021`` unless
  ``server_time - recvWindow <= timestamp <= server_time + 1000``.

Checks run in Binance's order: key, then parameters, then timing, then signature. "Server time" is the wall clock
of the venue (``time.time_ns()``), the clock ccxt's ``nonce()`` uses, not the replay position.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl

from actors.replay.testnet import errors

__all__ = ["RECV_WINDOW_DEFAULT_MS", "RECV_WINDOW_MAX_MS", "FUTURE_TOLERANCE_MS", "parse_params", "sign", "verify"]

RECV_WINDOW_DEFAULT_MS = 5000
RECV_WINDOW_MAX_MS = 60000
FUTURE_TOLERANCE_MS = 1000


def sign(secret: str, total_params: str) -> str:
    """Hex HMAC-SHA256 of ``total_params`` with ``secret`` (what a Binance client puts in ``signature``)."""
    return hmac.new(secret.encode(), total_params.encode(), hashlib.sha256).hexdigest()


def _split(raw: str) -> tuple[str, str | None]:
    """``raw`` without its ``signature=..`` parameter, and that parameter's value (None when absent)."""
    parts = raw.split("&") if raw else []
    keep, found = [], None
    for part in parts:
        if part.startswith("signature="):
            if found is not None:
                raise errors.duplicate_param("signature")
            found = part[len("signature="):]
        else:
            keep.append(part)
    return "&".join(keep), found


def parse_params(query: str, body: str) -> dict[str, str]:
    """Decode the query string and the form body into one ``name -> value`` dict.

    Raises:
        RestError: ``-1101`` when a parameter occurs twice (in either part), ``-1100`` for a part that is not
            ``name=value`` form encoding.
    """
    out: dict[str, str] = {}
    for raw in (query, body):
        if not raw:
            continue
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_param(-1100, "Illegal characters found in a parameter.") from None
        for name, value in pairs:
            if name in out:
                raise errors.duplicate_param(name)
            out[name] = value
    return out


def verify(
    api_key: str | None,
    query: str,
    body: str,
    secrets: Mapping[str, str],
    now_ms: int,
    signed: bool = True,
) -> tuple[str, dict[str, str]]:
    """Check one request as Binance does and return ``(api_key, params)``.

    Args:
        api_key: the ``X-MBX-APIKEY`` header value (None when absent).
        query: the raw query string (after ``?``, not decoded).
        body: the raw ``application/x-www-form-urlencoded`` body ("" when none).
        secrets: ``api_key -> secret`` of the accounts.
        now_ms: the server's time, ms since the epoch.
        signed: False for ``USER_STREAM`` endpoints (API key only: no signature, no timestamp).

    Returns:
        The key and every parameter but ``signature``, decoded.

    Raises:
        RestError: ``-2015`` (401), ``-1101``, ``-1100``, ``-1102`` (timestamp), ``-1131``, ``-1021``, ``-1022``.
    """
    secret = secrets.get(api_key) if api_key else None
    if secret is None:
        raise errors.invalid_key()
    query_rest, sig_q = _split(query)
    body_rest, sig_b = _split(body)
    if sig_q is not None and sig_b is not None:
        raise errors.duplicate_param("signature")
    params = parse_params(query_rest, body_rest)
    if not signed:
        return api_key, params  # type: ignore[return-value]
    timestamp = params.get("timestamp")
    if not timestamp:
        raise errors.mandatory("timestamp")
    if not timestamp.isdigit() or len(timestamp) > 20:
        raise errors.illegal_chars("timestamp")
    window = params.get("recvWindow")
    if window is None or window == "":
        recv_window = RECV_WINDOW_DEFAULT_MS
    else:
        if not window.isdigit() or len(window) > 20:
            raise errors.illegal_chars("recvWindow")
        recv_window = int(window)
        if recv_window > RECV_WINDOW_MAX_MS:
            raise errors.bad_recv_window()
    ts = int(timestamp)
    if not now_ms - recv_window <= ts <= now_ms + FUTURE_TOLERANCE_MS:
        raise errors.outside_recv_window()
    given = sig_q if sig_q is not None else sig_b
    expected = sign(secret, query_rest + body_rest)
    if given is None or not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise errors.invalid_signature()
    return api_key, params  # type: ignore[return-value]
