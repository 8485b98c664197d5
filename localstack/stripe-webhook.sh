#!/usr/bin/env bash
# Points localstripe's webhooks at a local gateway: localstripe then signs and sends
# payment_intent.succeeded and payment_intent.payment_failed to <gateway>/payment/webhook, as
# Stripe does, with the signing secret the local stack provisions (resources.json, secrets).
# Usage: localstack/stripe-webhook.sh http://127.0.0.1:3000
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gateway="${1:?usage: stripe-webhook.sh <gateway base URL>}"
stripe="${STRIPE_API_BASE:-http://127.0.0.1:${LOCALSTRIPE_PORT:-8420}}"
secret=$(python3 - "$HERE/resources.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
stripe = next(s for s in spec["secrets"] if s["name"] == "stripe")
print(stripe["localValue"]["webhook_secrets"][0])
PY
)
curl -sf -X POST "$stripe/_config/webhooks/local-gateway" \
  --data-urlencode "url=$gateway/payment/webhook" --data-urlencode "secret=$secret" \
  -d "events[]=payment_intent.succeeded" -d "events[]=payment_intent.payment_failed" >/dev/null
echo "stripe-webhook.sh: localstripe sends payment webhooks to $gateway/payment/webhook"
