#!/usr/bin/env bash
# localstack/serve.sh leaves its banner (the demo accounts) as the last thing on screen: the
# gateway's log lines go to the file the banner names, also while requests are served.
# Needs the emulators (localstack/local.sh up); runs serve.sh on a free port without a data set.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mktemp)"
log="$(mktemp -d)/gateway.log"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
GATEWAY_PORT="$port" GATEWAY_LOG="$log" SEED_PRESET=none "$REPO/localstack/serve.sh" >"$out" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true; wait $serve 2>/dev/null || true; rm -f "$out"' EXIT
fail() { echo "serve-banner: $*" >&2; echo "--- serve.sh output:" >&2; cat "$out" >&2; exit 1; }

# Up to 10 minutes: the first run builds the gateway and the seeding tool.
for _ in $(seq 1 3000); do
  grep -q "Ctrl-C stops the gateway" "$out" && break
  kill -0 $serve 2>/dev/null || fail "serve.sh exited before its banner"
  sleep 0.2
done
grep -q "Ctrl-C stops the gateway" "$out" || fail "no banner"
grep -q "Gateway log: $log" "$out" || fail "the banner does not say where the gateway logs"
grep -q "http://127.0.0.1:$port/desk/" "$out" || fail "the banner does not give the desk app's address"
grep -q "housekeeping@hotel.demo.example" "$out" || fail "the banner does not give the housekeeping login"
grep -qE "demo departures: ([1-9]|.*leave today already)" "$out" \
  || fail "the demo data has no guests leaving today (localstack/demo-data.sh, demo-departures)"

# Requests after the banner are logged to the file, not under the banner.
curl -s -o /dev/null "http://127.0.0.1:$port/vendors?party_size=x"
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/user/login" \
  -H 'content-type: application/json' -d '{"email":"guest@demo.example","password":"demo password 123"}'
for _ in $(seq 1 100); do
  [[ -s "$log" ]] && break
  sleep 0.1
done
[[ -s "$log" ]] || fail "nothing in the gateway log $log"
[[ "$(tail -n 1 "$out")" == *"Ctrl-C stops the gateway." ]] || fail "something was printed after the banner"
echo "serve-banner: 1 passed, 0 failed"
