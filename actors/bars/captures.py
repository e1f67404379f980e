"""Bars from recorded captures: what ``raytrade bars PATH... --interval 1m`` prints.

Reads every capture format ``raytrade verify`` reads (:func:`actors.replay.captures.read_recordings`: hftbacktest
``.gz``, cryptofeed v1 and v2), parses each websocket frame with the venue's pure parser
(:func:`actors.feed.venues.parser_for`) and aggregates the trades (:mod:`actors.bars.aggregator`) in the order they
were received. Only trades move the bars here (a bar closes when the next interval's first trade arrives), so the
result depends on nothing but the trades: the acceptance test recomputes it with pandas ``resample``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from actors.bars.aggregator import BarBuilder
from actors.bars.bar import Bar, interval_ns
from actors.errors import FeedError
from actors.feed.venues import parser_for
from actors.messages import Trade
from actors.replay.captures import read_recordings

__all__ = ["bars_from_captures", "trades_from_captures"]


def trades_from_captures(paths: Iterable[str | Path], notes: list[str] | None = None) -> Iterable[Trade]:
    """Every trade in the captures, recording by recording, in receive order.

    Args:
        paths: capture files.
        notes: when given, one human note is appended per recording that had frames the parser rejected.

    Raises:
        CaptureError / UnknownCaptureFormat: a file cannot be read or is of no known format.
        ConfigError: a recording's venue has no parser yet.
    """
    for recording in read_recordings(paths):
        parser = parser_for(recording.venue)
        skipped = 0
        for record in recording.records():
            if record.kind != "ws":
                continue
            try:
                events = parser.parse_frame(record.data, record.ts_recv)
            except FeedError:
                skipped += 1
                continue
            for event in events:
                if isinstance(event, Trade):
                    yield event
        if skipped and notes is not None:
            notes.append(f"{', '.join(p.name for p in recording.paths)}: {skipped} frames skipped (not parsed)")


def bars_from_captures(paths: Iterable[str | Path], interval: str) -> tuple[list[Bar], list[str]]:
    """Every bar of every instrument in the captures at ``interval``.

    Returns:
        ``(bars, notes)``: closed bars in closing order, then each instrument's last, still-open bar
        (``closed`` False); and human notes on skipped frames.

    Raises:
        ConfigError: unknown interval, or a venue without a parser.
        CaptureError / UnknownCaptureFormat: as :func:`trades_from_captures`.
    """
    interval_ns(interval)
    notes: list[str] = []
    builder = BarBuilder((interval,))
    bars = builder.on_events(trades_from_captures(paths, notes))
    bars.extend(builder.current())
    if builder.late_trades:
        notes.append(f"{builder.late_trades} trades arrived after their bar had closed and were left out")
    return bars, notes
