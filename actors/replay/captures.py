"""Readers for recorded exchange captures: one stream of :class:`CaptureRecord` per recording.

Formats (see ``shared/data/README.md``):

* **hftbacktest** raw Binance captures (``.gz``, ``.dat.gz``): gzip text, ``<local_ts> <raw frame or REST
  body>`` per line. The timestamp unit is detected from its magnitude (ns, us or ms), not assumed from the file
  name. The venue is inferred from the frames (futures diffs carry ``pu``; COIN-M symbols contain ``_``).
* **cryptofeed v1** raw files (``<EXCHANGE>.ws.<n>.<rot>``, ``<EXCHANGE>.http.<n>.<rot>``, ``<EXCHANGE>.<n>``):
  ``<ts>: <frame>`` received, ``<url> <-> <ts>`` connect, ``<url> <- <ts>: <frame>`` sent,
  ``<url> -> <ts>: <body>[ header: <json>]`` REST; ``<ts>`` in Unix seconds.
* **cryptofeed v2 capture** JSON Lines (``{"t":"header",...}`` then ``connect``/``send``/``recv``/``http``). A
  Bybit capture holds spot and linear connections (the same symbols, different books): it forms one recording
  per category (``bybit``, ``bybit_linear``), told apart by each connection's URL.
* **Bybit public history** (``<date>_<SYMBOL>_ob500.data``, from Bybit's "Historical Market Data" download, unzipped):
  one v5 ``orderbook.500`` message per line, no local time (the message ``ts`` is used). Spot unless the path
  names ``linear``.

Files of one recording given together continue one another: they are merged into one time-ordered stream
(hftbacktest files by venue and symbol, cryptofeed files by exchange). Frames are kept byte for byte.

Errors: :class:`UnknownCaptureFormat` for a file of no known format, :class:`CaptureError` for an unreadable one.
"""

from __future__ import annotations

import gzip
import heapq
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from actors.errors import CaptureError, UnknownCaptureFormat
from actors.instruments import Venue

__all__ = ["CaptureRecord", "Recording", "read_recordings"]

_CRYPTOFEED_VENUES = {
    "BINANCE": Venue.BINANCE, "BINANCE_FUTURES": Venue.BINANCE_USDM, "BINANCE_DELIVERY": Venue.BINANCE_COINM,
    "COINBASE": Venue.COINBASE, "BYBIT": Venue.BYBIT, "KRAKEN": Venue.KRAKEN, "OKX": Venue.OKX,
    "GEMINI": Venue.GEMINI, "BITSTAMP": Venue.BITSTAMP, "BACKPACK": Venue.BACKPACK,
}  # fmt: skip
_V1_NAME = re.compile(r"^(?P<exchange>[A-Z0-9_]+)\.(?:(?:ws|http)\.\d+\.\d+|\d+)$")
_HFT_LINE = re.compile(rb"^\d{10,20} [\[{]")
_HEAD_LINES = 400


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One recorded event.

    Attributes:
        ts_recv: the recorder's local receive time (ns since the epoch).
        kind: ``"ws"`` (a received websocket frame), ``"rest"`` (a REST response body), ``"send"`` (a frame the
            client sent), ``"connect"`` (a connection opened; ``data`` empty).
        data: the exact frame or body bytes.
        conn: connection id within the recording (``"ws.1"``, ``"http.0"``, ``"hftbacktest"``).
        url: the websocket or REST URL where recorded, else None.
    """

    ts_recv: int
    kind: str
    data: bytes
    conn: str = ""
    url: str | None = None

    @property
    def rest_symbol(self) -> str | None:
        """The ``symbol`` query parameter of a REST record's URL, upper-cased, if any."""
        if not self.url:
            return None
        values = parse_qs(urlparse(self.url).query).get("symbol")
        return values[0].upper() if values else None


@dataclass
class Recording:
    """Records of one recording (one venue), time-ordered, from one or more files.

    Attributes:
        venue: the venue the frames come from.
        source: ``"hftbacktest"``, ``"cryptofeed_v1"`` or ``"cryptofeed_v2"``.
        paths: the files, in the order they continue one another.
    """

    venue: Venue
    source: str
    paths: list[Path] = field(default_factory=list)
    conns: frozenset[str] | None = None

    def records(self) -> Iterator[CaptureRecord]:
        """Stream every record, merged by ``ts_recv`` across files (stable for equal times).

        With ``conns`` (a capture whose connections carry different venues, e.g. Bybit spot and linear in one
        cryptofeed file), only the websocket records of those connections (and every REST record) are kept.
        """
        if self.source == "hftbacktest":
            for path in self.paths:  # files are consecutive: plain concatenation keeps byte order
                yield from _read_hftbacktest(path)
            return
        if self.source == "bybit_history":
            for path in self.paths:
                yield from _read_bybit_history(path)
            return
        reader = _read_cryptofeed_v1 if self.source == "cryptofeed_v1" else _read_cryptofeed_v2
        merged = heapq.merge(*(reader(p) for p in self.paths), key=lambda r: r.ts_recv)
        if self.conns is None:
            yield from merged
            return
        conns = self.conns
        for rec in merged:
            if rec.kind == "rest" or rec.conn in conns:
                yield rec


def read_recordings(paths: Iterable[str | Path]) -> list[Recording]:
    """Detect the format of each file and group the files into recordings.

    Raises:
        CaptureError: a path does not exist or cannot be read.
        UnknownCaptureFormat: a file is of no known format, or its venue cannot be told.
    """
    groups: dict[tuple[str, str], tuple[Recording, list[tuple[int, Path]]]] = {}
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise CaptureError(f"{path}: no such file")
        source, venue, key, first_ts = _identify(path)
        split = _connection_venues(path, source, venue)
        for part_venue, conns in split.items() if split else [(venue, None)]:
            part_key = key if conns is None else f"{key}:{part_venue.value}:{','.join(sorted(conns))}"
            rec, files = groups.setdefault((source, part_key), (Recording(part_venue, source, conns=conns), []))
            files.append((first_ts, path))
    recordings = []
    for rec, files in groups.values():
        rec.paths = [p for _, p in sorted(files, key=lambda f: f[0])]
        recordings.append(rec)
    return recordings


# -- detection -------------------------------------------------------------------------------------------------
def _identify(path: Path) -> tuple[str, Venue, str, int]:
    """Return (source, venue, grouping key, first timestamp ns) for one file."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        if magic[:2] == b"\x1f\x8b":
            head = []
            with gzip.open(path, "rb") as fh:
                try:
                    for _ in range(_HEAD_LINES):
                        head.append(fh.readline())
                except EOFError:  # cut short (see _read_hftbacktest): identify it by what is there
                    pass
        elif magic == b"\x28\xb5\x2f\xfd":
            raise UnknownCaptureFormat(f"{path}: zstd-compressed capture: decompress it first (zstd -d)")
        else:
            with path.open("rb") as fh:
                head = [fh.readline() for _ in range(_HEAD_LINES)]
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None
    head = [line for line in head if line.strip()]
    if not head:
        raise UnknownCaptureFormat(f"{path}: empty file")
    if _HFT_LINE.match(head[0]):
        venue, symbol = _infer_binance(path, head)
        return "hftbacktest", venue, f"{venue}:{symbol}", _to_ns(head[0].split(b" ", 1)[0].decode())
    if head[0].startswith(b'{"t":"header"') or head[0].startswith(b'{"t": "header"'):
        try:
            exchange = json.loads(head[0])["exchange"]
        except (ValueError, KeyError) as exc:
            raise UnknownCaptureFormat(f"{path}: bad cryptofeed capture header: {exc}") from None
        return "cryptofeed_v2", _cryptofeed_venue(path, exchange), str(exchange), 0
    if path.name.endswith(("_ob500.data", "_ob200.data")) or (
        head[0].startswith(b'{"topic":"orderbook.') and b'"type":"snapshot"' in head[0][:80]
    ):
        return "bybit_history", Venue.BYBIT_LINEAR if "linear" in str(path).lower() else Venue.BYBIT, \
            f"bybit_history:{path.name.split('_')[1] if '_' in path.name else path.name}", _bybit_history_ts(head[0])
    match = _V1_NAME.match(path.name)
    if match and any(_v1_kind(line) for line in head[:5]):
        exchange = match["exchange"]
        return "cryptofeed_v1", _cryptofeed_venue(path, exchange), exchange, 0
    raise UnknownCaptureFormat(f"{path}: not an hftbacktest, cryptofeed v1 or cryptofeed v2 capture")


# Bybit v5 public hosts by category ("WebSocket Stream > Connect"); inverse and option are not served here.
_BYBIT_CATEGORY = {"/v5/public/spot": Venue.BYBIT, "/v5/public/linear": Venue.BYBIT_LINEAR}


def _connection_venues(path: Path, source: str, venue: Venue) -> dict[Venue, frozenset[str]] | None:
    """For a cryptofeed capture of Bybit: which connections are spot and which linear (by their connect URL).

    Returns None for every other capture (one venue per file).
    """
    if venue is not Venue.BYBIT or source != "cryptofeed_v2":
        return None
    found: dict[Venue, set[str]] = {}
    try:
        with path.open("rb") as fh:
            for raw in fh:
                if b'"t":"connect"' not in raw[:40] and b'"t": "connect"' not in raw[:40]:
                    continue
                rec = json.loads(raw)
                url = urlparse(str(rec.get("url") or rec.get("addr") or ""))
                part = _BYBIT_CATEGORY.get(url.path.rstrip("/"))
                if part is not None:
                    found.setdefault(part, set()).add(str(rec.get("conn", "")))
    except (OSError, ValueError) as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None
    return {v: frozenset(c) for v, c in found.items()} or None


def _cryptofeed_venue(path: Path, exchange: str) -> Venue:
    venue = _CRYPTOFEED_VENUES.get(str(exchange).upper())
    if venue is None:
        raise UnknownCaptureFormat(f"{path}: exchange {exchange!r} is not a venue raytrade knows")
    return venue


def _infer_binance(path: Path, head: list[bytes]) -> tuple[Venue, str]:
    """Binance spot vs USD-M vs COIN-M from the frames: futures diffs carry ``pu``; COIN-M symbols have ``_``."""
    for line in head:
        body = line.split(b" ", 1)[1]
        try:
            value = json.loads(body)
        except ValueError:
            continue
        data = value.get("data", value) if isinstance(value, dict) else None
        if not isinstance(data, dict) or data.get("e") != "depthUpdate":
            continue
        symbol = str(data.get("s", ""))
        if "pu" not in data:
            return Venue.BINANCE, symbol
        return (Venue.BINANCE_COINM if "_" in symbol or "ps" in data else Venue.BINANCE_USDM), symbol
    raise UnknownCaptureFormat(f"{path}: hftbacktest capture without a Binance depthUpdate in its first lines")


def _to_ns(text: str) -> int:
    """A local timestamp of unknown unit -> ns, by magnitude: >=1e17 ns, >=1e14 us, >=1e11 ms, else seconds."""
    if "." in text:
        return int(Decimal(text) * 1_000_000_000)
    value = int(text)
    if value >= 10**17:
        return value
    if value >= 10**14:
        return value * 1_000
    if value >= 10**11:
        return value * 1_000_000
    return value * 1_000_000_000


def _bybit_history_ts(line: bytes) -> int:
    try:
        return int(json.loads(line)["ts"]) * 1_000_000
    except (ValueError, KeyError, TypeError):
        return 0


# -- readers ---------------------------------------------------------------------------------------------------
def _read_bybit_history(path: Path) -> Iterator[CaptureRecord]:
    """Bybit's public orderbook history (``<date>_<SYMBOL>_ob500.data``): one v5 ``orderbook`` message per line,
    no local receive time. ``ts_recv`` is the message's own ``ts`` (ms -> ns): the venue's time stands in for ours.
    A line that is not JSON with a ``ts`` is still served (``ts_recv`` of the line before), so the parser reports
    it as malformed."""
    last = 0
    try:
        with path.open("rb") as fh:
            for raw in fh:
                line = raw.rstrip(b"\r\n")
                if not line:
                    continue
                ts = _bybit_history_ts(line) or last
                last = ts
                yield CaptureRecord(ts, "ws", line, "bybit_history")
    except OSError as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None
def _read_hftbacktest(path: Path) -> Iterator[CaptureRecord]:
    """Lines ``<ts> <frame>``. A gzip stream cut short (a recorder that died mid-write: its last member has no
    end marker) ends the capture at the last complete line instead of making the whole file unreadable."""
    try:
        with gzip.open(path, "rb") as fh:
            pending = None
            try:
                for line in fh:
                    if pending is not None:
                        yield pending
                    ts, sep, body = line.rstrip(b"\r\n").partition(b" ")
                    if not sep or not ts.isdigit():
                        raise CaptureError(f"{path}: not an hftbacktest line: {line[:80]!r}")
                    kind = "rest" if body.startswith((b'{"lastUpdateId"', b'{"code"')) else "ws"
                    pending = CaptureRecord(_to_ns(ts.decode()), kind, body, "hftbacktest") if line.endswith(
                        b"\n") else None  # a line without its newline was cut: dropped
            except EOFError:
                pass  # a truncated final member: keep every complete line read so far
            if pending is not None:
                yield pending
    except OSError as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None


def _v1_kind(line: bytes) -> str | None:
    if re.match(rb"^(wss?|https?)://\S+ <-> [\d.]+", line):
        return "connect"
    if re.match(rb"^(wss?|https?)://\S+ <- [\d.]+: ", line):
        return "send"
    if re.match(rb"^(wss?|https?)://\S+ -> [\d.]+: ", line):
        return "rest"
    if re.match(rb"^\d+(\.\d+)?: ", line):
        return "ws"
    if line.startswith(b"configuration: "):
        return "config"
    return None


def _read_cryptofeed_v1(path: Path) -> Iterator[CaptureRecord]:
    conn = path.name.split(".", 1)[1].rsplit(".", 1)[0] if path.name.count(".") >= 2 else "rest"
    try:
        with path.open("rb") as fh:
            for raw in fh:
                line = raw.rstrip(b"\r\n")
                kind = _v1_kind(line)
                if kind is None or kind == "config":
                    continue
                if kind == "ws":
                    ts, _, data = line.partition(b": ")
                    yield CaptureRecord(_seconds_ns(ts, path), "ws", data, conn)
                    continue
                url, _, rest = line.partition(b" ")
                marker, _, rest = rest.partition(b" ")
                if kind == "connect":
                    yield CaptureRecord(_seconds_ns(rest, path), "connect", b"", conn, url.decode())
                    continue
                ts, _, data = rest.partition(b": ")
                if kind == "rest":
                    data = _strip_header(data)
                yield CaptureRecord(_seconds_ns(ts, path), kind, data, conn, url.decode())
    except OSError as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None


def _strip_header(body: bytes) -> bytes:
    """Cut the optional `` header: {...}`` suffix cryptofeed appends to a REST body."""
    if b" header: " not in body:
        return body
    try:
        _, end = json.JSONDecoder().raw_decode(body.decode())
    except ValueError:
        return body.rsplit(b" header: ", 1)[0]
    return body.decode()[:end].encode()


def _seconds_ns(text: bytes, path: Path) -> int:
    try:
        return int(Decimal(text.decode()) * 1_000_000_000)
    except (InvalidOperation, UnicodeDecodeError):
        raise CaptureError(f"{path}: bad timestamp {text[:40]!r}") from None


def _read_cryptofeed_v2(path: Path) -> Iterator[CaptureRecord]:
    import base64

    kinds = {"recv": "ws", "send": "send", "http": "rest", "connect": "connect"}
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                    kind = kinds.get(rec["t"])
                    if kind is None:
                        continue
                    if "b64" in rec:
                        data = base64.b64decode(rec["b64"])
                    else:
                        data = str(rec.get("data", "")).encode()
                    ts = int(Decimal(repr(rec["ts"])) * 1_000_000_000)
                    yield CaptureRecord(ts, kind, data, str(rec.get("conn", "")), rec.get("url") or rec.get("addr"))
                except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
                    raise CaptureError(f"{path}:{number}: bad capture record: {exc}") from None
    except OSError as exc:
        raise CaptureError(f"{path}: unreadable: {exc}") from None
