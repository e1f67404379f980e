"""The market-data checks over a recorded capture, offline, as the feeds would run them.

:func:`validate_recording` runs every record of one :class:`~actors.replay.captures.Recording` through one
:class:`~actors.feed.pipeline.FeedPipeline` per recorded connection (a venue's per-connection sequence, Coinbase
``sequence_num``, restarts on each connection), with the validation settings given, and returns the validator's
counts per instrument. The instruments are the ones the recording shows (a first pass of
:class:`~actors.replay.rebuild.BookRebuilder`, the same specs ``raytrade verify`` uses). REST depth bodies go to
the instrument named by their URL, else to the recording's only instrument. Offline nothing answers a resubscribe,
so a stream-snapshot book that needed one stays not ready (and unchecked) until the recording sends a snapshot.
The stale check needs a live connection and is not run here.
"""

from __future__ import annotations

from actors.feed.pipeline import FeedPipeline
from actors.instruments import split_instrument_id
from actors.replay.captures import Recording
from actors.replay.rebuild import BookRebuilder
from actors.validation.config import ValidationSettings

__all__ = ["validate_recording"]


def validate_recording(recording: Recording, settings: ValidationSettings | None = None) -> dict:
    """Run the checks over a recording.

    Returns:
        ``{"instruments": {iid: {check: n}}, "hard_failures", "soft_failures", "alerts", "examples": [rows]}``:
        counts summed over the recording's connections; ``examples`` holds the first alert rows (at most 50).

    Raises:
        CaptureError: the recording cannot be read. ConfigError: no adapter for its venue.
    """
    settings = settings or ValidationSettings()
    rebuilder = BookRebuilder(recording.venue).feed_all(recording.records())
    specs = [rebuilder.parser.instrument_spec(split_instrument_id(iid)[0]) for iid in rebuilder.syncs]
    if not specs:
        return {"instruments": {}, "hard_failures": 0, "soft_failures": 0, "alerts": 0, "examples": []}
    pipelines: dict[str, FeedPipeline] = {}
    examples: list[dict] = []
    for rec in recording.records():
        if rec.kind not in ("ws", "rest"):
            continue
        key = rec.conn if rec.kind == "ws" else "rest"
        if rec.kind == "rest":
            if not rec.data.startswith(b'{"lastUpdateId"'):
                continue
            symbol = rec.rest_symbol or (specs[0].symbol if len(specs) == 1 else "")
            for pipeline in pipelines.values() or [None]:
                if pipeline is None:
                    break
                try:
                    snapshot = pipeline.parser.parse_snapshot(rec.data, symbol, rec.ts_recv)
                except Exception:  # noqa: BLE001 - an error body or another venue's: rebuild skips it too
                    break
                if snapshot.instrument_id in pipeline.syncs:
                    pipeline.on_snapshot(snapshot)
            continue
        pipeline = pipelines.get(key)
        if pipeline is None:
            pipeline = pipelines[key] = FeedPipeline(recording.venue, specs, validation=settings)
        pipeline.on_frame(rec.data, rec.ts_recv)
        pipeline.drain()
        if len(examples) < 50:
            examples.extend(pipeline.validator.alerts.drain()[: 50 - len(examples)])
    total: dict[str, dict[str, int]] = {}
    alerts = 0
    for pipeline in pipelines.values():
        stats = pipeline.validator.stats()
        alerts += stats["alerts"]
        for iid, counts in stats["instruments"].items():
            acc = total.setdefault(iid, dict.fromkeys(counts, 0))
            for check, n in counts.items():
                acc[check] += n
    from actors.validation.validator import HARD_CHECKS

    hard = sum(n for c in total.values() for k, n in c.items() if k in HARD_CHECKS)
    soft = sum(n for c in total.values() for k, n in c.items() if k not in HARD_CHECKS)
    return {"instruments": total, "hard_failures": hard, "soft_failures": soft, "alerts": alerts, "examples": examples}
