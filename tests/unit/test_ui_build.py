"""The committed dashboard bundle (serve/ui/static) matches its sources, and the page's API contract holds: the
schemas its generated types come from are still the API's, and every route it calls exists. No npm needed."""

from __future__ import annotations

import json
import re

from serve.app import api
from serve.ui_build import DIGEST_FILE, UI_ROOT, source_digest


def test_the_committed_bundle_was_built_from_the_committed_sources():
    assert DIGEST_FILE.exists(), "serve/ui/static is not built: run scripts/build_ui.sh"
    assert DIGEST_FILE.read_text().strip() == source_digest(), "serve/ui changed since its build: run scripts/build_ui.sh"


def test_the_bundle_references_only_its_own_files_and_nothing_from_a_cdn():
    index = (UI_ROOT / "static" / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="(/ui/[^"]+)"', index)
    assert assets, index
    for ref in assets:
        assert (UI_ROOT / "static" / ref.removeprefix("/ui/")).is_file(), ref
    bundle = "".join(p.read_text() for p in (UI_ROOT / "static" / "assets").iterdir())
    assert not re.search(r"""["'(]https?://(?!www\.w3\.org)""", index + bundle), "a remote URL in the bundle"


def test_the_schemas_behind_the_generated_types_are_still_the_apis():
    committed = json.loads((UI_ROOT / "src" / "api" / "openapi.json").read_text())["components"]["schemas"]
    live = api.openapi()["components"]["schemas"]
    used = set(re.findall(r'Schemas\["(\w+)"\]', (UI_ROOT / "src" / "types.ts").read_text()))
    used |= {"LevelModel"}  # BookResponse's levels
    assert used and {name: committed[name] for name in used} == {name: live[name] for name in used}, (
        "a schema the page uses changed: run scripts/build_ui.sh and check the page")


def test_every_route_the_page_calls_exists_with_that_method():
    paths = api.openapi()["paths"]
    source = "\n".join(p.read_text() for p in (UI_ROOT / "src").rglob("*.ts"))
    calls = re.findall(r'call(?:<[^(]*>)?\(\s*"(get|post|patch|delete)",\s*[`"](/[^`"]*)[`"]', source)
    assert len(calls) >= 5, calls
    for method, route in calls:
        route = re.sub(r"\$\{action\}", "stop", route)
        assert method in paths.get(route, {}), (method, route)
    assert "get" in paths["/stream"] and "text/event-stream" in json.dumps(paths["/stream"])


def test_the_dashboard_is_mounted_at_ui():
    assert any(getattr(r, "path", None) == "/ui" for r in api.routes)
