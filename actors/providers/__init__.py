"""Market-data providers beside the exchanges: Polygon.io (REST + WebSocket) and Alpha Vantage (REST).

Pure parsing lives with the venue modules (``actors/feed/venues/polygon.py``, ``alphavantage.py``); this package
holds the network clients (``http.py`` the shared REST plumbing over httpx, ``polygon_rest.py``,
``polygon_stream.py`` over the shared websocket transport, ``alphavantage.py``) and the provider feed actor.
"""
