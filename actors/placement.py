"""Where each raytrade role runs: Ray custom resources when the cluster offers them, anywhere otherwise (pure).

A cluster says which node hosts which roles by the custom resources its nodes start with
(``ray start --resources='{"raytrade_strategy": 100}'``, or a node type's ``resources`` in a ``ray up`` YAML;
``cluster/ray-up/``). Each actor asks for one unit of its role's resource; strategies are also spread over the
nodes that offer theirs (Ray's ``SPREAD`` scheduling strategy), so N strategy instances land on different
strategy nodes. When no live node offers a role's resource (a single machine, or every strategy node lost), the
actor asks for nothing and goes anywhere, so one laptop runs the same code.

A replacement for an actor whose incarnation died goes to another node offering the same resources when there is
one (:func:`replacement_node`): after a node loss the GCS still counts the lost node as alive until its health
checks fail (Ray's ``health_check_period_ms`` x ``health_check_failure_threshold``, about 15 s by default), and a
replacement placed there dies with it.

Source: Ray docs, "Resources" (custom resources, ``ray start --resources``) and "Scheduling" (``SPREAD``,
``NodeAffinitySchedulingStrategy`` with ``soft=True``: that node if it can, anywhere feasible otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["ROLE_OF_CLASS", "ROLE_RESOURCES", "placement_options", "replacement_node"]

ROLE_RESOURCES: dict[str, str] = {
    "feed": "raytrade_feed",
    "replay": "raytrade_feed",  # the loopback replay venues sit beside the feeds that read them
    "book": "raytrade_book",
    "strategy": "raytrade_strategy",
    "risk": "raytrade_core",
    "execution": "raytrade_core",
    "recorder": "raytrade_core",
    "supervisor": "raytrade_core",
}

# The plain actor classes by name (actors/remote.py places by class; it never imports them all).
ROLE_OF_CLASS: dict[str, str] = {
    "FeedActor": "feed",
    "ReplayVenue": "replay",
    "BookActor": "book",
    "StrategyActor": "strategy",
    "RiskActor": "risk",
    "ExecutionActor": "execution",
    "RecorderActor": "recorder",
    "Supervisor": "supervisor",
}

SPREAD_ROLES = frozenset({"strategy"})


def placement_options(role: str | None, cluster_resources: Mapping[str, float]) -> dict:
    """Ray actor options that place ``role`` by its custom resource.

    Args:
        role: a key of :data:`ROLE_RESOURCES` (anything else: no placement).
        cluster_resources: the live cluster's total resources (``ray.cluster_resources()``).

    Returns:
        ``{"resources": {"raytrade_<role>": 1}}`` (plus ``"scheduling_strategy": "SPREAD"`` for strategies) when
        some live node offers the resource, else ``{}`` (anywhere).
    """
    resource = ROLE_RESOURCES.get(role or "")
    if resource is None or cluster_resources.get(resource, 0) < 1:
        return {}
    options: dict = {"resources": {resource: 1}}
    if role in SPREAD_ROLES:
        options["scheduling_strategy"] = "SPREAD"
    return options


def replacement_node(resources: Mapping[str, float] | None, avoid_node_id: str | None,
                     nodes: Sequence[Mapping]) -> str | None:  # fmt: skip
    """The node a replacement should go to: a live node other than ``avoid_node_id`` offering every requested
    custom resource, the one offering most of them (ties: the lowest node id), or None (place as usual).

    Args:
        resources: the actor's ``resources`` option (``{"raytrade_strategy": 1}``); None or empty: None (an actor
            that asks for no custom resource goes anywhere, as on a single machine).
        avoid_node_id: hex node id the dead incarnation ran on; None: None.
        nodes: ``ray.nodes()`` entries (``NodeID``, ``Alive``, ``Resources`` totals).
    """
    wanted = {k: v for k, v in (resources or {}).items() if k.startswith("raytrade_")}
    if not wanted or avoid_node_id is None:
        return None
    candidates = [n for n in nodes if n.get("Alive") and n.get("NodeID") != avoid_node_id
                  and all(n.get("Resources", {}).get(k, 0) >= v for k, v in wanted.items())]  # fmt: skip
    if not candidates:
        return None
    best = min(candidates, key=lambda n: (-sum(n["Resources"].get(k, 0) for k in wanted), n["NodeID"]))
    return best["NodeID"]
