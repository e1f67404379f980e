"""What a replay venue serves: one recording's records (optionally a leading slice) and an index of its content.

The index (stream names, symbols, first/last recorder time, record counts) is built by one pass over the records
before the venue opens, so ``SUBSCRIBE`` and REST requests can be validated before the replay reaches a stream's
first frame. It costs about 0.25 s per bundled capture and is cached per file set (path, size, mtime).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from actors.errors import ConfigError
from actors.instruments import Venue
from actors.replay.captures import CaptureRecord, Recording, read_recordings
from actors.replay.protocol import protocol_for

__all__ = ["ReplaySource", "SourceIndex", "shared_origin_ns"]


@dataclass(frozen=True, slots=True)
class SourceIndex:
    """What a recording holds.

    Attributes:
        streams: stream names in order of first appearance.
        symbols: venue symbols (upper case) with a stream or a REST body.
        first_ts, last_ts: recorder times (ns) of the first and last record.
        records: record count; frames: websocket frames with a stream; snapshots: REST depth bodies.
    """

    streams: tuple[str, ...]
    symbols: frozenset[str]
    first_ts: int
    last_ts: int
    records: int
    frames: int
    snapshots: int

    @property
    def duration_ns(self) -> int:
        """Recorder time from the first to the last record."""
        return self.last_ts - self.first_ts


_CACHE: dict[tuple, SourceIndex] = {}


class ReplaySource:
    """The records of one venue's recording, in order.

    Args:
        venue: the recording's venue.
        records: a callable returning a fresh iterator over the records (called once per replay and once to index).
        max_records: serve only the first N records (None: all).
        cache_key: identifies the data for the index cache (None: do not cache).
        name: a human label (file names).
    """

    def __init__(
        self,
        venue: Venue,
        records: Callable[[], Iterable[CaptureRecord]],
        max_records: int | None = None,
        cache_key: tuple | None = None,
        name: str = "",
    ) -> None:
        if max_records is not None and max_records < 1:
            raise ConfigError(f"max_records must be >= 1, got {max_records}")
        self.venue = Venue(venue)
        self._records = records
        self.max_records = max_records
        self._cache_key = None if cache_key is None else (*cache_key, max_records)
        self.name = name
        self._index: SourceIndex | None = None

    @classmethod
    def from_recording(cls, recording: Recording, max_records: int | None = None) -> ReplaySource:
        """Serve a :class:`~actors.replay.captures.Recording`."""
        key = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in recording.paths)
        name = ", ".join(p.name for p in recording.paths)
        return cls(recording.venue, recording.records, max_records, ("files", *key), name)

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path], max_records: int | None = None,
                   venue: Venue | str | None = None) -> ReplaySource:  # fmt: skip
        """Serve the one recording that ``paths`` form (of ``venue``, when the files hold several venues).

        Raises:
            ConfigError: the files form more or fewer than one recording (one venue per server).
            CaptureError / UnknownCaptureFormat: a file cannot be read.
        """
        recordings = read_recordings(paths)
        if venue is not None:
            recordings = [r for r in recordings if r.venue is Venue(venue)]
        if len(recordings) != 1:
            raise ConfigError(f"a replay venue serves one recording; these files form {len(recordings)}")
        return cls.from_recording(recordings[0], max_records)

    @classmethod
    def from_records(cls, venue: Venue | str, records: Sequence[CaptureRecord], name: str = "records") -> ReplaySource:
        """Serve records held in memory (tests)."""
        return cls(Venue(venue), lambda: iter(records), None, None, name)

    def preloaded(self) -> ReplaySource:
        """A copy holding every served record in memory (same venue, name and index)."""
        records = list(self.records())
        source = ReplaySource(self.venue, lambda: iter(records), None, None, self.name)
        source._index = self._index
        return source

    def records(self) -> Iterator[CaptureRecord]:
        """A fresh iterator over the records served."""
        it = iter(self._records())
        return it if self.max_records is None else islice(it, self.max_records)

    def index(self) -> SourceIndex:
        """Scan the records once (cached)."""
        if self._index is None:
            cached = _CACHE.get(self._cache_key) if self._cache_key else None
            self._index = cached or _scan(self.records(), protocol_for(self.venue))
            if self._cache_key and cached is None:
                _CACHE[self._cache_key] = self._index
        return self._index


def _scan(records: Iterator[CaptureRecord], protocol) -> SourceIndex:
    streams: dict[str, None] = {}
    symbols: set[str] = set()
    first = last = None
    count = frames = snapshots = 0
    for rec in records:
        count += 1
        first = rec.ts_recv if first is None else first
        last = rec.ts_recv
        if rec.kind == "ws":
            stream = protocol.stream_of(rec.data)
            if stream is not None:
                frames += 1
                if stream not in streams:
                    streams[stream] = None
                    symbols.add(protocol.stream_symbol(stream))
        elif rec.kind == "rest" and protocol.is_snapshot_body(rec.data):
            snapshots += 1
            if rec.rest_symbol:
                symbols.add(rec.rest_symbol)
    if first is None or last is None:
        raise ConfigError("the recording has no records")
    return SourceIndex(tuple(streams), frozenset(symbols), first, last, count, frames, snapshots)


def shared_origin_ns(sources: Iterable[ReplaySource]) -> int:
    """The earliest first record time of several sources: one ``origin_ns`` that keeps their venues aligned."""
    return min(source.index().first_ts for source in sources)
