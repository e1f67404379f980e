"""Where the supervisor keeps what it must not lose when its own process dies.

The supervisor is restartable (Ray ``max_restarts=-1``, or the run's driver starting a new one under the same
name when it was killed for good). A new incarnation rebuilds itself from two sources: this registry (what was
supervised and how to start it: the :class:`~actors.supervision.supervisor.ActorSpec` of every actor, the
subscriptions, restart counts, checkpoints, the event log) and the live actors themselves, which are detached and
outlive the supervisor (looked up by name; a feed's ``run()`` is awaited again).

:class:`GcsRegistry` keeps one pickled record per run in the Ray GCS key-value store (``ray.experimental.internal_kv``:
the store Ray Serve's own controller checkpoints to for the same reason). It lives as long as the Ray cluster; the
record is keyed by the run id, so a later run never recovers an earlier run's actors, and ``clear()`` at teardown
removes it. :class:`MemoryRegistry` is the same contract in a dict, for unit tests.

Errors: :meth:`save` lets the store's exception through (the caller logs it and keeps supervising: a lost
checkpoint costs only recovery after a *later* supervisor death); :meth:`load` returns None for no record.
"""

from __future__ import annotations

import pickle
from typing import Any, Protocol

__all__ = ["GcsRegistry", "MemoryRegistry", "Registry"]


class Registry(Protocol):
    """One record per run: ``save(state)`` replaces it, ``load()`` returns it (or None), ``clear()`` removes it."""

    def save(self, state: dict) -> None: ...

    def load(self) -> dict | None: ...

    def clear(self) -> None: ...


class MemoryRegistry:
    """The registry contract in memory; the record goes through pickle, so anything unpicklable fails as in GCS."""

    def __init__(self) -> None:
        self.blob: bytes | None = None
        self.saves = 0

    def save(self, state: dict) -> None:
        self.blob = pickle.dumps(state)
        self.saves += 1

    def load(self) -> dict | None:
        return None if self.blob is None else pickle.loads(self.blob)

    def clear(self) -> None:
        self.blob = None


class GcsRegistry:
    """The record in the Ray GCS key-value store, under ``raytrade:supervisor:<run_key>`` in namespace ``raytrade``.

    Args:
        run_key: unique per run (``<prefix><run_id>``).

    Values are pickled with ``ray.cloudpickle`` (actor specs hold classes and, possibly, actor handles).
    """

    NAMESPACE = "raytrade"

    def __init__(self, run_key: str) -> None:
        self.key = f"raytrade:supervisor:{run_key}".encode()

    def save(self, state: dict) -> None:
        from ray import cloudpickle
        from ray.experimental import internal_kv

        internal_kv._internal_kv_put(self.key, cloudpickle.dumps(state), overwrite=True, namespace=self.NAMESPACE)

    def load(self) -> dict | None:
        from ray import cloudpickle
        from ray.experimental import internal_kv

        blob: Any = internal_kv._internal_kv_get(self.key, namespace=self.NAMESPACE)
        return None if blob is None else cloudpickle.loads(blob)

    def clear(self) -> None:
        from ray.experimental import internal_kv

        internal_kv._internal_kv_del(self.key, namespace=self.NAMESPACE)
