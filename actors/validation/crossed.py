"""Crossed or locked book: the **hard** check.

A book whose best bid is at or above its best ask cannot be the venue's book (a venue's matching engine crosses
such orders at once), so it is the sign of a lost or misapplied update even where the venue's protocol has no
sequence to show a gap (Gemini v2, Bitstamp, legacy Coinbase ``level2``: README "Venues"). Locked (bid == ask)
counts too: spot venues match at an equal price. The sequencer (:class:`actors.book.sync.BookSync`) applies it
after every diff and clears the book (``DiffOutcome.CROSSED``); the feed pipeline applies it to every snapshot as
well (a snapshot is not checked by the sequencer). Either way the book is not ready until a new snapshot rebuilt it.
"""

from __future__ import annotations

__all__ = ["crossed_or_locked"]


def crossed_or_locked(best_bid: int | None, best_ask: int | None) -> bool:
    """True when both sides exist and ``best_bid >= best_ask`` (fixed-point prices at one scale)."""
    return best_bid is not None and best_ask is not None and best_bid >= best_ask
