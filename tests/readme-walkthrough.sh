#!/usr/bin/env bash
# Runs the README's walk-through exactly as written against a fresh local gateway, and checks
# what it prints: each step that must succeed uses `curl -f`, so the script stops at the first
# failure; the deposit step must show a checkout and a PAID deposit, the last step a 403 and a
# 422 problem.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
script=$(sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' "$REPO/README.md" | sed '1,2d;$d' | sed '$d')
[[ -n "$script" ]] || { echo "no walk-through found in README.md" >&2; exit 1; }

# Test runs build test binaries only; the gateway binary is built here.
(cd "$REPO" && cargo build --quiet -p local-gateway --bin local-gateway)
# The tests before this leave facts nobody consumed in the consumer queues (their gateways run
# no backbone); start from empty queues, as a fresh stack does, so the walk-through's own facts
# are not queued behind them.
for var in $(compgen -e | grep '_QUEUE_URL$'); do
  curl -sf -X POST "${!var}" -d "Action=PurgeQueue" >/dev/null || echo "walk-through: could not purge ${!var}" >&2
done
log="${TMPDIR:-/tmp}/walkthrough-gateway.log"
GATEWAY_ADDR="127.0.0.1:$port" "${CARGO_TARGET_DIR:-$REPO/target}/debug/local-gateway" >"$log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
ready=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/.well-known/jwks.json" >/dev/null; then ready=1; break; fi
  kill -0 $gateway 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "walk-through: the local gateway did not start; its log:" >&2
  tail -20 "$log" >&2
  exit 1
fi

"$REPO/localstack/stripe-webhook.sh" "http://127.0.0.1:$port"
script="${script//http:\/\/127.0.0.1:3000/http://127.0.0.1:$port}"
script="${script//http:\/\/127.0.0.1:8420/${STRIPE_API_BASE:-http://127.0.0.1:8420}}"
output=$(bash -euo pipefail -c "$script")
echo "$output"
grep -q '"status":403' <<<"$output" || { echo "walk-through: expected a 403 problem" >&2; exit 1; }
grep -q '"status":422' <<<"$output" || { echo "walk-through: expected a 422 problem" >&2; exit 1; }
grep -q '"name":"Ada Lovelace"' <<<"$output" || { echo "walk-through: the profile edit did not show" >&2; exit 1; }
grep -q '"kind":"room_type"' <<<"$output" || { echo "walk-through: the room type did not show" >&2; exit 1; }
grep -q '"name":"Hotel Walkthrough","kind":"hotel","city":"Berlin"' <<<"$output" || { echo "walk-through: the search did not find the hotel" >&2; exit 1; }
grep -q '"status":"CANCELLED"' <<<"$output" || { echo "walk-through: the booking was not cancelled" >&2; exit 1; }
grep -q '"client_secret":"pi_' <<<"$output" || { echo "walk-through: the deposit hold had no checkout" >&2; exit 1; }
grep -q '"status":"PAID"' <<<"$output" || { echo "walk-through: the paid deposit did not confirm the booking" >&2; exit 1; }
# The front desk: a walk-in checked in to a clean room, moved (the room left dirty), checked out a
# night early, and the room dirty until housekeeping reports it clean. Board entries are picked
# out as objects, whatever order their members come in.
units_numbered() { grep -oE '\{[^{}]*"number":"'"$1"'"[^{}]*\}' <<<"$output" | grep '"status":' || true; }
grep -qE '"units":2,("shards":[0-9]+,)?"units_in_service":2' <<<"$output" || { echo "walk-through: the type's units did not follow its rooms" >&2; exit 1; }
grep -q '"channel":"walk_in"' <<<"$output" || { echo "walk-through: the walk-in booking did not show" >&2; exit 1; }
grep -q '"status":"CHECKED_IN"' <<<"$output" && grep -qE '"unit":\{("unit_id":"[^"]*",)?"number":"101"' <<<"$output" \
  || { echo "walk-through: the guest was not checked in to room 101" >&2; exit 1; }
grep -q 'moved to 102' <<<"$output" || { echo "walk-through: the guest was not moved to room 102" >&2; exit 1; }
grep -q '"status":"dirty"' <<<"$(units_numbered 101)" || { echo "walk-through: the room left behind was not dirty" >&2; exit 1; }
grep -q '"status":"COMPLETED"' <<<"$output" || { echo "walk-through: the guest was not checked out" >&2; exit 1; }
grep -q '"status":"dirty"' <<<"$(units_numbered 102)" || { echo "walk-through: the room was not dirty after check-out" >&2; exit 1; }
grep -q '"status":"clean"' <<<"$(units_numbered 102 | tail -1)" || { echo "walk-through: housekeeping did not report the room clean" >&2; exit 1; }
# The day's paperwork: the stay's invoice with its VAT and city tax, the PDF, the report (JSON, CSV).
grep -q '"kind":"city_tax"' <<<"$output" && grep -q '"vat_rate_bp":700' <<<"$output" \
  || { echo "walk-through: the invoice did not carry the hotel's taxes" >&2; exit 1; }
grep -q '^%PDF-' <<<"$output" || { echo "walk-through: the invoice PDF did not show" >&2; exit 1; }
grep -q '"granularity":"day"' <<<"$output" || { echo "walk-through: the report did not show" >&2; exit 1; }
grep -q '^start,end,closed,' <<<"$output" || { echo "walk-through: the CSV report did not show" >&2; exit 1; }
# Another channel: connected, a booking imported (CONFIRMED, under the channel's kind) and its
# replay, the allotment's sold unit, a forged push refused and a verified push for the night.
grep '"name":"Walkthrough CM"' <<<"$output" | grep -q '"status":"active"' || { echo "walk-through: the channel was not connected" >&2; exit 1; }
grep '"res_status":"commit"' <<<"$output" | grep '"channel":"channel_manager"' | grep -q '"status":"CONFIRMED"' \
  || { echo "walk-through: the channel's booking was not imported and confirmed" >&2; exit 1; }
grep -q '^201 replayed: $' <<<"$output" && grep -qi '^200 replayed: true$' <<<"$output" \
  || { echo "walk-through: the import's replay did not show" >&2; exit 1; }
grep -oE '\{[^{}]*"allot":3[^{}]*\}' <<<"$output" | grep -q '"sold":1' || { echo "walk-through: the allotment did not show the channel's sold unit" >&2; exit 1; }
grep -q '^a forged push: 401$' <<<"$output" || { echo "walk-through: the receiver did not refuse a forged push" >&2; exit 1; }
grep -q '^pushed: .*"verified": true' <<<"$output" || { echo "walk-through: no verified push for the night" >&2; exit 1; }
echo "walkthrough: 1 passed, 0 failed"
