"""The one place plain actor classes become Ray actors (``ray.remote`` is called nowhere else).

Actor classes in ``actors/`` are plain Python classes that take their collaborators (handles, clock, spawner) as
constructor arguments, so unit tests build them directly with fakes. The runtime makes them remote here:

    handle = spawn(BookActor, name="book:BTCUSDT.BINANCE", namespace="raytrade")(name, ids)

:class:`RaySpawner` is the production spawner handed to the supervisor and the topology; tests pass their own
object with the same ``spawn`` / ``kill`` / ``lookup`` methods. It places every role by the cluster's custom
resources (``actors/placement.py``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["RaySpawner", "actor_nodes", "remote_class"]

DEFAULT_OPTIONS = {"num_cpus": 0}


@cache
def remote_class(cls: type) -> Any:
    """``ray.remote(cls)``, made once per class (Ray actor classes are cached, options are per spawn)."""
    import ray

    return ray.remote(cls)


class RaySpawner:
    """Creates, finds and kills named actors in one namespace.

    Args:
        namespace: the run's Ray namespace.
        lifetime: ``"detached"`` (the run's actors outlive a crashed driver; teardown removes them) or None.
    """

    def __init__(self, namespace: str = "raytrade", lifetime: str | None = "detached") -> None:
        self.namespace = namespace
        self.lifetime = lifetime

    def spawn(self, cls: type, name: str, *args: Any, options: dict | None = None, avoid_node: str | None = None,
              **kwargs: Any) -> Any:  # fmt: skip
        """Start ``cls(*args, **kwargs)`` as the actor ``name``; returns its handle.

        ``avoid_node``: hex id of the node a dead incarnation ran on; the new one is placed (soft node affinity) on
        another live node offering the same custom resources when there is one
        (:func:`actors.placement.replacement_node`), else as usual.

        Raises:
            ValueError: an actor of that name is still alive (Ray releases a dead actor's name asynchronously).
        """
        opts = {**DEFAULT_OPTIONS, **self.placement(cls), "name": name, "namespace": self.namespace,
                **(options or {})}
        if self.lifetime:
            opts.setdefault("lifetime", self.lifetime)
        if avoid_node is not None:
            opts.update(_elsewhere(opts.get("resources"), avoid_node))
        return remote_class(cls).options(**opts).remote(*args, **kwargs)

    def node_of(self, handle: Any) -> str | None:
        """Hex id of the node ``handle``'s actor runs or last ran on (the GCS actor table), or None."""
        from ray._private.state import state

        try:
            info = state.actor_table(handle._actor_id.hex())
        except Exception:  # noqa: BLE001 - the GCS is briefly unreachable, or no such actor
            return None
        return ((info or {}).get("Address") or {}).get("NodeID") or None

    def placement(self, cls: type) -> dict:
        """Custom-resource options for ``cls``'s role (:func:`actors.placement.placement_options`), from the live
        cluster's resources at spawn time: a restart after a node loss goes where the role's resource still is,
        or anywhere when no live node offers it. Explicit ``options`` given to :meth:`spawn` win."""
        import ray

        from actors.placement import ROLE_OF_CLASS, placement_options

        role = ROLE_OF_CLASS.get(cls.__name__)
        if role is None or not ray.is_initialized():
            return {}
        try:
            return placement_options(role, ray.cluster_resources())
        except Exception:  # noqa: BLE001 - the GCS is briefly unreachable: place anywhere rather than fail
            return {}

    def lookup(self, name: str) -> Any:
        """The handle of the live actor ``name``. Raises ValueError when there is none."""
        import ray

        return ray.get_actor(name, namespace=self.namespace)

    def kill(self, handle: Any) -> None:
        """Kill an actor without restart; a dead or unknown handle is ignored."""
        import ray

        try:
            ray.kill(handle, no_restart=True)
        except Exception:  # noqa: BLE001 - already dead
            pass


def _elsewhere(resources: dict | None, avoid_node: str) -> dict:
    """``scheduling_strategy`` options that keep a replacement off ``avoid_node``, or {}."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from actors.placement import replacement_node

    try:
        node = replacement_node(resources, avoid_node, ray.nodes())
    except Exception:  # noqa: BLE001 - the GCS is briefly unreachable: place as usual
        return {}
    return {} if node is None else {"scheduling_strategy": NodeAffinitySchedulingStrategy(node, soft=True)}


def actor_nodes(prefix: str, namespace: str) -> dict[str, dict]:
    """Where each live actor named ``<prefix>...`` in ``namespace`` runs: ``{name: {"node_id", "node_ip", "pid"}}``.

    Read from the GCS actor table (``ray._private.state``, what ``ray list actors`` shows, without needing the
    dashboard). An actor restarted elsewhere shows its new node; dead incarnations are left out. The table has
    no namespaces, so the run's names come from ``list_named_actors`` (an actor of the same name in another
    namespace would be listed too).
    """
    from ray._private.state import state
    from ray.util import list_named_actors

    names = {e["name"] for e in list_named_actors(all_namespaces=True)
             if e["namespace"] == namespace and e["name"].startswith(prefix)}  # fmt: skip
    out: dict[str, dict] = {}
    for info in state.actor_table(None).values():
        name = info.get("Name") or ""
        if name in names and info.get("State") == "ALIVE":
            address = info.get("Address") or {}
            out[name] = {"node_id": address.get("NodeID"), "node_ip": address.get("IPAddress"), "pid": info.get("Pid")}
    return out
