"""End-to-end fixtures: the session's throwaway PostgreSQL server (from the integration suite's conftest)."""

from tests.integration.conftest import pg_dsn, pg_server  # noqa: F401 - fixtures, registered by import
