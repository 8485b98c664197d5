#!/usr/bin/env bash
# The CDK app's offline tests: installs the locked packages (npm's cache under
# ~/.cache/reservations/npm, so later runs on this machine download nothing) and runs `npm test`
# (type check, then every test in test/ against synthesized templates; no Rust is built).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export npm_config_cache="${HOME}/.cache/reservations/npm"
export npm_config_update_notifier=false
# The CDK CLI is not run here, but keep it quiet and offline wherever it is.
export CDK_DISABLE_CLI_TELEMETRY=true

start=$SECONDS
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
echo "infra/cdk: npm ci took $((SECONDS - start)) s"
npm test
echo "infra/cdk: test.sh took $((SECONDS - start)) s"
