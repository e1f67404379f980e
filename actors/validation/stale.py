"""Stale book (**soft**): no book update for ``stale_book_s`` while the venue's connection is up.

Distinct from the transport's stale-feed reconnect (``actors/feed/transport.py``, ``stale_after_ms``): that one
sees no frame at all on a connection and reconnects; this one sees frames (trades, other instruments' diffs,
heartbeats) but no update of one instrument's book. Only the feed actor knows both the connection state and each
book's last update, so the feed actor runs it (once a second). While disconnected the book is already not ready
(reason ``disconnected`` / ``stale``), so nothing is counted here. Soft: a quiet instrument (an illiquid pair at
night) is a real state; the risk gate's own ``book_stale_after_ms`` keeps orders off an old book.
"""

from __future__ import annotations

__all__ = ["is_stale"]


def is_stale(last_update_ns: int, now_ns: int, stale_book_s: float, connected: bool) -> bool:
    """True when ``connected`` and the last update (ns, wall time; 0 = none yet) is more than ``stale_book_s`` ago.

    A book with no update yet is not judged here (it is not ready: the sequencer waits for its snapshot).
    """
    return connected and last_update_ns > 0 and now_ns - last_update_ns > stale_book_s * 1e9
