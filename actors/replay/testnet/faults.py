"""Test-hook faults of the testnet-mode venue (``POST /testnet/faults``). Pure.

``{"rate_limit": {"count": 3, "status": 429, "retry_after_s": 1, "paths": ["/api/v3/order"],
"methods": ["POST"]}}``: the next ``count`` requests to those paths (default: every Binance route; ``methods``
optional) are answered ``status`` (429 or 418) with Binance's ``-1003`` body and a ``Retry-After`` header, and are
not executed (no order is created). Each is logged: ``{"kind": "rate_limit", "method", "path", "status",
"account", "order_created": false}`` (the account by API key; never the signature or a secret).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.replay.testnet import errors
from actors.replay.testnet.errors import RestError

__all__ = ["RateLimitFault", "TestnetFaults"]


@dataclass
class RateLimitFault:
    count: int
    status: int = 429
    retry_after_s: int = 1
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, spec: dict) -> RateLimitFault:
        """Raises ValueError / TypeError / KeyError on a bad spec."""
        unknown = set(spec) - {"count", "status", "retry_after_s", "paths", "methods"}
        if unknown:
            raise ValueError(f"rate_limit: unknown key(s) {sorted(unknown)}")
        fault = cls(int(spec["count"]), int(spec.get("status", 429)), int(spec.get("retry_after_s", 1)),
                    tuple(spec.get("paths", ())), tuple(m.upper() for m in spec.get("methods", ())))  # fmt: skip
        if fault.count < 0 or fault.status not in (418, 429) or fault.retry_after_s < 0:
            raise ValueError("rate_limit: count >= 0, status 429 or 418, retry_after_s >= 0")
        return fault


@dataclass
class TestnetFaults:
    """The active faults and their log."""

    __test__ = False

    rate_limit: RateLimitFault | None = None
    log: list[dict] = field(default_factory=list)

    def take(self, method: str, path: str, account: str | None, query: str = "") -> tuple[RestError, int] | None:
        """Whether this request is refused by a fault: ``(error, retry_after_s)`` or None."""
        rl = self.rate_limit
        if rl is None or rl.count <= 0:
            return None
        if (rl.paths and path not in rl.paths) or (rl.methods and method not in rl.methods):
            return None
        rl.count -= 1
        coid = next((p.split("=", 1)[1] for p in query.split("&") if p.startswith("newClientOrderId=")), None)
        self.log.append({"kind": "rate_limit", "method": method, "path": path, "status": rl.status,
                         "account": account, "newClientOrderId": coid, "order_created": False})  # fmt: skip
        return errors.rate_limited(rl.status), rl.retry_after_s

    def describe(self) -> dict:
        rl = self.rate_limit
        return {} if rl is None else {"rate_limit": {"count": rl.count, "status": rl.status,
                                                     "retry_after_s": rl.retry_after_s, "paths": list(rl.paths),
                                                     "methods": list(rl.methods)}}  # fmt: skip
