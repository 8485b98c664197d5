#!/usr/bin/env bash
# Validates shared/api/openapi.json against the OpenAPI 3.1 specification with
# openapi-spec-validator, installed once (pinned, tests/requirements-tools.txt) into a cached venv.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TOOLS_VENV:-$HOME/.cache/reservations/tools-venv}"
REQ="$REPO/tests/requirements-tools.txt"
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" >"$stamp"
fi
"$VENV/bin/python" - "$REPO/shared/api/openapi.json" <<'PY'
import json, sys
from openapi_spec_validator import validate
validate(json.load(open(sys.argv[1])))
print("openapi: 1 passed, 0 failed")
PY
