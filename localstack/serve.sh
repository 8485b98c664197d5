#!/usr/bin/env bash
# Starts the whole system locally and serves the API at http://127.0.0.1:${GATEWAY_PORT:-3000}:
# the emulators (installed on first use), the local gateway in front of every function (it also
# serves the desk web app at /desk/, built here from web/ when web/dist is missing), and
# demo data: a guest, a hotel and a restaurant made through the API, and the `demo` data set of
# the seeding tool (5,000 hotels and restaurants in about 100 metropolitan areas, for search).
# SEED_PRESET=test|demo|full picks another data set, SEED_PRESET=none none. The gateway logs (one
# JSON line per request and per consumer run) go to .local-aws/logs/gateway.log, so the banner
# with the demo accounts stays on screen; GATEWAY_LOG=- sends them to the terminal instead.
# Ctrl-C stops the gateway; `localstack/local.sh down` stops the emulators.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PORT="${GATEWAY_PORT:-3000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reservations/target}"

"$HERE/local.sh" up
eval "$("$HERE/local.sh" env)"
(cd "$REPO" && cargo build --quiet -p local-gateway -p seed)
# The desk web app, served by the gateway at /desk/, is built once (web/dist); rebuild it with
# `cd web && npm run build`.
if [[ ! -f "$REPO/web/dist/index.html" ]]; then
  if command -v npm >/dev/null; then
    (cd "$REPO/web" && npm_config_cache="${npm_config_cache:-$HOME/.cache/reservations/npm}" \
      npm ci --no-audit --no-fund --silent && npm run build --silent) >&2 \
      || echo "serve.sh: warning: the desk web app did not build; /desk/ answers 503" >&2
  else
    echo "serve.sh: warning: npm is missing, so the desk web app is not built; /desk/ answers 503" >&2
  fi
fi

# Seeded before the gateway starts: its stream publisher begins at the newest record, so the
# data set is not replayed through the event backbone (the seeder indexes it itself).
if [[ "${SEED_PRESET:-demo}" != none ]]; then
  "$CARGO_TARGET_DIR/debug/seed" --preset "${SEED_PRESET:-demo}"
fi

LOGS="${LOCAL_AWS_STATE:-$REPO/.local-aws}/logs"
GATEWAY_LOG="${GATEWAY_LOG:-$LOGS/gateway.log}"
if [[ "$GATEWAY_LOG" == - ]]; then
  GATEWAY_ADDR="127.0.0.1:$PORT" "$CARGO_TARGET_DIR/debug/local-gateway" &
else
  mkdir -p "$(dirname "$GATEWAY_LOG")"
  GATEWAY_ADDR="127.0.0.1:$PORT" "$CARGO_TARGET_DIR/debug/local-gateway" >"$GATEWAY_LOG" 2>&1 &
fi
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/.well-known/openid-configuration" >/dev/null && break
  kill -0 $gateway 2>/dev/null || {
    [[ "$GATEWAY_LOG" == - ]] || tail -n 20 "$GATEWAY_LOG" >&2
    echo "serve.sh: the gateway exited (log: $GATEWAY_LOG)" >&2
    exit 1
  }
  sleep 0.2
done

"$HERE/stripe-webhook.sh" "http://127.0.0.1:$PORT"
"$HERE/demo-data.sh" "http://127.0.0.1:$PORT"
cat <<BANNER

The API is served at http://127.0.0.1:$PORT (routes: shared/api/routes.json, contract:
shared/api/openapi.json). Demo accounts, password "demo password 123":
  guest                guest@demo.example               POST /user/login
  hotel manager        manager@hotel.demo.example       POST /vendor/login
  restaurant manager   manager@restaurant.demo.example  POST /vendor/login
The desk web app is at http://127.0.0.1:$PORT/desk/ (same password):
  hotel desk           desk@hotel.demo.example
  hotel housekeeping   housekeeping@hotel.demo.example
Deposits are paid at localstripe ($STRIPE_API_BASE), which sends its webhooks here.
Gateway log: $GATEWAY_LOG (tail -f it to watch requests; GATEWAY_LOG=- prints it here).
Emulator logs: $LOGS/. Ctrl-C stops the gateway.
BANNER
wait $gateway
