"""The `ray up` configs pass Ray's own cluster-config validation and say what the operator docs promise."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from actors.placement import ROLE_RESOURCES
from tests.conftest import ROOT

CONFIGS = sorted((ROOT / "cluster" / "ray-up").glob("*.yaml"))


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _start_commands(cfg: dict) -> list[str]:
    return [*cfg["head_start_ray_commands"], *cfg["worker_start_ray_commands"]]


def test_there_is_an_onprem_and_a_cloud_config():
    assert {p.name for p in CONFIGS} >= {"onprem.yaml", "aws.yaml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_passes_rays_validator(path):
    from ray.autoscaler._private.util import prepare_config, validate_config

    prepared = prepare_config(copy.deepcopy(_load(path)))  # what `ray up` does before it validates
    validate_config(prepared)  # raises jsonschema.ValidationError / ValueError on a bad config


def test_validator_refuses_a_broken_config():
    """The check above can fail: an unknown top-level key is refused by Ray's schema."""
    import jsonschema
    from ray.autoscaler._private.util import prepare_config, validate_config

    broken = _load(ROOT / "cluster" / "ray-up" / "aws.yaml")
    broken["head_start_commands"] = ["ray start --head"]  # a typo of head_start_ray_commands
    with pytest.raises(jsonschema.ValidationError):
        validate_config(prepare_config(broken))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_node_starts_ray_with_token_auth_and_the_fixed_metrics_port(path):
    cfg = _load(path)
    ray_starts = [c for c in _start_commands(cfg) if "ray start" in c]
    assert len(ray_starts) == 2
    for cmd in ray_starts:
        assert "RAY_AUTH_MODE=token" in cmd and "--metrics-export-port=8080" in cmd
    head = next(c for c in ray_starts if "--head" in c)
    assert "--dashboard-host=0.0.0.0" in head and "--dashboard-port=8265" in head
    # the locked dependencies and raytrade itself are installed on every node
    assert any("scripts/setup.sh" in c for c in cfg["setup_commands"])
    assert cfg["file_mounts"]["~/raytrade"] == "."


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_the_token_comes_from_the_operators_token_file_never_from_the_yaml(path):
    cfg = _load(path)
    text = path.read_text()
    assert cfg["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    assert not re.search(r"RAY_AUTH_TOKEN\s*=", text)
    token_file = Path.home() / ".ray" / "auth_token"
    if token_file.is_file() and token_file.read_text().strip():
        assert token_file.read_text().strip() not in text


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_nodes_offer_every_raytrade_role_resource(path):
    cfg = _load(path)
    offered: set[str] = set()
    if "available_node_types" in cfg:
        for node in cfg["available_node_types"].values():
            offered |= set(node["resources"])
    for cmd in _start_commands(cfg):
        match = re.search(r"--resources='(\{.*?\})'", cmd)
        if match:
            offered |= set(json.loads(match.group(1)))
    assert set(ROLE_RESOURCES.values()) <= offered
