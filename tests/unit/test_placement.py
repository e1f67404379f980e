"""Roles go where the cluster's custom resources say, and anywhere when no live node offers them."""

from __future__ import annotations

from actors.placement import ROLE_OF_CLASS, ROLE_RESOURCES, placement_options

THREE_NODES = {"CPU": 6.0, "raytrade_core": 100.0, "raytrade_feed": 100.0, "raytrade_book": 1000.0,
               "raytrade_strategy": 200.0}  # fmt: skip


def test_each_role_asks_for_its_resource_when_the_cluster_offers_it():
    assert placement_options("feed", THREE_NODES) == {"resources": {"raytrade_feed": 1}}
    assert placement_options("book", THREE_NODES) == {"resources": {"raytrade_book": 1}}
    assert placement_options("risk", THREE_NODES) == {"resources": {"raytrade_core": 1}}


def test_strategies_are_spread_over_the_strategy_nodes():
    assert placement_options("strategy", THREE_NODES) == {"resources": {"raytrade_strategy": 1},
                                                          "scheduling_strategy": "SPREAD"}


def test_a_single_node_without_the_resources_places_anywhere():
    laptop = {"CPU": 2.0, "memory": 1e9}
    assert all(placement_options(role, laptop) == {} for role in ROLE_RESOURCES)


def test_losing_every_strategy_node_sends_restarted_strategies_anywhere():
    after = {k: v for k, v in THREE_NODES.items() if k != "raytrade_strategy"}
    assert placement_options("strategy", after) == {}
    assert placement_options("feed", after) == {"resources": {"raytrade_feed": 1}}


def test_every_actor_class_has_a_role_with_a_resource():
    assert set(ROLE_OF_CLASS.values()) <= set(ROLE_RESOURCES)
    assert placement_options("api", THREE_NODES) == {} and placement_options(None, THREE_NODES) == {}


def _node(node_id: str, alive: bool = True, **resources: float) -> dict:
    return {"NodeID": node_id, "Alive": alive, "Resources": {"CPU": 2.0, **resources}}


def test_a_replacement_goes_to_another_live_node_offering_the_role():
    from actors.placement import replacement_node

    nodes = [_node("a", raytrade_strategy=100), _node("b", raytrade_strategy=100), _node("c", raytrade_feed=100)]
    assert replacement_node({"raytrade_strategy": 1}, "a", nodes) == "b"
    # the GCS still counts the lost node alive: it is avoided anyway; a dead node is never chosen
    assert replacement_node({"raytrade_strategy": 1}, "b", [_node("a", alive=False, raytrade_strategy=100),
                                                            *nodes[1:]]) is None  # fmt: skip
    # the most of the resource wins, ties by node id
    more = [*nodes, _node("d", raytrade_strategy=200)]
    assert replacement_node({"raytrade_strategy": 1}, "a", more) == "d"


def test_no_replacement_node_without_custom_resources_or_a_known_lost_node():
    from actors.placement import replacement_node

    nodes = [_node("a", raytrade_strategy=100), _node("b", raytrade_strategy=100)]
    assert replacement_node(None, "a", nodes) is None  # a single machine: anywhere
    assert replacement_node({"CPU": 1}, "a", nodes) is None
    assert replacement_node({"raytrade_strategy": 1}, None, nodes) is None
    assert replacement_node({"raytrade_strategy": 1}, "a", nodes[:1]) is None  # the only strategy node
