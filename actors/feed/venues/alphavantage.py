"""Alpha Vantage: pure parsers for the REST functions raytrade reads, and its error bodies.

Sources: Alpha Vantage API documentation (https://www.alphavantage.co/documentation/): "Digital & Crypto
Currencies" (``DIGITAL_CURRENCY_DAILY``, ``CRYPTO_INTRADAY``, ``CURRENCY_EXCHANGE_RATE``) and "Time Series Stock
Data APIs" (``TIME_SERIES_DAILY``). Every function is ``GET /query?function=...&apikey=...``; replies are JSON
objects with a ``Meta Data`` block and a time-series block keyed by date (newest first), values as decimal
strings::

    {"Meta Data": {"1. Information": "Daily Prices (open, high, low, close) and Volumes", "2. Symbol": "IBM",
     "3. Last Refreshed": "2024-08-08", "4. Output Size": "Compact", "5. Time Zone": "US/Eastern"},
     "Time Series (Daily)": {"2024-08-08": {"1. open": "190.0000", "2. high": "192.6200", "3. low": "189.6700",
     "4. close": "191.4500", "5. volume": "2866584"}, ...}}

Translation: each series row becomes a closed :class:`~actors.bars.bar.Bar` (oldest first; the newest row may
still change while its day or interval runs), ``start`` = the row's date or time in the series' ``Time Zone``
(Alpha Vantage labels each row by the interval it covers; a daily row's day starts at 00:00 in that zone), volume
exact, ``trades`` 0 (not sent), no VWAP. ``DIGITAL_CURRENCY_DAILY`` is read in both of its documented layouts
(``"1. open"``, and the older ``"1a. open (EUR)"`` / ``"1b. open (USD)"``: the market's column is taken). An
exchange rate becomes a :class:`~actors.messages.Quote` (bid/ask; the rate itself when bid/ask are absent, sizes
0). Instrument ids: ``BTCUSD.ALPHAVANTAGE`` (currency + market), ``IBM.ALPHAVANTAGE``; prices and sizes
fixed-point at 8 decimals (the most Alpha Vantage writes).

Errors (:func:`error_in`): Alpha Vantage answers HTTP 200 with an error body: ``{"Note": "Thank you for using
Alpha Vantage! Our standard API call frequency is 5 calls per minute ..."}`` or ``{"Information": "... standard API
rate limit is 25 requests per day ..."}`` -> :class:`RateLimited` (60 s); another ``Information`` (premium
endpoint, demo key) -> :class:`PermanentVenueError`; ``{"Error Message": "the parameter apikey is invalid or
missing ..."}`` -> :class:`AuthenticationFailed`; other ``Error Message`` (invalid call, unknown symbol) ->
:class:`PermanentVenueError`. A body of no known shape raises :class:`MalformedFrame`.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from actors.bars.bar import Bar
from actors.errors import AuthenticationFailed, MalformedFrame, PermanentVenueError, RateLimited, VenueError
from actors.fixedpoint import to_fixed
from actors.messages import Quote

__all__ = ["FUNCTIONS", "REST_BASE_URL", "AlphaVantageParser", "error_in", "instrument_id_of"]

REST_BASE_URL = "https://www.alphavantage.co"
VENUE = "alphavantage"
FUNCTIONS = ("DIGITAL_CURRENCY_DAILY", "CRYPTO_INTRADAY", "CURRENCY_EXCHANGE_RATE", "TIME_SERIES_DAILY")
DECIMALS = 8
_INTRADAY = {"1min": "1m", "5min": "5m", "15min": "15m", "30min": "30min", "60min": "1h"}
_RATE_WORDS = ("rate limit", "call frequency", "calls per minute", "requests per day", "per minute")
_DECODER = msgspec.json.Decoder(dict)


def instrument_id_of(symbol: str, market: str = "") -> str:
    """``("BTC", "USD")`` -> ``BTCUSD.ALPHAVANTAGE``; ``("IBM", "")`` -> ``IBM.ALPHAVANTAGE``."""
    return f"{symbol.strip().upper()}{market.strip().upper()}.ALPHAVANTAGE"


def _decode(body: bytes | str) -> dict:
    try:
        value = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise MalformedFrame(VENUE, f"not a JSON object: {exc}", body) from None
    return value


def error_in(body: bytes | str) -> VenueError | None:
    """The error an Alpha Vantage body means, or None for a data body (see the module docstring).

    Raises:
        MalformedFrame: not a JSON object.
    """
    value = _decode(body)
    if "Note" in value:
        return RateLimited(f"alphavantage: {str(value['Note'])[:200]}", 60.0)
    if "Information" in value:
        text = str(value["Information"])
        if any(word in text.lower() for word in _RATE_WORDS):
            return RateLimited(f"alphavantage: {text[:200]}", 60.0)
        return PermanentVenueError(f"alphavantage: {text[:200]}")
    if "Error Message" in value:
        text = str(value["Error Message"])
        if "apikey" in text.lower():
            return AuthenticationFailed(f"alphavantage: {text[:200]}")
        return PermanentVenueError(f"alphavantage: {text[:200]}")
    return None


_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")


def _zone(name: object) -> dt.tzinfo:
    text = str(name)
    if not text or text.upper() == "UTC":
        return dt.UTC
    if len(text) > 64 or not _ZONE_NAME.match(text):
        raise MalformedFrame(VENUE, f"bad time zone {text[:64]!r}", text[:200])
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise MalformedFrame(VENUE, f"unknown time zone {text!r}", text) from None


def _ns(text: object, zone: dt.tzinfo) -> int:
    try:
        stamp = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise MalformedFrame(VENUE, f"bad date/time {text!r}", repr(text)) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1_000


def _meta(value: dict, key: str, number: str) -> str:
    """A ``Meta Data`` entry by its number prefix (``"2."``): the names vary by function."""
    meta = value.get("Meta Data")
    if not isinstance(meta, dict):
        raise MalformedFrame(VENUE, "no Meta Data", repr(value)[:200])
    for name, item in meta.items():
        if name.startswith(number) and key.lower() in name.lower():
            return str(item)
    return ""


def _series(value: dict, prefix: str) -> dict:
    for name, item in value.items():
        if name.startswith(prefix) and isinstance(item, dict):
            return item
    raise MalformedFrame(VENUE, f"no {prefix!r} block", repr(value)[:200])


def _field(row: object, number: int, name: str, market: str) -> str:
    """Column ``"<n>. <name>"``, else the older ``"<n>a. <name> (<MARKET>)"`` / ``"<n>b. ... (USD)"``."""
    if not isinstance(row, dict):
        raise MalformedFrame(VENUE, f"series row is not an object: {row!r}", repr(row))
    for key in (f"{number}. {name}", f"{number}a. {name} ({market})", f"{number}b. {name} ({market})"):
        if key in row:
            value = row[key]
            if not isinstance(value, str):
                raise MalformedFrame(VENUE, f"{key} is not a decimal string: {value!r}", repr(value))
            return value
    raise MalformedFrame(VENUE, f"series row without {name!r}", repr(row)[:200])


class AlphaVantageParser:
    """Translate Alpha Vantage bodies into bars and quotes (exact, 8 decimals)."""

    def __init__(self, decimals: int = DECIMALS) -> None:
        self.pd = self.sd = decimals

    def _px(self, text: str) -> int:
        value = to_fixed(text, self.pd, VENUE)
        if value < 0:
            raise MalformedFrame(VENUE, f"negative value {text!r}", text)
        return value

    def _check(self, body: bytes | str) -> dict:
        error = error_in(body)
        if error is not None:
            raise error
        return _decode(body)

    def _bars(self, value: dict, iid: str, interval: str, series_prefix: str, market: str, ts_recv: int,
              zone_number: str) -> list[Bar]:  # fmt: skip
        zone = _zone(_meta(value, "Time Zone", zone_number) or "UTC")
        rows = _series(value, series_prefix)
        bars = []
        for stamp, row in rows.items():
            start = _ns(stamp, zone)
            o, h, lo, c = (self._px(_field(row, n, name, market))
                           for n, name in ((1, "open"), (2, "high"), (3, "low"), (4, "close")))  # fmt: skip
            volume = to_fixed(_field(row, 5, "volume", market), self.sd, VENUE)
            bars.append(Bar(iid, interval, start, o, h, lo, c, volume, -1, 0, self.pd, self.sd, True, start, ts_recv))
        bars.sort(key=lambda b: b.start)
        return bars

    def digital_currency_daily(self, body: bytes | str, ts_recv: int) -> list[Bar]:
        """``DIGITAL_CURRENCY_DAILY`` -> daily bars (``"1d"``) of ``<CURRENCY><MARKET>.ALPHAVANTAGE``.

        Raises:
            RateLimited, AuthenticationFailed, PermanentVenueError: an error body. MalformedFrame: bad shape.
        """
        value = self._check(body)
        code, market = _meta(value, "Digital Currency Code", "2."), _meta(value, "Market Code", "4.")
        if not code or not market:
            raise MalformedFrame(VENUE, "no currency / market code", repr(value)[:200])
        iid = instrument_id_of(code, market)
        return self._bars(value, iid, "1d", "Time Series (Digital Currency Daily)", market.upper(), ts_recv, "7.")

    def crypto_intraday(self, body: bytes | str, ts_recv: int) -> list[Bar]:
        """``CRYPTO_INTRADAY`` -> bars at the series' interval (``5min`` -> ``"5m"``, ``60min`` -> ``"1h"``).

        Raises:
            as :meth:`digital_currency_daily`.
        """
        value = self._check(body)
        code, market = _meta(value, "Digital Currency Code", "2."), _meta(value, "Market Code", "4.")
        span = _meta(value, "Interval", "7.")
        if not code or not market or span not in _INTRADAY:
            raise MalformedFrame(VENUE, f"bad intraday meta data (interval {span!r})", repr(value)[:200])
        return self._bars(value, instrument_id_of(code, market), _INTRADAY[span], "Time Series Crypto", market,
                          ts_recv, "9.")  # fmt: skip

    def time_series_daily(self, body: bytes | str, ts_recv: int) -> list[Bar]:
        """``TIME_SERIES_DAILY`` -> daily bars of ``<SYMBOL>.ALPHAVANTAGE`` (days in ``US/Eastern``).

        Raises:
            as :meth:`digital_currency_daily`.
        """
        value = self._check(body)
        symbol = _meta(value, "Symbol", "2.")
        if not symbol:
            raise MalformedFrame(VENUE, "no symbol", repr(value)[:200])
        return self._bars(value, instrument_id_of(symbol), "1d", "Time Series (Daily)", "", ts_recv, "5.")

    def currency_exchange_rate(self, body: bytes | str, ts_recv: int) -> Quote:
        """``CURRENCY_EXCHANGE_RATE`` -> a Quote of ``<FROM><TO>.ALPHAVANTAGE`` (bid/ask, else the rate; sizes 0;
        ``ts_event`` = ``Last Refreshed`` in its ``Time Zone``).

        Raises:
            as :meth:`digital_currency_daily`.
        """
        value = self._check(body)
        block = value.get("Realtime Currency Exchange Rate")
        if not isinstance(block, dict):
            raise MalformedFrame(VENUE, "no Realtime Currency Exchange Rate", repr(value)[:200])

        def get(number: str) -> str:
            for name, item in block.items():
                if name.startswith(number):
                    return str(item)
            return ""

        source, target, rate = get("1."), get("3."), get("5.")
        if not source or not target or not rate:
            raise MalformedFrame(VENUE, "exchange rate without currencies or rate", repr(block)[:200])
        bid, ask = get("8."), get("9.")
        bid = bid if bid and bid != "-" else rate
        ask = ask if ask and ask != "-" else rate
        ts = _ns(get("6."), _zone(get("7.") or "UTC")) if get("6.") else 0
        return Quote(instrument_id_of(source, target), 0, self._px(bid), 0, self._px(ask), 0, self.pd, self.sd, ts,
                     ts_recv)  # fmt: skip

    def parse(self, function: str, body: bytes | str, ts_recv: int) -> list[Bar] | Quote:
        """Dispatch on the function name (:data:`FUNCTIONS`).

        Raises:
            PermanentVenueError: a function not handled here. Others: as the function's parser.
        """
        handler = {"DIGITAL_CURRENCY_DAILY": self.digital_currency_daily, "CRYPTO_INTRADAY": self.crypto_intraday,
                   "CURRENCY_EXCHANGE_RATE": self.currency_exchange_rate,
                   "TIME_SERIES_DAILY": self.time_series_daily}.get(function.upper())  # fmt: skip
        if handler is None:
            raise PermanentVenueError(f"alphavantage: function {function!r} is not handled (one of {FUNCTIONS})")
        return handler(body, ts_recv)
