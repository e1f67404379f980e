"""``raytrade verify``: rebuild every book found in capture files and report one JSON object per instrument."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from actors.replay.captures import read_recordings
from actors.replay.rebuild import BookRebuilder

__all__ = ["verify_paths"]


def verify_paths(paths: Iterable[str | Path]) -> tuple[list[dict], list[str]]:
    """Rebuild the books of every recording in ``paths``.

    Returns:
        ``(results, notes)``: one dict per instrument (keys :data:`actors.replay.rebuild.VERIFY_KEYS`), and
        one human note per recording that had malformed or unsupported frames.

    Raises:
        CaptureError / UnknownCaptureFormat: a file cannot be read or is of no known format.
        ConfigError: a recording's venue has no parser yet.
    """
    results, notes = [], []
    for recording in read_recordings(paths):
        rebuilder = BookRebuilder(recording.venue).feed_all(recording.records())
        results.extend(rebuilder.results())
        if rebuilder.malformed or rebuilder.unsupported:
            names = ", ".join(p.name for p in recording.paths)
            notes.append(
                f"{names}: {rebuilder.malformed} malformed and {rebuilder.unsupported} unsupported frames skipped"
                + (f" (last: {rebuilder.last_error})" if rebuilder.last_error else "")
            )
    return results, notes
