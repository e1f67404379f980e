"""OHLCV bars: the :class:`~actors.bars.bar.Bar` message, pure time-bar aggregation, bars from capture files."""
