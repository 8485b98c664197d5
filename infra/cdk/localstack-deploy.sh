#!/usr/bin/env bash
# Deploys the CDK stack into a LocalStack running in Docker, with cdklocal (aws-cdk-local), for
# laptops with a Docker engine. Not runnable where there is no Docker engine (LocalStack runs
# each Lambda in a container of its own).
#
#   infra/cdk/localstack-deploy.sh           bootstrap (once) and deploy, real Rust builds
#   infra/cdk/localstack-deploy.sh destroy   remove the stack again
#
# Needs: a LocalStack container of its own on $LOCALSTACK_ENDPOINT (not localstack/docker.sh's,
# which provisions resources.json itself and would clash on names) with the services the stack
# uses, and an auth token: HTTP APIs (apigatewayv2) are not in LocalStack's free image. See
# infra/cdk/README.md for the docker run line. Real builds need cargo-lambda and zig
# (ASSETS=placeholder deploys the infrastructure with functions that only fail).
#
# Environment: LOCALSTACK_ENDPOINT (default http://127.0.0.1:4566), PREFIX (default
# reservations-cdk), AWS_REGION (default us-east-1), STRIPE_API_BASE (what the functions call as
# Stripe, e.g. a localstripe the Lambda containers can reach), ASSETS (cargo-lambda|placeholder),
# WEB (none|cloudfront, default none: the desk app's S3 + CloudFront hosting is left out, since
# LocalStack's CloudFront is not in its free image and the gateway serves the app locally anyway;
# cloudfront needs web/dist built first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

die() { printf 'localstack-deploy.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'localstack-deploy.sh: %s\n' "$*" >&2; }

ENDPOINT="${LOCALSTACK_ENDPOINT:-http://127.0.0.1:4566}"
PREFIX="${PREFIX:-reservations-cdk}"
ASSETS="${ASSETS:-cargo-lambda}"
WEB="${WEB:-none}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_ENDPOINT_URL="$ENDPOINT"
# cdklocal clears AWS_* variables except these; S3 needs its own endpoint with ".s3." in it.
export AWS_ENVAR_ALLOWLIST=AWS_REGION,AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:${ENDPOINT##*:}}"
export CDK_DEFAULT_ACCOUNT=000000000000 CDK_DEFAULT_REGION="$AWS_REGION"
export CDK_DISABLE_CLI_TELEMETRY=true
export npm_config_cache="${HOME}/.cache/reservations/npm"

docker info >/dev/null 2>&1 || die "no Docker engine: LocalStack runs Lambda functions in containers (this script cannot run without Docker)"
health="$(curl -fsS --max-time 5 "$ENDPOINT/_localstack/health" 2>/dev/null)" \
  || die "no LocalStack at $ENDPOINT (see infra/cdk/README.md, 'LocalStack')"
for service in cloudformation lambda dynamodb apigateway events sqs kms secretsmanager; do
  grep -q "\"$service\"" <<<"$health" || die "LocalStack at $ENDPOINT does not offer $service"
done
if [[ "$ASSETS" == cargo-lambda ]]; then
  cargo lambda --version >/dev/null 2>&1 || die "real builds need cargo-lambda (and zig); or ASSETS=placeholder for the infrastructure only"
fi

[[ -d node_modules ]] || npm ci --prefer-offline --no-audit --no-fund --loglevel=error

context=(-c "prefix=$PREFIX" -c "assets=$ASSETS" -c ephemeral=true -c "region=$AWS_REGION" -c "web=$WEB")
[[ -n "${STRIPE_API_BASE:-}" ]] && context+=(-c "stripeApiBase=$STRIPE_API_BASE")

case "${1:-deploy}" in
  deploy)
    log "bootstrapping aws://000000000000/$AWS_REGION (once per LocalStack)"
    npx cdklocal bootstrap "aws://000000000000/$AWS_REGION" "${context[@]}"
    log "deploying (prefix $PREFIX, assets $ASSETS)"
    npx cdklocal deploy --require-approval never --outputs-file cdk.out/localstack-outputs.json "${context[@]}"
    log "outputs: infra/cdk/cdk.out/localstack-outputs.json"
    ;;
  destroy)
    npx cdklocal destroy --force "${context[@]}"
    ;;
  *)
    sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
