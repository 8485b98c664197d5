#!/bin/bash
# LocalStack init hook (READY stage, Docker mode): provision localstack/resources.json into this
# LocalStack, DynamoDB included. Must stay executable (git keeps the mode).
set -euo pipefail

DIR=/etc/localstack/reservations
PY=/opt/code/localstack/.venv/bin/python   # LocalStack's own Python: has boto3
[ -x "$PY" ] || PY=python3

export AWS_ENDPOINT_URL=http://localhost:4566
export AWS_ENDPOINT_URL_DYNAMODB=http://localhost:4566
export AWS_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE

echo "provisioning ${RESOURCE_PREFIX:-reservations} resources from $DIR/resources.json"
exec "$PY" "$DIR/provision.py" --resources "$DIR/resources.json"
