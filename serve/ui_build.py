"""Which sources the committed dashboard bundle (``serve/ui/static``) was built from: a SHA-256 over the front-end
sources, the lock file and the build configuration, written by ``scripts/build_ui.sh`` next to the bundle and
checked by ``tests/unit/test_ui_build.py`` (so a source edit without a rebuild fails CI, without npm in CI)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["DIGEST_FILE", "UI_ROOT", "source_digest", "source_files"]

UI_ROOT = Path(__file__).parent / "ui"
DIGEST_FILE = UI_ROOT / "static" / ".source-sha256"
_TOP = ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")


def source_files() -> list[Path]:
    """Every file the bundle depends on, in a stable order (``src/`` recursively, then the build files)."""
    src = sorted(p for p in (UI_ROOT / "src").rglob("*") if p.is_file())
    return src + [UI_ROOT / name for name in _TOP]


def source_digest() -> str:
    """Hex SHA-256 over (relative path, content) of :func:`source_files`."""
    h = hashlib.sha256()
    for path in source_files():
        h.update(path.relative_to(UI_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
