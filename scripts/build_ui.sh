#!/usr/bin/env bash
# Build the dashboard (serve/ui -> serve/ui/static, committed so a clone needs no npm at run time):
# the OpenAPI document from the app -> TypeScript types (openapi-typescript) -> type check -> Vite bundle, then the
# digest of the sources the bundle was built from (tests/unit/test_ui_build.py checks it matches the sources).
# Needs node >= 20 and npm (the npm registry, for `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -c "import json; from serve.app import api
open('serve/ui/src/api/openapi.json', 'w').write(json.dumps(api.openapi(), indent=1, sort_keys=True) + '\n')"
cd serve/ui
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
cd ../..
.venv/bin/python -c "from serve.ui_build import source_digest, DIGEST_FILE; DIGEST_FILE.write_text(source_digest() + '\n')"
echo "built serve/ui/static ($(du -sh serve/ui/static | cut -f1)), digest $(cat serve/ui/static/.source-sha256)"
