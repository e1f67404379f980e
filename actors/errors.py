"""The raytrade exception tree: what each error means to an operator.

Errors are translated into these types at the boundary where they occur (a venue parser, a capture reader,
a ccxt call, the risk checks), so callers catch a small, documented set instead of ``KeyError`` or a
library's exception::

    RaytradeError
    ├── FeedError                    something about a market-data stream
    │   ├── MalformedFrame           a frame could not be parsed (bad JSON, missing field, bad number);
    │   │                            counted and skipped, never fatal to a feed
    │   ├── UnsupportedFrame         well-formed, but of a kind this venue module does not handle
    │   └── PrecisionError           a price/size has more decimals than the instrument's fixed-point scale
    ├── SequenceError                the book can no longer be trusted
    │   ├── SequenceGap              a diff does not continue the previous one: resync from a snapshot
    │   └── CrossedBook              best bid >= best ask after a diff: resync from a snapshot
    ├── CaptureError                 a recorded capture file cannot be read
    │   └── UnknownCaptureFormat     the file is none of the formats raytrade reads
    ├── VenueError                   the venue (or the replay venue) refused or failed a request
    │   ├── VenueUnavailable         connection refused/closed, 5xx, timeout: transient, retry with backoff
    │   ├── RateLimited              HTTP 429/418: transient, wait ``retry_after_s`` before the next request
    │   ├── TooManyPages             a paginated answer (Bybit ``nextPageCursor``) ran past the page limit
    │   └── PermanentVenueError      4xx other than 429/418 (unknown symbol, bad request): never retried;
    │       │                        the feed stops with state ``failed`` and this message
    │       ├── AuthenticationFailed the API key was refused (HTTP 401/403, Polygon ``auth_failed``,
    │       │   │                    Alpha Vantage "apikey is invalid"): fix the key
    │       │   └── AuthenticationError  an exchange refused a signed request (Binance -1022 bad signature,
    │       │                        -2014/-2015 bad key, 401): fix the key or secret; raised at start-up
    │       ├── PermissionDenied     the key works but lacks a permission (e.g. trading not enabled)
    │       └── ConnectionLimit      the provider refused another connection (Polygon ``max_connections``)
    ├── OrderError                   something about an order
    │   ├── OrderRejected            the venue (or the paper venue) refused the order; ``reason`` says why
    │   │   └── InsufficientFunds    the account's free balance does not cover it (Binance -2010 "insufficient
    │   │                            balance", -2019 margin is insufficient)
    │   ├── OrderNotFound            the venue does not know the order (Binance -2013 / -2011 unknown order)
    │   ├── RiskRejected             the risk gate refused the intent; ``reason`` is one of the rule names
    │   └── InvalidOrderTransition   a bug: a status change the order lifecycle does not allow
    └── ConfigError                  the configuration is invalid
        └── MissingInstrumentSpec    an instrument of a venue that publishes its specs (Bybit, OKX) has none
                                     loaded from it: nothing of it can be rounded to its tick, lot or min notional
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "AuthenticationFailed",
    "InsufficientFunds",
    "OrderNotFound",
    "PermissionDenied",
    "CaptureError",
    "ConnectionLimit",
    "ConfigError",
    "CrossedBook",
    "FeedError",
    "InvalidOrderTransition",
    "MissingInstrumentSpec",
    "OrderError",
    "OrderRejected",
    "PermanentVenueError",
    "RiskRejected",
    "MalformedFrame",
    "PrecisionError",
    "RateLimited",
    "RaytradeError",
    "SequenceError",
    "SequenceGap",
    "TooManyPages",
    "UnknownCaptureFormat",
    "UnsupportedFrame",
    "VenueError",
    "VenueUnavailable",
]


class RaytradeError(Exception):
    """Base of every error raytrade raises on purpose."""


class FeedError(RaytradeError):
    """A market-data frame could not be turned into domain events."""


class MalformedFrame(FeedError):
    """A frame is not valid for its venue: bad JSON, a missing or mistyped field, a bad decimal string.

    Attributes:
        venue: the venue whose parser rejected the frame.
        frame: the first 200 bytes of the offending frame, for the log.
    """

    def __init__(self, venue: str, reason: str, frame: bytes | str | object = b"") -> None:
        self.venue = venue
        self.reason = reason
        if isinstance(frame, (bytes, bytearray, memoryview)):
            raw = bytes(frame)
        else:
            raw = (frame if isinstance(frame, str) else repr(frame)).encode("utf-8", "replace")
        self.frame = raw[:200]
        super().__init__(f"{venue}: malformed frame: {reason}: {self.frame!r}")


class UnsupportedFrame(FeedError):
    """A well-formed frame of a kind the venue module does not translate (e.g. ``kline_1m``)."""

    def __init__(self, venue: str, kind: str) -> None:
        self.venue = venue
        self.kind = kind
        super().__init__(f"{venue}: unsupported frame kind {kind!r}")


class PrecisionError(MalformedFrame):
    """A decimal string has non-zero digits beyond the instrument's fixed-point precision."""


class SequenceError(RaytradeError):
    """The local book no longer matches the venue's and must be rebuilt from a snapshot."""


class SequenceGap(SequenceError):
    """A diff does not continue the last applied one.

    Attributes:
        instrument_id: the book concerned.
        expected: the update id the next diff had to continue from.
        got: the offending diff's first update id (``U``) or previous id (``pu``).
    """

    def __init__(self, instrument_id: str, expected: int, got: int) -> None:
        self.instrument_id = instrument_id
        self.expected = expected
        self.got = got
        super().__init__(f"{instrument_id}: sequence gap: expected {expected}, got {got}")


class CrossedBook(SequenceError):
    """Best bid >= best ask after applying a diff."""


class CaptureError(RaytradeError):
    """A capture file could not be read."""


class UnknownCaptureFormat(CaptureError):
    """The file is not an hftbacktest, cryptofeed v1 or cryptofeed v2 capture."""


class VenueError(RaytradeError):
    """A venue request failed."""


class VenueUnavailable(VenueError):
    """The venue could not be reached or answered 5xx; retry with backoff."""


class RateLimited(VenueError):
    """The venue answered 429 (or 418, banned); do not retry before ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"{message} (retry after {retry_after_s:g} s)")


class TooManyPages(VenueError):
    """A paginated venue answer still named a next page after ``max_pages`` pages (a cursor that never ends).

    Attributes:
        max_pages: the limit that was reached.
    """

    def __init__(self, message: str, max_pages: int) -> None:
        self.max_pages = max_pages
        super().__init__(message)

    def __reduce__(self):  # picklable across actors: the constructor takes two arguments
        return type(self), (self.args[0], self.max_pages)


class ConfigError(RaytradeError):
    """The configuration is invalid."""


class MissingInstrumentSpec(ConfigError):
    """An instrument of a venue with an instrument endpoint (Bybit ``instruments-info``, OKX ``public/instruments``)
    has no spec loaded from it, so its tick size, lot size and minimum notional are unknown. Raised wherever a
    price or size of it would be rounded or checked (orders, strategy quotes), instead of using a wide default.

    Attributes:
        instrument_id: the instrument (``"BTCUSDT.BYBIT_LINEAR"``).
    """

    def __init__(self, instrument_id: str) -> None:
        self.instrument_id = instrument_id
        super().__init__(f"{instrument_id}: no instrument spec loaded from the venue's instrument endpoint (it "
                         "failed at start-up or does not list the symbol): its tick, lot and min notional are unknown")

    def __reduce__(self):  # picklable across actors: the constructor takes the id, not the message
        return type(self), (self.instrument_id,)


class PermanentVenueError(VenueError):
    """The venue refused a request in a way retrying cannot fix (unknown symbol, bad parameter, HTTP 4xx).

    Attributes:
        status: the HTTP status (or 0 when not HTTP).
    """

    def __init__(self, message: str, status: int = 0) -> None:
        self.status = status
        super().__init__(message)


class OrderError(RaytradeError):
    """An order could not be placed, changed or tracked."""


class OrderRejected(OrderError):
    """The venue (or the paper venue) refused an order.

    Attributes:
        client_order_id: the order.
        reason: short machine-readable reason (``"post_only_would_take"``, ``"filter_failure:LOT_SIZE"``, ...).
    """

    def __init__(self, client_order_id: str, reason: str) -> None:
        self.client_order_id = client_order_id
        self.reason = reason
        super().__init__(f"order {client_order_id} rejected: {reason}")


class RiskRejected(OrderError):
    """The risk gate refused an intent.

    Attributes:
        client_order_id: the intent's order id.
        reason: the rule that refused it (``"max_order_notional"``, ``"halted"``, ``"risk_unavailable"``, ...).
    """

    def __init__(self, client_order_id: str, reason: str, detail: str = "") -> None:
        self.client_order_id = client_order_id
        self.reason = reason
        self.detail = detail
        super().__init__(f"intent {client_order_id} rejected by risk: {reason}" + (f" ({detail})" if detail else ""))


class InvalidOrderTransition(OrderError):
    """An order status change the lifecycle (``actors.orders``) does not allow: a bug, never a market event."""

    def __init__(self, client_order_id: str, from_status: str, to: str) -> None:
        self.client_order_id = client_order_id
        super().__init__(f"order {client_order_id}: invalid transition {from_status} -> {to}")


class AuthenticationFailed(PermanentVenueError):
    """A provider or venue refused the API key (never retried: the key must change)."""


class ConnectionLimit(PermanentVenueError):
    """A provider refused another connection for this key (Polygon ``max_connections``): another client holds it."""


class AuthenticationError(AuthenticationFailed):
    """An exchange refused a signed request: bad signature (Binance ``-1022``), unknown or invalid API key
    (``-2014`` / ``-2015``, HTTP 401). Live execution raises it once, at start-up (its connection test), before any
    order is sent; never retried."""


class PermissionDenied(PermanentVenueError):
    """The key is valid but lacks a permission the mode needs (Binance account ``canTrade`` false, or the key's
    ``permissions`` without ``SPOT``); never retried."""


class InsufficientFunds(OrderRejected):
    """The venue refused an order because the free balance (spot) or margin (futures) does not cover it
    (Binance ``-2010`` "Account has insufficient balance for requested action.", USD-M ``-2019``)."""


class OrderNotFound(OrderError):
    """The venue does not know the order (Binance ``-2013`` "Order does not exist.", ``-2011`` "Unknown order
    sent." on a cancel)."""

    def __init__(self, client_order_id: str, detail: str = "") -> None:
        self.client_order_id = client_order_id
        super().__init__(f"order {client_order_id} not found at the venue" + (f": {detail}" if detail else ""))
