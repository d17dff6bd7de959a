#!/usr/bin/env bash
# Runs every test: the type check, the unit specs, then the integration and
# end-to-end specs against a Kafka broker and an S3Proxy that this script
# starts on test ports and stops when it exits. PostgreSQL must be running.
#
# Environment:
#   TEST_KAFKA_PORT   default 29092 (controller on the next port)
#   TEST_S3_PORT      default 29000
#   JEST_ARGS         extra arguments for Jest, such as a spec path
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TEST_KAFKA_PORT="${TEST_KAFKA_PORT:-29092}"
TEST_S3_PORT="${TEST_S3_PORT:-29000}"
STATE_DIR="$ROOT/.tmp/test-run"

if [[ ! -d node_modules ]]; then
  echo "test: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

bash scripts/components/postgres-check.sh

echo "test: type check"
npx tsc -p tsconfig.json --noEmit

echo "test: unit specs"
npx jest --selectProjects unit --ci

export KAFKA_PORT="$TEST_KAFKA_PORT" KAFKA_CONTROLLER_PORT="$((TEST_KAFKA_PORT + 1))" KAFKA_STATE_DIR="$STATE_DIR/kafka"
export S3_PORT="$TEST_S3_PORT" S3_STATE_DIR="$STATE_DIR/s3proxy" S3PROXY_PROVIDER=transient

stop_components() {
  bash scripts/components/kafka.sh stop || true
  bash scripts/components/s3proxy.sh stop || true
}
trap stop_components EXIT

# A fresh broker per run: topics and consumer groups of an earlier run would only slow it down.
bash scripts/components/kafka.sh stop >/dev/null 2>&1 || true
rm -rf "$STATE_DIR"
bash scripts/components/kafka.sh start
bash scripts/components/s3proxy.sh start

export TEST_KAFKA_BROKERS="127.0.0.1:$TEST_KAFKA_PORT"
export TEST_S3_ENDPOINT="http://127.0.0.1:$TEST_S3_PORT"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

echo "test: integration and end-to-end specs"
# shellcheck disable=SC2086
npx jest --selectProjects integration --ci --maxWorkers=2 ${JEST_ARGS:-}
