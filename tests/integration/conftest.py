"""A throwaway PostgreSQL server for the store tests: ``initdb`` + ``pg_ctl`` on a temp dir and a free port.

The server lives for the session and is removed afterwards. PostgreSQL refuses to run as root, so as root (CI)
every server command runs as the ``postgres`` user (``runuser -u postgres --``) on a temp dir it owns; as any
other user it runs as that user. Binaries are found on ``PATH`` or in ``/usr/lib/postgresql/<version>/bin``
(Debian); ``.ci/run`` installs them. Authentication is SCRAM with a password, so tests can check that errors
never show it. Each test gets its own database (``pg_dsn``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_USER = "raytrade"
PG_PASSWORD = "s3cret-Pa55"


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A running test server: ``dsn(dbname)``, ``stop()`` (really ``pg_ctl stop``), ``start()``, ``createdb()``."""

    def __init__(self, bindir: Path, root: Path, port: int, run_as: list[str]) -> None:
        self.bindir, self.root, self.port, self.run_as = bindir, root, port, run_as
        self.data = root / "data"
        self.log = root / "server.log"

    def _run(self, *args: str) -> None:
        cmd = [*self.run_as, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stdout}{proc.stderr}\n{log}")

    def init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PG_PASSWORD)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", PG_USER, "--pwfile", str(pwfile),
                  "--auth", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        pwfile.unlink()

    def start(self, durable: bool = False) -> None:
        """Start the server; ``durable=False`` (tests) turns fsync off, benchmarks keep PostgreSQL's defaults."""
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        opts += "" if durable else " -c fsync=off -c full_page_writes=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w",
                  "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def dsn(self, dbname: str = "postgres", password: str = PG_PASSWORD) -> str:
        return f"host=127.0.0.1 port={self.port} user={PG_USER} password={password} dbname={dbname}"

    def createdb(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server; skips only when no PostgreSQL binaries are installed."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="raytrade-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    root.chmod(0o700)
    server = PgServer(bindir, root, _free_port(), run_as)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """A DSN to a fresh, empty database on the session server."""
    return pg_server.dsn(pg_server.createdb())
