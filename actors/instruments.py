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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from actors.errors import ConfigError

__all__ = [
    "InstrumentSpec",
    "Venue",
    "instrument_id",
    "known_specs",
    "split_instrument_id",
    "spec_for",
    "specs_by_id",
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
    """``{instrument_id: spec}``: the ``loaded`` spec of an instrument (from its venue's instrument endpoint, see
    :mod:`actors.feed.instrument_specs`) where given, else :func:`spec_for`."""
    given = {s.instrument_id: s for s in loaded}
    out = {}
    for iid in instrument_ids:
        symbol, venue = split_instrument_id(iid)
        out[iid] = given.get(iid) or spec_for(venue, symbol)
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
