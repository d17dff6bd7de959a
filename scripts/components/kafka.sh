#!/usr/bin/env bash
# Starts, stops or checks a single-node Kafka broker (KRaft, combined broker and
# controller) on 127.0.0.1 for development and tests.
#
# Usage: scripts/components/kafka.sh start|stop|status
#
# Environment:
#   KAFKA_PORT             client (PLAINTEXT) port, default 19092
#   KAFKA_CONTROLLER_PORT  KRaft controller port, default 19093
#   KAFKA_STATE_DIR        config, data, log and pid file, default <repo>/.tmp/kafka
#   KAFKA_HEAP             JVM heap options, default "-Xms256m -Xmx512m"
#
# The broker jars are downloaded once with Maven (tools/kafka-runtime/pom.xml)
# into <repo>/.cache/kafka-<version>/libs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNTIME_DIR="$ROOT/tools/kafka-runtime"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$ROOT/.tmp/kafka}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx512m}"
[[ $KAFKA_STATE_DIR == /* ]] || KAFKA_STATE_DIR="$PWD/$KAFKA_STATE_DIR"

START_TIMEOUT_SECONDS=90
STOP_TIMEOUT_SECONDS=30
# Fixed so that `format --ignore-formatted` accepts a data dir from an earlier run.
# Any 16-byte base64url UUID works; this one came from `StorageTool random-uuid`.
CLUSTER_ID="6PI4kEfeSY6ZQISOJmiBWA"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$RUNTIME_DIR/pom.xml")"
CACHE_DIR="$ROOT/.cache/kafka-$KAFKA_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
CONFIG_FILE="$KAFKA_STATE_DIR/server.properties"
PID_FILE="$KAFKA_STATE_DIR/kafka.pid"
LOG_FILE="$KAFKA_STATE_DIR/kafka.log"

die() {
  echo "kafka: $*" >&2
  exit 1
}

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# Prints the seconds elapsed since a now_us timestamp, with one decimal.
seconds_since() {
  local us=$(($(now_us) - $1))
  printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the broker PID if the pid file names a live broker started with this
# state dir's config. The command-line check guards against a reused PID.
running_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  ps -ww -o args= -p "$pid" 2>/dev/null | grep -qF "kafka.Kafka $CONFIG_FILE" || return 1
  echo "$pid"
}

check_java() {
  command -v java >/dev/null || die "java not found on PATH. Kafka $KAFKA_VERSION requires Java 17 or newer."
  local major
  major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  ((${major:-0} >= 17)) || die "java on PATH is version ${major:-unknown}, but Kafka $KAFKA_VERSION requires Java 17 or newer."
}

# Copies the broker jars into LIBS_DIR unless a copy made from the same pom.xml exists.
resolve_jars() {
  local pom_sha started
  pom_sha="$(sha256sum "$RUNTIME_DIR/pom.xml" | cut -d ' ' -f 1)"
  if [[ -f $CACHE_DIR/resolved && "$(<"$CACHE_DIR/resolved")" == "$pom_sha" ]]; then
    return 0
  fi

  command -v mvn >/dev/null || die "mvn not found on PATH. Install Maven, which downloads the Kafka jars from Maven Central."
  echo "kafka: downloading Kafka $KAFKA_VERSION jars with Maven into $LIBS_DIR"
  started="$(now_us)"
  rm -rf "$CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  # Maven 3.8.7 prints ANSI reset codes even with -B -q, so its output goes to a file shown on failure.
  if ! mvn -B -q -f "$RUNTIME_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS_DIR.partial" >"$CACHE_DIR/maven.log" 2>&1; then
    cat "$CACHE_DIR/maven.log" >&2
    die "Maven failed to download the Kafka jars. Check the Maven output above and the access to Maven Central."
  fi
  mv "$LIBS_DIR.partial" "$LIBS_DIR"
  echo "$pom_sha" >"$CACHE_DIR/resolved"
  echo "kafka: jars downloaded in $(seconds_since "$started") s"
}

render_config() {
  mkdir -p "$KAFKA_STATE_DIR/data"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA_DIR@|$KAFKA_STATE_DIR/data|g" \
    "$RUNTIME_DIR/server.properties.template" >"$CONFIG_FILE"
}

# Waits until the broker has logged "Kafka Server started" and accepts TCP
# connections on KAFKA_PORT. Returns 1 if the process exits or the timeout passes.
wait_until_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null && port_open "$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Sends SIGTERM and waits up to STOP_TIMEOUT_SECONDS, then sends SIGKILL if the process still runs.
terminate() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < STOP_TIMEOUT_SECONDS * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "kafka: pid $pid still running after ${STOP_TIMEOUT_SECONDS} s, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# Prints the error and the last 40 log lines, stops a half-started broker and exits 1.
fail_start() {
  local pid=${2:-}
  echo "kafka: $1" >&2
  if [[ -f $LOG_FILE ]]; then
    echo "kafka: last 40 lines of $LOG_FILE:" >&2
    tail -n 40 "$LOG_FILE" >&2
  fi
  if [[ -n $pid ]]; then
    terminate "$pid"
    rm -f "$PID_FILE"
  fi
  die "start failed, see $LOG_FILE. Check that ports $KAFKA_PORT and $KAFKA_CONTROLLER_PORT are free," \
    "that the machine has memory for KAFKA_HEAP ($KAFKA_HEAP), and that $KAFKA_STATE_DIR/data was not" \
    "written by another Kafka version or cluster (delete $KAFKA_STATE_DIR to start empty)."
}

start() {
  local pid started
  if pid="$(running_pid)"; then
    wait_until_ready "$pid" || fail_start "the broker (pid $pid) is running but did not become ready within $START_TIMEOUT_SECONDS s" "$pid"
    echo "kafka: already running (pid $pid), bootstrap 127.0.0.1:$KAFKA_PORT"
    return 0
  fi

  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      die "port $port on 127.0.0.1 is already in use by another process. Stop that process or set KAFKA_PORT and KAFKA_CONTROLLER_PORT."
    fi
  done

  check_java
  resolve_jars
  render_config
  if [[ -f $LOG_FILE ]]; then
    mv "$LOG_FILE" "$LOG_FILE.previous"
  fi

  local heap java_opts
  read -ra heap <<<"$KAFKA_HEAP"
  java_opts=("${heap[@]}" -Djava.awt.headless=true "-Dlog4j2.configurationFile=$RUNTIME_DIR/log4j2.properties"
    -cp "$LIBS_DIR/*")

  started="$(now_us)"
  # --ignore-formatted makes this a no-op on a data dir that is already formatted.
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONFIG_FILE" --ignore-formatted \
    >>"$LOG_FILE" 2>&1 </dev/null || fail_start "formatting the storage in $KAFKA_STATE_DIR/data failed"

  nohup java "${java_opts[@]}" kafka.Kafka "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  if ! wait_until_ready "$pid"; then
    if kill -0 "$pid" 2>/dev/null; then
      fail_start "timed out after $START_TIMEOUT_SECONDS s waiting for the broker (pid $pid) to become ready" "$pid"
    fi
    fail_start "the broker (pid $pid) exited during start-up" "$pid"
  fi
  echo "kafka: Kafka $KAFKA_VERSION started in $(seconds_since "$started") s (pid $pid), bootstrap 127.0.0.1:$KAFKA_PORT"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    echo "kafka: not running"
    return 0
  fi
  terminate "$pid"
  rm -f "$PID_FILE"
  echo "kafka: stopped (pid $pid)"
}

status() {
  if running_pid >/dev/null && port_open "$KAFKA_PORT"; then
    echo "127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  echo "kafka: not running (state dir $KAFKA_STATE_DIR)" >&2
  return 1
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
