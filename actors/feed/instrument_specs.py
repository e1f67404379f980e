"""Instrument specs loaded from a venue's instrument endpoint, as a live feed would load them.

A venue adapter that has ``instruments_requests(symbols)`` (Bybit ``GET /v5/market/instruments-info``, OKX ``GET
/api/v5/public/instruments``) and ``specs_from_instruments(body)`` gets its tick and lot sizes (so its price and
size decimals) from the venue rather than from wide defaults: a new symbol needs no table entry. The requests go
through ccxt's implicit endpoint methods, with ``urls['api']`` pointed at ``rest_base_url`` when given (the replay
venue serves the recording's own instrument answers there), exactly like the REST depth snapshots
(:mod:`actors.feed.rest`).

Paginated answers (Bybit linear: ``result.nextPageCursor``) are followed while the adapter's
``next_instruments_request(request, body)`` names a next page, at most ``max_pages`` pages per request.

Errors: ccxt errors are translated at this boundary (:func:`actors.feed.rest.translate_ccxt_error`); a body that is
not an instruments answer raises :class:`~actors.errors.MalformedFrame`, a refusal
:class:`~actors.errors.VenueError`, a cursor still set after ``max_pages`` pages :class:`~actors.errors.TooManyPages`.
:func:`load_specs` turns every failure into an error string (and no specs from that venue), so a run never stops
for it; an instrument left without a spec has none for money (:func:`actors.instruments.trading_spec` raises
:class:`~actors.errors.MissingInstrumentSpec`), while its feed and book parse it with the venue's exact wide default.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.errors import FeedError, TooManyPages, VenueError
from actors.feed.rest import make_exchange, translate_ccxt_error
from actors.feed.venues import adapter_for
from actors.instruments import InstrumentSpec, Venue

__all__ = ["MAX_PAGES", "fetch_specs", "load_specs"]

MAX_PAGES = 20  # per instruments request: 20,000 Bybit linear entries at limit 1000 (about 800 listed in 2026)


async def fetch_specs(venue: Venue | str, symbols: Sequence[str], rest_base_url: str | None = None,
                      timeout_ms: int = 10_000, max_pages: int = MAX_PAGES) -> dict[str, InstrumentSpec]:  # fmt: skip
    """The specs of ``symbols`` (upper case) found in the venue's instrument answers, every page of them (others are
    left out; a venue without an instrument endpoint gives ``{}``).

    Args:
        venue: a venue with an adapter.
        symbols: venue symbols.
        rest_base_url: replaces the venue's REST host (a replay venue or a test server on loopback).
        timeout_ms: per-request timeout (ms).
        max_pages: pages read per instruments request at most (>= 1).

    Raises:
        VenueUnavailable / RateLimited / VenueError / PermanentVenueError: the request failed (translated ccxt).
        MalformedFrame: an answer is not an instruments answer.
        TooManyPages: page ``max_pages`` still names a next page.
    """
    import ccxt.async_support as ccxt

    adapter = adapter_for(venue)
    requests = getattr(adapter, "instruments_requests", None)
    if requests is None:
        return {}
    next_page = getattr(adapter, "next_instruments_request", None)
    wanted = {s.upper() for s in symbols}
    found: dict[str, InstrumentSpec] = {}
    exchange = make_exchange(venue, rest_base_url, timeout_ms)
    try:
        for first in requests(sorted(wanted)):
            request, pages = first, 0
            while request is not None:
                if pages == max_pages:
                    raise TooManyPages(f"{Venue(venue).value}: {first.path} still has a next page after {max_pages} "
                                       "pages", max_pages)  # fmt: skip
                try:
                    body = await getattr(exchange, request.ccxt_method)(dict(request.params))
                except ccxt.BaseError as exc:
                    raise translate_ccxt_error(exc, getattr(exchange, "last_response_headers", None)) from exc
                pages += 1
                found.update({s.symbol: s for s in adapter.specs_from_instruments(body) if s.symbol in wanted})
                request = next_page(request, body) if next_page is not None else None
    finally:
        await exchange.close()
    return found


async def load_specs(venue: Venue | str, symbols: Sequence[str],
                     rest_base_url: str | None = None) -> tuple[dict[str, InstrumentSpec], str | None]:  # fmt: skip
    """``({symbol: spec}, error)``: the specs the venue's instrument endpoint gave for ``symbols`` (a venue without
    one gives ``{}``); ``error`` says why a symbol has none (the request failed, or the answers do not list it), None
    when every symbol has one or the venue has no endpoint. No default spec is filled in: an instrument without a
    loaded spec must not be rounded (:func:`actors.instruments.trading_spec`). Never raises for a venue failure."""
    adapter = adapter_for(venue)
    error = None
    try:
        loaded = await fetch_specs(venue, symbols, rest_base_url)
    except (FeedError, VenueError, OSError) as exc:
        loaded, error = {}, f"{type(exc).__name__}: {exc}"
    missing = [s for s in symbols if s.upper() not in loaded]
    if missing and error is None and getattr(adapter, "instruments_requests", None) is not None:
        error = f"not in the instrument answers (no spec for trading): {', '.join(missing)}"
    return {s.upper(): loaded[s.upper()] for s in symbols if s.upper() in loaded}, error
