"""Loopback fakes of the market-data providers (Polygon.io, Alpha Vantage), serving documentation-built fixtures.

They are not replays of recordings: every body under ``fixtures/`` is built from the provider's documented example
responses (see the README beside them), so the real clients can be tested over real sockets.
"""
