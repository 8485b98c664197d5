#!/usr/bin/env bash
# Starts the whole system locally and serves the API at http://127.0.0.1:${GATEWAY_PORT:-3000}:
# the emulators (installed on first use), the local gateway in front of every function, and
# demo data: a guest, a hotel and a restaurant made through the API, and the `demo` data set of
# the seeding tool (5,000 hotels and restaurants in about 100 metropolitan areas, for search).
# SEED_PRESET=test|demo|full picks another data set, SEED_PRESET=none none. Ctrl-C stops the
# gateway; `localstack/local.sh down` stops the emulators.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PORT="${GATEWAY_PORT:-3000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reservations/target}"

"$HERE/local.sh" up
eval "$("$HERE/local.sh" env)"
(cd "$REPO" && cargo build --quiet -p local-gateway -p seed)

# Seeded before the gateway starts: its stream publisher begins at the newest record, so the
# data set is not replayed through the event backbone (the seeder indexes it itself).
if [[ "${SEED_PRESET:-demo}" != none ]]; then
  "$CARGO_TARGET_DIR/debug/seed" --preset "${SEED_PRESET:-demo}"
fi

GATEWAY_ADDR="127.0.0.1:$PORT" "$CARGO_TARGET_DIR/debug/local-gateway" &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/.well-known/openid-configuration" >/dev/null && break
  kill -0 $gateway 2>/dev/null || { echo "serve.sh: the gateway exited; see its output above" >&2; exit 1; }
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
Deposits are paid at localstripe ($STRIPE_API_BASE), which sends its webhooks here.
Emulator logs: .local-aws/logs/. Ctrl-C stops the gateway.
BANNER
wait $gateway
