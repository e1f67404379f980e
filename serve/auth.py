"""Bearer-token auth for state-changing endpoints.

The server keeps only the SHA-256 digest of the token (``RAYTRADE_API_TOKEN``), never the token itself, so the
token cannot leak through logs, tracebacks, the Ray dashboard or a pickled deployment. Comparison is constant
time. With no token configured, every state-changing request is refused (401): safe by default.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, status

__all__ = ["TokenCheck", "token_digest"]


def token_digest(token: str) -> str:
    """Hex SHA-256 of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCheck:
    """FastAPI dependency: require ``Authorization: Bearer <token>`` matching ``digest``.

    Raises:
        HTTPException 401: missing, malformed or wrong token, or no token configured on the server.
    """

    def __init__(self, digest: str | None) -> None:
        self.digest = digest

    def __call__(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if self.digest is None:
            raise _unauthorized("no API token is configured on the server (set RAYTRADE_API_TOKEN)")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("missing bearer token")
        if not hmac.compare_digest(token_digest(token.strip()), self.digest):
            raise _unauthorized("invalid bearer token")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})
