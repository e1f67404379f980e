"""Actor names by role (issue 13: the Ray dashboard shows what each actor is)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.naming import actor_name, parse_actor_name
from cluster.config import load_config
from cluster.topology import Topology


def test_names_are_role_colon_ident_and_single_actors_are_their_role():
    assert actor_name("feed", "binance-spot") == "feed:binance-spot"
    assert actor_name("book", "BTCUSDT.BINANCE") == "book:BTCUSDT.BINANCE"
    assert actor_name("strategy", "mm-1") == "strategy:mm-1"
    assert actor_name("risk") == "risk" and actor_name("supervisor", "") == "supervisor"
    assert actor_name("strategy", "mm-1", prefix="run2/") == "run2/strategy:mm-1"


def test_the_run_names_its_actors_by_role_by_default():
    topo = Topology(load_config())
    assert [topo.name("feed", "binance-spot"), topo.name("strategy", "mm-1"), topo.name("risk")] == [
        "feed:binance-spot", "strategy:mm-1", "risk"]  # fmt: skip


@given(role=st.text(min_size=1).filter(lambda r: ":" not in r), ident=st.text(), prefix=st.text())
def test_a_name_parses_back_to_its_role_and_ident(role, ident, prefix):
    assert parse_actor_name(actor_name(role, ident, prefix), prefix) == (role, ident)


def test_bad_roles_and_foreign_names_are_value_errors():
    with pytest.raises(ValueError, match="bad actor role"):
        actor_name("feed:x", "y")
    with pytest.raises(ValueError, match="bad actor role"):
        actor_name("")
    with pytest.raises(ValueError, match="prefix"):
        parse_actor_name("strategy:mm-1", prefix="other-")
    with pytest.raises(ValueError, match="no role"):
        parse_actor_name(":mm-1")
