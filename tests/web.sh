#!/usr/bin/env bash
# The desk web app: builds it (web/), runs its unit tests (vitest), starts a local gateway on a
# free port that serves it at /desk/ next to the API, and drives it in Debian's Chromium through
# playwright-core (web/e2e/). Installs Chromium (and its languages) when missing. Needs the
# emulators (localstack/local.sh up). Screenshots go to web/e2e/artifacts/.
#
#   tests/web.sh [e2e/<file>.e2e.mjs ...]   only those browser tests (default: every e2e/*.e2e.mjs)
#   WEB_DIST=/tmp/mine-dist                 build there instead of web/dist (several builds at once)
#   WEB_NO_PURGE=1                          leave the consumer queues alone (others are testing)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reservations/target}"
export npm_config_cache="${npm_config_cache:-$HOME/.cache/reservations/npm}"

# chromium-l10n: the browser's own languages, which date inputs are drawn in (the German tests).
if [[ ! -x /usr/bin/chromium || ! -f /usr/lib/chromium/locales/de.pak ]]; then
  echo "web: installing Debian's chromium and chromium-l10n (apt-get install -y chromium chromium-l10n)"
  if [[ $(id -u) == 0 ]]; then apt-get update -qq && apt-get install -y -qq chromium chromium-l10n >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-l10n >/dev/null; fi
fi
command -v npm >/dev/null || { echo "web: npm is missing (install Node.js 20 or later)" >&2; exit 1; }

cd "$REPO/web"
DIST="${WEB_DIST:-$REPO/web/dist}"
if [[ -z ${WEB_DIST:-} ]]; then
  npm ci --no-audit --no-fund
  npm run build
  npm test
else
  npx tsc --noEmit && npx vite build --outDir "$DIST" --emptyOutDir
fi
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(e2e/*.e2e.mjs)

eval "$("$REPO/localstack/local.sh" env)"
(cd "$REPO" && cargo build --quiet -p local-gateway --bin local-gateway)
# As in the README walk-through: start from empty consumer queues, so this run's facts are not
# queued behind those the earlier tests left unconsumed.
if [[ -z ${WEB_NO_PURGE:-} ]]; then
  for var in $(compgen -e | grep '_QUEUE_URL$'); do
    curl -sf -X POST "${!var}" -d "Action=PurgeQueue" >/dev/null || echo "web: could not purge ${!var}" >&2
  done
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="${TMPDIR:-/tmp}/web-e2e-gateway-$port.log"
DESK_APP_DIR="$DIST" GATEWAY_ADDR="127.0.0.1:$port" "$CARGO_TARGET_DIR/debug/local-gateway" >"$log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
ready=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/.well-known/jwks.json" >/dev/null; then ready=1; break; fi
  kill -0 $gateway 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "web: the local gateway did not start; its log:" >&2
  tail -20 "$log" >&2
  exit 1
fi
curl -sf -o /dev/null "http://127.0.0.1:$port/desk/" || { echo "web: the gateway does not serve /desk/" >&2; exit 1; }

# One file at a time: the files share the two cores and the gateway's consumers.
DESK_E2E_BASE_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 "${files[@]}"
echo "web: screenshots in $REPO/web/e2e/artifacts/"
