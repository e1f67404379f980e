"""Where each raytrade role runs: Ray custom resources when the cluster offers them, anywhere otherwise (pure).

A cluster says which node hosts which roles by the custom resources its nodes start with
(``ray start --resources='{"raytrade_strategy": 100}'``, or a node type's ``resources`` in a ``ray up`` YAML;
``cluster/ray-up/``). Each actor asks for one unit of its role's resource; strategies are also spread over the
nodes that offer theirs (Ray's ``SPREAD`` scheduling strategy), so N strategy instances land on different
strategy nodes. When no live node offers a role's resource (a single machine, or every strategy node lost), the
actor asks for nothing and goes anywhere, so one laptop runs the same code.

Source: Ray docs, "Resources" (custom resources, ``ray start --resources``) and "Scheduling" (``SPREAD``).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ROLE_OF_CLASS", "ROLE_RESOURCES", "placement_options"]

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
