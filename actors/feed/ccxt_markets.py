"""ccxt wiring for Binance venues: market dicts from :class:`InstrumentSpec` and ``urls['api']`` for a base URL. Pure.

ccxt (4.5) resolves every Binance REST call through ``exchange.urls['api'][<api name>]`` (``binance.sign``): spot
endpoints use ``public``/``private`` (``.../api/v3``) and ``v1`` (``.../api/v1``), USD-M ``fapiPublic``/
``fapiPrivate`` (``.../fapi/v1``, ``V2``/``V3`` variants), COIN-M ``dapiPublic``/``dapiPrivate`` (``.../dapi/v1``).
Pointing those at a replay venue's REST base is all an unmodified client needs; ccxt keeps its own rate limiter,
error mapping and parsers.

Markets: for spot, ``load_markets()`` reads the venue's recorded ``exchangeInfo`` once ``options['fetchMarkets']``
is limited to spot (``{'types': ['spot']}``; ccxt fetches ``linear``/``inverse`` exchangeInfo too by default).
No futures exchangeInfo was recorded, so for USD-M and COIN-M give ccxt the markets built here from the instrument
specs with ``exchange.set_markets(markets_from_specs(...))``; ccxt then never calls ``fetchMarkets``.

ccxt market dicts hold floats (its own convention); exact money stays in :class:`InstrumentSpec` and in the
implicit endpoints' strings (``public_get_depth`` returns Binance's decimal strings).
"""

from __future__ import annotations

from collections.abc import Iterable

from actors.instruments import InstrumentSpec, Venue

__all__ = ["ccxt_api_urls", "ccxt_market", "ccxt_symbol", "markets_from_specs"]

_API_PATHS = {
    Venue.BINANCE: {"public": "/api/v3", "private": "/api/v3", "v1": "/api/v1"},
    Venue.BINANCE_USDM: {
        "fapiPublic": "/fapi/v1", "fapiPublicV2": "/fapi/v2", "fapiPublicV3": "/fapi/v3", "fapiPrivate": "/fapi/v1",
        "fapiPrivateV2": "/fapi/v2", "fapiPrivateV3": "/fapi/v3", "fapiData": "/futures/data",
    },
    Venue.BINANCE_COINM: {
        "dapiPublic": "/dapi/v1", "dapiPrivate": "/dapi/v1", "dapiPrivateV2": "/dapi/v2", "dapiData": "/futures/data",
    },
}  # fmt: skip


def ccxt_api_urls(venue: Venue | str, rest_base: str) -> dict[str, str]:
    """The ``urls['api']`` entries that route a ccxt ``binance`` client's calls for ``venue`` to ``rest_base``.

    Args:
        venue: ``binance``, ``binance_usdm`` or ``binance_coinm``.
        rest_base: e.g. ``"http://127.0.0.1:8081"`` (a replay venue's ``urls()["rest"]``).

    Returns:
        e.g. ``{"public": "http://127.0.0.1:8081/api/v3", "private": ..., "v1": ".../api/v1"}``; merge it into
        ``exchange.urls['api']``.

    Raises:
        ValueError: not a Binance venue.
    """
    paths = _API_PATHS.get(Venue(venue))
    if paths is None:
        raise ValueError(f"{venue}: no ccxt binance URL mapping")
    base = rest_base.rstrip("/")
    return {name: base + path for name, path in paths.items()}


def ccxt_symbol(spec: InstrumentSpec) -> str:
    """ccxt's unified symbol: ``BTC/USDT`` (spot), ``BTC/USDT:USDT`` (linear swap), ``BTC/USD:BTC`` (inverse)."""
    if spec.kind == "spot":
        return f"{spec.base}/{spec.quote}"
    return f"{spec.base}/{spec.quote}:{spec.settle}"


def ccxt_market(spec: InstrumentSpec) -> dict:
    """A ccxt market dict (ccxt's ``safe_market_structure`` keys) for one Binance instrument.

    ``precision`` holds tick and lot sizes (ccxt's Binance uses ``TICK_SIZE`` precision mode); ``contractSize``
    is the spec's multiplier (100 for COIN-M ``BTCUSD_PERP``); ``info`` names the source.
    """
    spot = spec.kind == "spot"
    contract = not spot
    return {
        "id": spec.symbol, "lowercaseId": spec.symbol.lower(), "symbol": ccxt_symbol(spec),
        "base": spec.base, "quote": spec.quote, "settle": None if spot else spec.settle,
        "baseId": spec.base, "quoteId": spec.quote, "settleId": None if spot else spec.settle,
        "type": "spot" if spot else "swap", "spot": spot, "margin": False, "swap": contract, "future": False,
        "option": False, "index": None, "active": True, "contract": contract,
        "linear": None if spot else not spec.inverse, "inverse": None if spot else spec.inverse,
        "contractSize": None if spot else float(spec.contract_size), "expiry": None, "expiryDatetime": None,
        "strike": None, "optionType": None, "taker": float(spec.taker_fee), "maker": float(spec.maker_fee),
        "precision": {"price": float(spec.tick_size), "amount": float(spec.lot_size), "base": None, "quote": None,
                      "cost": None},
        "limits": {"amount": {"min": float(spec.lot_size), "max": None}, "price": {"min": float(spec.tick_size),
                   "max": None}, "cost": {"min": None, "max": None}, "leverage": {"min": None, "max": None}},
        "created": None,
        "info": {"symbol": spec.symbol, "source": "raytrade InstrumentSpec", "instrument_id": spec.instrument_id},
    }  # fmt: skip


def markets_from_specs(specs: Iterable[InstrumentSpec]) -> list[dict]:
    """ccxt market dicts for ``exchange.set_markets(...)``, one per spec."""
    return [ccxt_market(spec) for spec in specs]
