"""Unit tests are Ray-free: this guard fails any unit test that starts Ray."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import ray
    except ImportError:  # pragma: no cover
        return

    def forbidden(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not start Ray: move the test to tests/actors")

    was_running = ray.is_initialized()  # another suite's session Ray may be up; a unit test must not start one
    monkeypatch.setattr(ray, "init", forbidden)
    yield
    assert ray.is_initialized() == was_running, "a unit test started Ray"
