"""Sequence policies shared by several venues (the :class:`~actors.feed.venues.base.SequencePolicy` protocol), and
small helpers the Coinbase, Kraken, Gemini, Bitstamp and Backpack adapters share.

Each policy states which venue rule it is and what it can and cannot detect; the venue modules pick one and
cite their documentation:

* :class:`InOrderStreamPolicy` — the venue sends the snapshot on the stream and its diffs carry no usable
  sequence (Kraken WS v1, Gemini v2 ``l2``, the legacy Coinbase ``level2``); their parsers put the local receive
  time in ``sequence``. A diff received before the snapshot (buffered while resubscribing) is older than it and
  dropped; every later diff is applied in arrival order, nothing is a gap. A lost diff is invisible unless a
  checksum (Kraken) or a crossed book reveals it.
* :class:`IncreasingStreamPolicy` — stream snapshots; diffs carry a strictly increasing number that is *not*
  contiguous per book (Coinbase Advanced Trade ``sequence_num`` counts every channel of the connection): a diff not
  newer than the snapshot is stale, an older one than the book's last is a late duplicate; continuity is checked on
  the connection (``connection_continues``). (The legacy Coinbase feed has no sequence: its parser puts the receive
  time in ``sequence``, which these rules order the same way.)
* :class:`NewerThanSnapshotPolicy` — REST snapshot; diffs carry a time, not an id (Bitstamp ``microtimestamp``):
  drop diffs not after the snapshot, apply the rest in order; gaps are undetectable.
* :class:`FirstLastIdPolicy` — REST snapshot with ``lastUpdateId`` = L and diffs with first/last ids ``U``/``u``
  (Backpack "Depth", the Binance-spot procedure): drop ``u <= L``, the first diff needs ``U <= L + 1 <= u``, every
  later one ``U == previous u + 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from actors.feed.venues.base import SNAPSHOT_REST, SNAPSHOT_STREAM, Verdict
from actors.messages import BookDeltas

__all__ = [
    "FirstLastIdPolicy",
    "InOrderStreamPolicy",
    "IncreasingStreamPolicy",
    "NewerThanSnapshotPolicy",
    "decimals_of",
    "join_ws",
    "market_decimal",
]


class InOrderStreamPolicy:
    """Stream snapshots, no sequence: apply every diff in order (see the module docstring)."""

    name = "in_order_stream"
    snapshot_source = SNAPSHOT_STREAM
    has_checksum = False
    may_reset = False

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        return Verdict.STALE if diff.sequence < snapshot_sequence else Verdict.APPLY

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        return Verdict.APPLY

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence, diff.sequence

    def resets(self, diff: BookDeltas) -> bool:
        return False

    def checksum_ok(self, book: Any, checksum: int) -> bool:
        return True


class IncreasingStreamPolicy(InOrderStreamPolicy):
    """Stream snapshots; a diff not after the snapshot, or before the book's last diff, is stale."""

    name = "increasing_stream"

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        return Verdict.STALE if diff.sequence <= snapshot_sequence else Verdict.APPLY

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        return Verdict.STALE if diff.sequence < last_sequence else Verdict.APPLY


class NewerThanSnapshotPolicy(InOrderStreamPolicy):
    """REST snapshot at time T: diffs at ``<= T`` are stale (already in it), later ones apply in order."""

    name = "newer_than_snapshot"
    snapshot_source = SNAPSHOT_REST

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        return Verdict.STALE if diff.sequence <= snapshot_sequence else Verdict.APPLY

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        return Verdict.STALE if diff.sequence < last_sequence else Verdict.APPLY


class FirstLastIdPolicy(InOrderStreamPolicy):
    """REST ``lastUpdateId`` and diffs with ``U``/``u`` (see the module docstring)."""

    name = "first_last_id"
    snapshot_source = SNAPSHOT_REST

    def first_diff(self, diff: BookDeltas, snapshot_sequence: int) -> Verdict:
        if diff.sequence <= snapshot_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.first_sequence <= snapshot_sequence + 1 else Verdict.GAP

    def next_diff(self, diff: BookDeltas, last_sequence: int) -> Verdict:
        if diff.sequence <= last_sequence:
            return Verdict.STALE
        return Verdict.APPLY if diff.first_sequence == last_sequence + 1 else Verdict.GAP

    def gap_values(self, diff: BookDeltas, last_sequence: int) -> tuple[int, int]:
        return last_sequence + 1, diff.first_sequence


def join_ws(base: str, path: str = "") -> str:
    """``ws_base`` (``ws://127.0.0.1:9000``) + the venue's path (``/v2/marketdata``)."""
    return base.rstrip("/") + path


def market_decimal(market: Mapping[str, Any], key: str) -> Decimal | None:
    """ccxt ``market["precision"][key]`` as an exact Decimal (a tick size in ccxt's TICK_SIZE mode), or None."""
    value = (market.get("precision") or {}).get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result > 0 else None


def decimals_of(step: Decimal) -> int:
    """Decimal places of a tick/lot size: ``Decimal("0.01")`` -> 2, ``Decimal("1e-8")`` -> 8, ``Decimal("5")`` -> 0."""
    return max(0, -step.normalize().as_tuple().exponent)
