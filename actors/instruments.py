"""Instruments: ids, venue symbol mapping and contract specs.

One id scheme everywhere (DESIGN.md §3): ``instrument_id = "<SYMBOL>.<VENUE>"`` with the venue symbol as the
venue writes it and the venue in upper case, e.g. ``BTCUSDT.BINANCE`` (spot), ``BTCUSDT.BINANCE_USDM`` (USD-M
perpetual), ``BTCUSD_PERP.BINANCE_COINM`` (COIN-M perpetual).

A :class:`InstrumentSpec` carries what exact money needs: the fixed-point decimals the venue writes prices and
sizes with (``price_decimals``/``size_decimals``, see :mod:`actors.fixedpoint`), tick and lot size, the contract
multiplier (COIN-M ``BTCUSD_PERP`` is 100 USD per contract, ``ETHUSD_PERP`` 10 USD: Binance COIN-M
"Contract Specifications"), linear vs inverse, currencies and default fees.

Symbols not in the built-in table get a venue default spec (:func:`spec_for`): Binance writes at most 8 decimals
for any price or size, so 8/8 is exact for every Binance symbol, only slower than the symbol's own decimals.

Two uses, two lookups:

* **Parsing and books** (:func:`specs_by_id`): a wide default is exact for reading the venue's strings, so an
  instrument without a loaded spec still gets one.
* **Money rounding** (orders, quotes, the risk gate, the API's order endpoint: :func:`trading_spec` /
  :func:`trading_specs`): on a venue with an instrument endpoint (:func:`has_spec_loader`: Bybit, OKX, see
  :mod:`actors.feed.instrument_specs`) only the spec loaded from it counts; without one the instrument raises
  :class:`~actors.errors.MissingInstrumentSpec` (or is left out), never a wide default's 1e-10 tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from actors.errors import ConfigError, MissingInstrumentSpec

__all__ = [
    "InstrumentSpec",
    "Venue",
    "has_spec_loader",
    "instrument_id",
    "known_specs",
    "split_instrument_id",
    "spec_for",
    "specs_by_id",
    "trading_spec",
    "trading_specs",
    "unloaded_trading_spec",
]


class Venue(StrEnum):
    """Venues raytrade knows, by the project's venue name (lower case, as in configs and the CLI)."""

    BINANCE = "binance"
    BINANCE_USDM = "binance_usdm"
    BINANCE_COINM = "binance_coinm"
    COINBASE = "coinbase"
    BYBIT = "bybit"  # spot (wss://stream.bybit.com/v5/public/spot)
    BYBIT_LINEAR = "bybit_linear"  # USDT/USDC perpetuals (v5/public/linear): BTCUSDT here is not spot's BTCUSDT
    KRAKEN = "kraken"
    OKX = "okx"  # one venue: OKX instId names the kind (BTC-USDT, BTC-USDT-SWAP, BTC-USD-220527)
    GEMINI = "gemini"
    BITSTAMP = "bitstamp"
    BACKPACK = "backpack"
    POLYGON = "polygon"  # market-data provider (Polygon.io): instrument ids carry its ticker, X:BTCUSD.POLYGON
    ALPHAVANTAGE = "alphavantage"  # market-data provider (Alpha Vantage): BTCUSD.ALPHAVANTAGE, IBM.ALPHAVANTAGE

    @property
    def is_binance_futures(self) -> bool:
        """True for Binance USD-M and COIN-M futures, which share the futures sync rules."""
        return self in (Venue.BINANCE_USDM, Venue.BINANCE_COINM)


def instrument_id(symbol: str, venue: Venue | str) -> str:
    """Return the instrument id ``"<SYMBOL>.<VENUE>"``; the symbol is upper-cased as Binance streams write it."""
    return f"{symbol.upper()}.{Venue(venue).value.upper()}"


def split_instrument_id(value: str) -> tuple[str, Venue]:
    """Split ``"BTCUSDT.BINANCE_USDM"`` into ``("BTCUSDT", Venue.BINANCE_USDM)``.

    Raises:
        ConfigError: not ``SYMBOL.VENUE`` or an unknown venue.
    """
    symbol, dot, venue = value.rpartition(".")
    if not dot or not symbol:
        raise ConfigError(f"instrument id {value!r} is not of the form SYMBOL.VENUE")
    try:
        return symbol, Venue(venue.lower())
    except ValueError:
        raise ConfigError(f"instrument id {value!r} names an unknown venue {venue!r}") from None


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """Contract specification of one instrument.

    Attributes:
        venue: the venue.
        symbol: the venue's symbol (``BTCUSDT``, ``BTCUSD_PERP``).
        kind: ``"spot"`` or ``"perpetual"``.
        base, quote, settle: currencies (``BTC``/``USDT``/``USDT`` for USD-M, ``BTC``/``USD``/``BTC`` for COIN-M).
        inverse: True when the contract is quoted in ``quote`` but margined/settled in ``base`` (COIN-M).
        price_decimals, size_decimals: fixed-point scales (the decimals the venue writes on the wire).
        tick_size, lot_size: smallest price and size increments.
        contract_size: multiplier; 1 for spot and linear, quote currency per contract for inverse (100 USD).
        maker_fee, taker_fee: default fee rates (fractions, e.g. ``Decimal("0.001")`` = 10 bps).
        min_notional: smallest order value (price x size x contract size) in the quote currency the venue accepts
            (Bybit spot ``minOrderAmt``, linear ``minNotionalValue``); None when the venue states none here.
    """

    venue: Venue
    symbol: str
    kind: str
    base: str
    quote: str
    settle: str
    inverse: bool
    price_decimals: int
    size_decimals: int
    tick_size: Decimal
    lot_size: Decimal
    contract_size: Decimal = Decimal(1)
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    min_notional: Decimal | None = None

    @property
    def instrument_id(self) -> str:
        """The id ``"<SYMBOL>.<VENUE>"``."""
        return instrument_id(self.symbol, self.venue)


def _spot(symbol: str, base: str, quote: str, tick: str, lot: str) -> InstrumentSpec:
    # Binance spot writes every price and quantity with 8 decimals ("61837.63000000").
    return InstrumentSpec(Venue.BINANCE, symbol, "spot", base, quote, quote, False, 8, 8, Decimal(tick), Decimal(lot))


def _usdm(symbol: str, base: str, pd: int, sd: int, tick: str) -> InstrumentSpec:
    # Binance USD-M fee tier 0: maker 0.02 %, taker 0.05 %.
    return InstrumentSpec(
        Venue.BINANCE_USDM, symbol, "perpetual", base, "USDT", "USDT", False, pd, sd,
        Decimal(tick), Decimal(1).scaleb(-sd), Decimal(1), Decimal("0.0002"), Decimal("0.0005"),
    )  # fmt: skip


def _coinm(symbol: str, base: str, pd: int, contract_usd: int) -> InstrumentSpec:
    # Binance COIN-M: quantities are integer contracts of `contract_usd` USD; fee tier 0 maker 0.02 %, taker 0.05 %.
    return InstrumentSpec(
        Venue.BINANCE_COINM, symbol, "perpetual", base, "USD", base, True, pd, 0,
        Decimal(1).scaleb(-pd), Decimal(1), Decimal(contract_usd), Decimal("0.0002"), Decimal("0.0005"),
    )  # fmt: skip


_KNOWN: dict[tuple[Venue, str], InstrumentSpec] = {
    (s.venue, s.symbol): s
    for s in (
        _spot("BTCUSDT", "BTC", "USDT", "0.01", "0.00001"),
        _spot("ETHUSDT", "ETH", "USDT", "0.01", "0.0001"),
        _usdm("BTCUSDT", "BTC", 2, 3, "0.10"),
        _usdm("ETHUSDT", "ETH", 2, 3, "0.01"),
        _coinm("BTCUSD_PERP", "BTC", 1, 100),
        _coinm("ETHUSD_PERP", "ETH", 2, 10),
    )
}


def known_specs() -> list[InstrumentSpec]:
    """The built-in instrument specs."""
    return list(_KNOWN.values())


def specs_by_id(instrument_ids: Iterable[str], loaded: Iterable[InstrumentSpec] = ()) -> dict[str, InstrumentSpec]:
    """``{instrument_id: spec}`` for **parsing and books**: the ``loaded`` spec of an instrument (from its venue's
    instrument endpoint, see :mod:`actors.feed.instrument_specs`) where given, else :func:`spec_for` (exact for
    reading the venue's strings, not for rounding: money uses :func:`trading_specs`)."""
    given = {s.instrument_id: s for s in loaded}
    out = {}
    for iid in instrument_ids:
        symbol, venue = split_instrument_id(iid)
        out[iid] = given.get(iid) or spec_for(venue, symbol)
    return out


def has_spec_loader(venue: Venue | str) -> bool:
    """True when ``venue``'s adapter loads specs from the venue's instrument endpoint (``instruments_requests``:
    Bybit spot and linear, OKX); its built-in default spec is then never used for money."""
    from actors.feed.venues import adapter_for  # lazy: the venue modules import this one

    try:
        adapter = adapter_for(venue)
    except ConfigError:
        return False
    return getattr(adapter, "instruments_requests", None) is not None


def trading_spec(instrument_id: str, loaded: Mapping[str, InstrumentSpec]) -> InstrumentSpec:
    """The spec to round and check an order of ``instrument_id`` with: ``loaded[instrument_id]`` where present;
    else, on a venue without an instrument endpoint, :func:`spec_for` (Binance's table or its exact 8-decimal default).

    Args:
        instrument_id: ``"<SYMBOL>.<VENUE>"``.
        loaded: specs by instrument id, as loaded at start-up (:mod:`actors.feed.instrument_specs`).

    Raises:
        MissingInstrumentSpec: a venue with an instrument endpoint (:func:`has_spec_loader`) and no loaded spec.
        ConfigError: not an instrument id.
    """
    spec = loaded.get(instrument_id)
    if spec is not None:
        return spec
    symbol, venue = split_instrument_id(instrument_id)
    return unloaded_trading_spec(venue, symbol)


def unloaded_trading_spec(venue: Venue | str, symbol: str) -> InstrumentSpec:
    """The trading spec of ``symbol`` when none was loaded: :func:`spec_for` on a venue without an instrument
    endpoint (Binance's table or its exact 8-decimal default).

    Raises:
        MissingInstrumentSpec: ``venue`` has an instrument endpoint (:func:`has_spec_loader`).
    """
    if has_spec_loader(venue):
        raise MissingInstrumentSpec(instrument_id(symbol, venue))
    return spec_for(venue, symbol)


def trading_specs(instrument_ids: Iterable[str], loaded: Iterable[InstrumentSpec] = ()) -> dict[str, InstrumentSpec]:
    """``{instrument_id: spec}`` for **money** (:func:`trading_spec` of each id); an instrument without one
    (:class:`~actors.errors.MissingInstrumentSpec`) is left out, so an order of it is rejected as an unknown
    instrument (risk gate ``instrument_unknown``, paper ``unknown_instrument``) rather than rounded to a default."""
    given = {s.instrument_id: s for s in loaded}
    out = {}
    for iid in instrument_ids:
        try:
            out[iid] = trading_spec(iid, given)
        except MissingInstrumentSpec:
            continue
    return out


def spec_for(venue: Venue | str, symbol: str) -> InstrumentSpec:
    """Return the spec of ``symbol`` on ``venue``: the built-in one, else the venue's exact default.

    The default for an unknown Binance symbol uses 8 price and size decimals (Binance never writes more);
    an unknown COIN-M symbol gets integer contract sizes and a contract size of 1 (unknown: check before trading).
    Other venues: their adapter's ``spec_for`` (:mod:`actors.feed.venues`), else an 8/8 placeholder.
    """
    venue = Venue(venue)
    symbol = symbol.upper()
    spec = _KNOWN.get((venue, symbol))
    if spec is not None:
        return spec
    if venue not in (Venue.BINANCE, Venue.BINANCE_USDM, Venue.BINANCE_COINM):
        from actors.feed.venues import adapter_for  # the venue module owns its defaults (lazy: no import cycle)

        try:
            adapter = adapter_for(venue)
        except ConfigError:
            adapter = None
        if adapter is not None:
            return adapter.spec_for(symbol)
    base = symbol.split("_")[0]
    if venue is Venue.BINANCE_COINM:
        return replace(_coinm(symbol, base.removesuffix("USD"), 8, 1), contract_size=Decimal(1))
    if venue is Venue.BINANCE_USDM:
        return _usdm(symbol, base.removesuffix("USDT"), 8, 8, "1e-8")
    return InstrumentSpec(venue, symbol, "spot", symbol, "?", "?", False, 8, 8, Decimal("1e-8"), Decimal("1e-8"))
