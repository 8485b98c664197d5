#!/usr/bin/env bash
# Local AWS stack in Docker (laptops with a Docker engine): LocalStack 4.13.1 (DynamoDB, Lambda and
# the rest) + localstripe, provisioned from localstack/resources.json by LocalStack's init hook.
#
#   localstack/docker.sh up      start (docker compose up -d), wait until provisioned
#   localstack/docker.sh down    stop and remove the containers (state is not kept)
#   localstack/docker.sh env     export lines: eval "$(localstack/docker.sh env)"
#
# Ports are fixed: LocalStack 4566 (DynamoDB too), localstripe 8420, both on 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COMPOSE_FILE="$HERE/docker/compose.yml"
ENDPOINT="http://127.0.0.1:4566"

log() { printf 'docker.sh: %s\n' "$*" >&2; }
die() { printf 'docker.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

compose() {
  docker compose version >/dev/null 2>&1 || die "'docker compose' is not available (Docker mode needs a Docker engine with the compose plugin; without Docker use localstack/local.sh)"
  docker compose -f "$COMPOSE_FILE" "$@"
}

cmd_up() {
  [[ -x "$HERE/docker/init/ready.d/10-provision.sh" ]] || chmod +x "$HERE/docker/init/ready.d/10-provision.sh"
  compose up -d --build
  log "waiting for LocalStack to run the provisioning hook (up to 180s)"
  local deadline=$((SECONDS + 180)) body=""
  while ((SECONDS < deadline)); do
    body="$(curl -fsS --max-time 3 "$ENDPOINT/_localstack/init/ready" 2>/dev/null || true)"
    if [[ "$body" =~ \"completed\":\ *true ]]; then
      break
    fi
    sleep 2
  done
  if ! [[ "$body" =~ \"completed\":\ *true ]]; then
    compose logs --tail 50 localstack >&2 || true
    die "LocalStack did not finish its init hooks in 180s (docker compose -f $COMPOSE_FILE logs localstack)"
  fi
  if [[ "$body" == *'"ERROR"'* ]]; then
    compose logs --tail 50 localstack >&2 || true
    die "provisioning hook failed: $body"
  fi
  compose logs --no-log-prefix localstack 2>/dev/null | grep -E '^(table|eventbus|queue|rule|bucket|ses|kms) ' >&2 || true
  deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null --max-time 3 -u sk_test_local: "http://127.0.0.1:8420/v1/customers?limit=1" 2>/dev/null; do
    ((SECONDS < deadline)) || { compose logs --tail 30 localstripe >&2 || true; die "localstripe not answering on 127.0.0.1:8420"; }
    sleep 2
  done
  log "stack is up; use it with: eval \"\$(localstack/docker.sh env)\""
}

cmd_down() {
  compose down --remove-orphans
}

cmd_env() {
  local py
  py="$(command -v python3 || command -v python || true)"
  [[ -n "$py" ]] || die "python3 not found"
  AWS_REGION=us-east-1 "$py" "$HERE/provision.py" --print-env \
    --endpoint "$ENDPOINT" --dynamodb-endpoint "$ENDPOINT" \
    --stripe-api-base "http://127.0.0.1:8420"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
