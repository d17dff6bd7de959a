#!/usr/bin/env bash
# Starts, stops or checks a local S3-compatible server (S3Proxy) on 127.0.0.1
# for development and tests.
#
# Usage: scripts/components/s3proxy.sh start|stop|status
#
# Environment:
#   S3_PORT               HTTP port, default 19000 (endpoint http://127.0.0.1:$S3_PORT)
#   S3_STATE_DIR          config, data, log and pid file, default <repo>/.tmp/s3proxy
#   S3_ACCESS_KEY_ID      access key that clients sign with, default local-dev
#   S3_SECRET_ACCESS_KEY  secret key that clients sign with, default local-dev-secret
#   S3PROXY_PROVIDER      filesystem (default, objects under $S3_STATE_DIR/data and kept
#                         across restarts) or transient (in memory, lost on stop)
#   S3PROXY_MAX_HEAP      maximum Java heap, default 512m; the transient store keeps every
#                         object in it, so 100,000 objects need a few GiB
#
# Clients must sign with AWS Signature V2 or V4 and use path-style requests. The AWS SDK for
# JavaScript v3 uses path style by itself for an IP endpoint, but needs forcePathStyle for localhost.
#
# The S3Proxy jars are downloaded once with Maven (tools/s3proxy-runtime/pom.xml)
# into <repo>/.cache/s3proxy-<version>/libs.
#
# NOTE: With both providers, S3Proxy 3.3.0 differs from AWS S3 on keys that contain "/".
# A PUT fails with HTTP 500 when the key is also the folder of another key ("a/b" beside "a/b/c").
# A key "a//b" is stored and listed as "a/b". A DeleteObjects call fails whole with HTTP 500
# when a "dir/" key comes before the keys under it. Deleting those keys first works.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNTIME_DIR="$ROOT/tools/s3proxy-runtime"

S3_PORT="${S3_PORT:-19000}"
S3_STATE_DIR="${S3_STATE_DIR:-$ROOT/.tmp/s3proxy}"
S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-local-dev}"
S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-local-dev-secret}"
S3PROXY_PROVIDER="${S3PROXY_PROVIDER:-filesystem}"
[[ $S3_STATE_DIR == /* ]] || S3_STATE_DIR="$PWD/$S3_STATE_DIR"

START_TIMEOUT_SECONDS=90
STOP_TIMEOUT_SECONDS=30
JAVA_HEAP=(-Xms64m "-Xmx${S3PROXY_MAX_HEAP:-512m}")

S3PROXY_VERSION="$(sed -n 's:.*<s3proxy.version>\(.*\)</s3proxy.version>.*:\1:p' "$RUNTIME_DIR/pom.xml")"
CACHE_DIR="$ROOT/.cache/s3proxy-$S3PROXY_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
CONFIG_FILE="$S3_STATE_DIR/s3proxy.conf"
PID_FILE="$S3_STATE_DIR/s3proxy.pid"
LOG_FILE="$S3_STATE_DIR/s3proxy.log"
ENDPOINT="http://127.0.0.1:$S3_PORT"

die() {
  echo "s3proxy: $*" >&2
  exit 1
}

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# Prints the seconds elapsed since a now_us timestamp, with one decimal.
seconds_since() {
  local us=$(($(now_us) - $1))
  printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Succeeds when S3_PORT sends any HTTP response (S3Proxy returns 403 for an unsigned GET /).
http_responds() {
  local reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, which gets S3_PORT as its argument.
  reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET / HTTP/1.0\r\n\r\n" >&3 && head -c 5 <&3' \
    _ "$S3_PORT" 2>/dev/null)" || return 1
  [[ $reply == HTTP/ ]]
}

# Prints the server PID if the pid file names a live S3Proxy started with this
# state dir's config. The command-line check guards against a reused PID.
running_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  ps -ww -o args= -p "$pid" 2>/dev/null | grep -qF "org.gaul.s3proxy.Main --properties $CONFIG_FILE" || return 1
  echo "$pid"
}

check_java() {
  command -v java >/dev/null || die "java not found on PATH. S3Proxy $S3PROXY_VERSION requires Java 17 or newer."
  local major
  major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  ((${major:-0} >= 17)) || die "java on PATH is version ${major:-unknown}, but S3Proxy $S3PROXY_VERSION requires Java 17 or newer."
}

# Copies the S3Proxy jars into LIBS_DIR unless a copy made from the same pom.xml exists.
resolve_jars() {
  local pom_sha started
  pom_sha="$(sha256sum "$RUNTIME_DIR/pom.xml" | cut -d ' ' -f 1)"
  if [[ -f $CACHE_DIR/resolved && "$(<"$CACHE_DIR/resolved")" == "$pom_sha" ]]; then
    return 0
  fi

  command -v mvn >/dev/null || die "mvn not found on PATH. Install Maven, which downloads the S3Proxy jars from Maven Central."
  echo "s3proxy: downloading S3Proxy $S3PROXY_VERSION jars with Maven into $LIBS_DIR"
  started="$(now_us)"
  rm -rf "$CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  # Maven 3.8.7 prints ANSI reset codes even with -B -q, so its output goes to a file shown on failure.
  if ! mvn -B -q -f "$RUNTIME_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS_DIR.partial" >"$CACHE_DIR/maven.log" 2>&1; then
    cat "$CACHE_DIR/maven.log" >&2
    die "Maven failed to download the S3Proxy jars. Check the Maven output above and the access to Maven Central."
  fi
  mv "$LIBS_DIR.partial" "$LIBS_DIR"
  echo "$pom_sha" >"$CACHE_DIR/resolved"
  echo "s3proxy: jars downloaded in $(seconds_since "$started") s"
}

# Writes the S3Proxy properties file. It contains the secret key, so only the owner may read it.
render_config() {
  mkdir -p "$S3_STATE_DIR"
  (
    umask 077
    cat >"$CONFIG_FILE" <<EOF
s3proxy.endpoint=$ENDPOINT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY_ID
s3proxy.credential=$S3_SECRET_ACCESS_KEY
jclouds.provider=$S3PROXY_PROVIDER
EOF
    if [[ $S3PROXY_PROVIDER == filesystem ]]; then
      mkdir -p "$S3_STATE_DIR/data"
      echo "jclouds.filesystem.basedir=$S3_STATE_DIR/data" >>"$CONFIG_FILE"
    fi
  )
}

# Waits until S3_PORT sends an HTTP response. Returns 1 if the process exits or the timeout passes.
wait_until_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    http_responds && return 0
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
  echo "s3proxy: pid $pid still running after ${STOP_TIMEOUT_SECONDS} s, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# Prints the error and the last 40 log lines, stops a half-started server and exits 1.
fail_start() {
  local pid=${2:-}
  echo "s3proxy: $1" >&2
  if [[ -f $LOG_FILE ]]; then
    echo "s3proxy: last 40 lines of $LOG_FILE:" >&2
    tail -n 40 "$LOG_FILE" >&2
  fi
  if [[ -n $pid ]]; then
    terminate "$pid"
    rm -f "$PID_FILE"
  fi
  die "start failed, see $LOG_FILE. Check that port $S3_PORT is free and that $CONFIG_FILE is valid."
}

start() {
  local pid started
  case "$S3PROXY_PROVIDER" in
    filesystem | transient) ;;
    *) die "invalid S3PROXY_PROVIDER '$S3PROXY_PROVIDER'. Expected filesystem or transient." ;;
  esac

  if pid="$(running_pid)"; then
    wait_until_ready "$pid" || fail_start "the server (pid $pid) is running but sent no HTTP response within $START_TIMEOUT_SECONDS s" "$pid"
    echo "s3proxy: already running (pid $pid), endpoint $ENDPOINT"
    return 0
  fi
  if port_open "$S3_PORT"; then
    die "port $S3_PORT on 127.0.0.1 is already in use by another process. Stop that process or set S3_PORT."
  fi

  check_java
  resolve_jars
  render_config
  if [[ -f $LOG_FILE ]]; then
    mv "$LOG_FILE" "$LOG_FILE.previous"
  fi

  started="$(now_us)"
  nohup java "${JAVA_HEAP[@]}" -Djava.awt.headless=true "-Dlogback.configurationFile=$RUNTIME_DIR/logback.xml" \
    -cp "$LIBS_DIR/*" org.gaul.s3proxy.Main --properties "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  if ! wait_until_ready "$pid"; then
    if kill -0 "$pid" 2>/dev/null; then
      fail_start "timed out after $START_TIMEOUT_SECONDS s waiting for the server (pid $pid) to send an HTTP response" "$pid"
    fi
    fail_start "the server (pid $pid) exited during start-up" "$pid"
  fi
  echo "s3proxy: S3Proxy $S3PROXY_VERSION ($S3PROXY_PROVIDER) started in $(seconds_since "$started") s (pid $pid), endpoint $ENDPOINT"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    echo "s3proxy: not running"
    return 0
  fi
  terminate "$pid"
  rm -f "$PID_FILE"
  echo "s3proxy: stopped (pid $pid)"
}

status() {
  if running_pid >/dev/null && http_responds; then
    echo "$ENDPOINT"
    return 0
  fi
  echo "s3proxy: not running (state dir $S3_STATE_DIR)" >&2
  return 1
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
