"""The metrics export port is fixed and configurable, and a taken one is refused in one line before Ray starts."""

from __future__ import annotations

import socket

import pytest

from actors.errors import ConfigError
from cluster.config import load_config
from cluster.run import _check_metrics_port


def test_metrics_port_defaults_to_8080_and_is_configurable(monkeypatch):
    monkeypatch.delenv("RAYTRADE_RAY__METRICS_EXPORT_PORT", raising=False)
    assert load_config().ray.metrics_export_port == 8080
    assert load_config(ray__metrics_export_port=9101).ray.metrics_export_port == 9101
    monkeypatch.setenv("RAYTRADE_RAY__METRICS_EXPORT_PORT", "9102")
    assert load_config().ray.metrics_export_port == 9102
    with pytest.raises(ConfigError):
        load_config(ray__metrics_export_port=70000)


def test_a_taken_metrics_port_is_one_clear_error(monkeypatch):
    import ray

    # the check is for a run that starts its own Ray: in a session where an earlier test started Ray (the e2e
    # tests' shared one), say this process has none
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"metrics export port {port} is not free"):
            _check_metrics_port(load_config(ray__metrics_export_port=port))
        # joining a cluster: its nodes own their metrics port, nothing to check here
        _check_metrics_port(load_config(ray__metrics_export_port=port, ray__address="auto"))
