#!/usr/bin/env bash
# Starts the whole platform locally: installs npm packages if needed, starts
# Kafka, S3Proxy and a mail catcher on loopback, runs the four services and
# two product areas, and loads the demo data set. Ctrl-C stops everything.
#
# Settings come from scripts/dev/development.env; any variable there can be
# overridden from the environment, for example GRACE_PERIOD=30s npm start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STATE_DIR="$ROOT/.tmp"
LOG_DIR="$STATE_DIR/logs"
SERVICES=(request-intake grace-scheduler purge-executor notifier profiles-area audiences-area)
PIDS=()
# The name of each started process, by its position in PIDS.
NAMES=()

if [[ ! -d node_modules ]]; then
  echo "start: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

set -a
# shellcheck disable=SC1091
source <(grep -E '^[A-Z0-9_]+=' scripts/dev/development.env | while IFS='=' read -r name value; do
  if [[ -z ${!name:-} ]]; then echo "$name=$value"; fi
done)
set +a

bash scripts/components/postgres-check.sh
KAFKA_PORT="${KAFKA_BROKERS##*:}" bash scripts/components/kafka.sh start
S3_PORT="${S3_ENDPOINT##*:}" bash scripts/components/s3proxy.sh start

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "start: stopping services"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  KAFKA_PORT="${KAFKA_BROKERS##*:}" bash scripts/components/kafka.sh stop || true
  S3_PORT="${S3_ENDPOINT##*:}" bash scripts/components/s3proxy.sh stop || true
  exit "${1:-0}"
}
trap 'stop_all 0' INT TERM
trap 'stop_all 1' EXIT

mkdir -p "$LOG_DIR"
node -r @swc-node/register scripts/dev/mail-catcher.ts >"$LOG_DIR/mail-catcher.log" 2>&1 &
PIDS+=($!)
NAMES+=(mail-catcher)

port_of() {
  case "$1" in
    request-intake) echo 3000 ;;
    grace-scheduler) echo 3001 ;;
    purge-executor) echo 3002 ;;
    notifier) echo 3003 ;;
    *) echo "" ;;
  esac
}

# Names a process that exited and shows the end of its log.
report_exit() {
  echo "start: $1 exited; the end of $LOG_DIR/$1.log follows" >&2
  tail -20 "$LOG_DIR/$1.log" >&2
}

# Waits up to 120 s until a service responds on /health, or logs that it is ready when it has no port. Fails if it exits first.
wait_ready() {
  local service="$1" pid="$2" port
  port="$(port_of "$service")"
  for _ in $(seq 1 240); do
    if [[ -n $port ]] && curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
    if [[ -z $port ]] && grep -q 'ready (schema' "$LOG_DIR/$service.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      report_exit "$service"
      exit 1
    fi
    sleep 0.5
  done
  echo "start: $service did not become ready within 120 s; see $LOG_DIR/$service.log" >&2
  exit 1
}

for service in "${SERVICES[@]}"; do
  HTTP_PORT="$(port_of "$service")" node -r @swc-node/register "apps/$service/src/main.ts" >"$LOG_DIR/$service.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$service")
  # request-intake runs first so that its migrations and the topics exist before the others start.
  if [[ $service == request-intake ]]; then
    wait_ready "$service" "${PIDS[-1]}"
  fi
done
for index in "${!NAMES[@]}"; do
  if [[ ${NAMES[$index]} != mail-catcher ]]; then
    wait_ready "${NAMES[$index]}" "${PIDS[$index]}"
  fi
done

node -r @swc-node/register scripts/demo/load-demo-data.ts

cat <<INFO

The deletion platform is running (grace period $GRACE_PERIOD).
  API:            http://127.0.0.1:3000/v1/deletion-requests
  OpenAPI page:   http://127.0.0.1:3000/docs
  Health:         http://127.0.0.1:300{0,1,2,3}/health and /metrics
  Emails:         $STATE_DIR/mail/
  Service logs:   $LOG_DIR/
  Get a token:    npm run token -- ada@acme.test
  Password of every demo account: deletion-demo-password

Try it:
  TOKEN=\$(npm run --silent token -- ada@acme.test)
  curl -s -X POST http://127.0.0.1:3000/v1/deletion-requests \\
    -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '{"kind": "workspace", "workspace": "acme"}'

Press Ctrl-C to stop everything.
INFO

wait -n "${PIDS[@]}" || true
for index in "${!PIDS[@]}"; do
  if ! kill -0 "${PIDS[$index]}" 2>/dev/null; then
    report_exit "${NAMES[$index]}"
  fi
done
exit 1
