"""StrategyActor: hosts one pure strategy, feeds it book views, records book-to-subscriber latency. Thin."""

from __future__ import annotations

import time
from collections import deque

from actors.messages import BookView
from actors.metrics import latency_histogram, percentiles_ms
from strategies.base import Strategy

__all__ = ["StrategyActor"]


class StrategyActor:
    """Args: name (actor name), strategy (a pure :class:`~strategies.base.Strategy`)."""

    def __init__(self, name: str, strategy: Strategy) -> None:
        self.name = name
        self.strategy = strategy
        self.intents: deque = deque(maxlen=10_000)
        self._book_to_sub = deque(maxlen=100_000)  # ns, view published -> received
        self._frame_to_sub = deque(maxlen=100_000)  # ns, frame received by the feed -> received here
        self._hist = latency_histogram("raytrade_book_to_subscriber_ms", "Book view published to strategy (ms)")
        self._hist_frame = latency_histogram("raytrade_frame_to_subscriber_ms", "Frame receipt to strategy (ms)")
        self.views = 0

    def on_views(self, views: list[BookView]) -> int:
        """Deliver views to the strategy in order; returns how many were delivered."""
        now = time.time_ns()
        for view in views:
            self._book_to_sub.append(now - view.ts_published)
            if view.ts_recv:
                self._frame_to_sub.append(now - view.ts_recv)
            self.intents.extend(self.strategy.on_book(view, now))
        if self._hist is not None and views:
            self._hist.observe((now - views[0].ts_published) / 1e6)
            if views[0].ts_recv:
                self._hist_frame.observe((now - views[0].ts_recv) / 1e6)
        self.views += len(views)
        return len(views)

    def latency_samples(self) -> dict[str, list[int]]:
        """Latency samples (ns): ``frame_to_subscriber`` and ``book_to_subscriber``, the most recent window."""
        return {"frame_to_subscriber": list(self._frame_to_sub), "book_to_subscriber": list(self._book_to_sub)}

    def instruments(self) -> list[str]:
        """The instruments the strategy needs."""
        return list(self.strategy.instruments())

    def summary(self) -> dict:
        """The strategy's summary plus delivery latency percentiles (ms)."""
        return {"name": self.name, "views": self.views, **self.strategy.summary(),
                "book_to_subscriber_ms": percentiles_ms(sorted(self._book_to_sub)),
                "frame_to_subscriber_ms": percentiles_ms(sorted(self._frame_to_sub))}  # fmt: skip
