"""Instrument specs loaded from a venue's instrument endpoint, as a live feed would load them.

A venue adapter that has ``instruments_requests(symbols)`` (Bybit ``GET /v5/market/instruments-info``, OKX ``GET
/api/v5/public/instruments``) and ``specs_from_instruments(body)`` gets its tick and lot sizes (so its price and
size decimals) from the venue rather than from wide defaults: a new symbol needs no table entry. The requests go
through ccxt's implicit endpoint methods, with ``urls['api']`` pointed at ``rest_base_url`` when given (the replay
venue serves the recording's own instrument answers there), exactly like the REST depth snapshots
(:mod:`actors.feed.rest`).

Errors: ccxt errors are translated at this boundary (:func:`actors.feed.rest.translate_ccxt_error`); a body that is
not an instruments answer raises :class:`~actors.errors.MalformedFrame`, a refusal
:class:`~actors.errors.VenueError`. :func:`load_specs` turns every failure into the venue's default specs plus the
error, so a run never stops for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.errors import FeedError, VenueError
from actors.feed.rest import make_exchange, translate_ccxt_error
from actors.feed.venues import adapter_for
from actors.instruments import InstrumentSpec, Venue

__all__ = ["fetch_specs", "load_specs"]


async def fetch_specs(venue: Venue | str, symbols: Sequence[str], rest_base_url: str | None = None,
                      timeout_ms: int = 10_000) -> dict[str, InstrumentSpec]:  # fmt: skip
    """The specs of ``symbols`` (upper case) found in the venue's instrument answers (others are left out; a venue
    without an instrument endpoint gives ``{}``).

    Raises:
        VenueUnavailable / RateLimited / VenueError / PermanentVenueError: the request failed (translated ccxt).
        MalformedFrame: an answer is not an instruments answer.
    """
    import ccxt.async_support as ccxt

    adapter = adapter_for(venue)
    requests = getattr(adapter, "instruments_requests", None)
    if requests is None:
        return {}
    wanted = {s.upper() for s in symbols}
    found: dict[str, InstrumentSpec] = {}
    exchange = make_exchange(venue, rest_base_url, timeout_ms)
    try:
        for request in requests(sorted(wanted)):
            try:
                body = await getattr(exchange, request.ccxt_method)(dict(request.params))
            except ccxt.BaseError as exc:
                raise translate_ccxt_error(exc, getattr(exchange, "last_response_headers", None)) from exc
            found.update({s.symbol: s for s in adapter.specs_from_instruments(body) if s.symbol in wanted})
    finally:
        await exchange.close()
    return found


async def load_specs(venue: Venue | str, symbols: Sequence[str],
                     rest_base_url: str | None = None) -> tuple[dict[str, InstrumentSpec], str | None]:  # fmt: skip
    """``({symbol: spec}, error)``: every symbol's spec, from the instrument endpoint where the venue has one and
    lists the symbol, else the adapter's default; ``error`` says why the endpoint gave nothing (None when it did,
    or when the venue has none). Never raises for a venue failure."""
    adapter = adapter_for(venue)
    error = None
    try:
        loaded = await fetch_specs(venue, symbols, rest_base_url)
    except (FeedError, VenueError, OSError) as exc:
        loaded, error = {}, f"{type(exc).__name__}: {exc}"
    missing = [s for s in symbols if s.upper() not in loaded]
    if missing and error is None and getattr(adapter, "instruments_requests", None) is not None:
        error = f"not in the instrument answers (default specs): {', '.join(missing)}"
    return {s.upper(): loaded.get(s.upper()) or adapter.spec_for(s.upper()) for s in symbols}, error
