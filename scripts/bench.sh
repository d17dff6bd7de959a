#!/usr/bin/env bash
# Runs the benchmarks in bench/ against their own Kafka broker (port 28092)
# and S3Proxy (port 28000), which this script starts and stops, and the local
# PostgreSQL. The ports are below Linux's ephemeral range (32768 and up), so
# no outgoing connection can hold them. Arguments go to bench/run.ts: --full
# for the full sizes, --only P1,P3 for some benchmarks. Results go to
# docs/benchmarks.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE_DIR="$ROOT/.tmp/bench-run"

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi
bash scripts/components/postgres-check.sh

export KAFKA_PORT=28092 KAFKA_CONTROLLER_PORT=28093 KAFKA_STATE_DIR="$STATE_DIR/kafka"
# The full sizes keep 100,000 objects and more in S3Proxy's in-memory store.
export S3_PORT=28000 S3_STATE_DIR="$STATE_DIR/s3proxy" S3PROXY_PROVIDER=transient S3PROXY_MAX_HEAP=2g
stop_components() {
  bash scripts/components/kafka.sh stop || true
  bash scripts/components/s3proxy.sh stop || true
}
trap stop_components EXIT
bash scripts/components/kafka.sh stop >/dev/null 2>&1 || true
rm -rf "$STATE_DIR"
bash scripts/components/kafka.sh start
bash scripts/components/s3proxy.sh start

export TEST_KAFKA_BROKERS="127.0.0.1:28092" TEST_S3_ENDPOINT="http://127.0.0.1:28000"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node --expose-gc ${BENCH_NODE_FLAGS:-} -r @swc-node/register bench/run.ts "$@"
