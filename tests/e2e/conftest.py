"""End-to-end tests share the session's Ray (see tests/actors/conftest.py)."""

from tests.actors.conftest import ray_session  # noqa: F401
