#!/usr/bin/env bash
# Local HAPI FHIR R4 server for ms-monitor (our own Spring Boot module in this folder).
#
#   hapi.sh build                      build target/ms-monitor-hapi.jar (only if pom.xml/src changed)
#   hapi.sh start [--port P] [--db mem|file:PATH]
#                                      build if needed, start in the background, wait for
#                                      GET /fhir/metadata = 200; the last stdout line is the base URL
#   hapi.sh stop                       stop the server started by `start`
#   hapi.sh status                     "running PID URL" (exit 0) or "stopped" (exit 3)
#   hapi.sh jar | jvm-args | command   print the jar path, the JVM flags, or the full java command
#
# Running the jar directly (what `start` does):
#   java -Xmx1536m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar launch/hapi/target/ms-monitor-hapi.jar \
#        --server.port=8080 --spring.datasource.url='jdbc:h2:mem:hapi;DB_CLOSE_DELAY=-1'
# The jar also reads HAPI_PORT, HAPI_DB_URL, HAPI_ADDRESS (default 127.0.0.1) and the other
# HAPI_* variables listed in src/main/resources/application.yaml.
#
# Environment of this script:
#   HAPI_RUN_DIR          where hapi.pid, hapi.log and hapi.url go (default: target/run here)
#   HAPI_PORT             default port for `start` (8080); --port 0 picks a free port
#   HAPI_START_TIMEOUT    seconds to wait for /metadata (300)
#   HAPI_JAVA_OPTS        extra JVM flags, appended to the default ones
#   JAVA_HOME             Java 17; else /usr/lib/jvm/java-17-openjdk-amd64 if present, else `java`
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$HERE/target/ms-monitor-hapi.jar"
HASH_FILE="$HERE/target/ms-monitor-hapi.jar.srchash"
RUN_DIR="${HAPI_RUN_DIR:-$HERE/target/run}"
PID_FILE="$RUN_DIR/hapi.pid"
LOG_FILE="$RUN_DIR/hapi.log"
URL_FILE="$RUN_DIR/hapi.url"
START_TIMEOUT="${HAPI_START_TIMEOUT:-300}"

# Bounded heap; C1 only and the serial collector start faster on 2 cores and cost
# little for a test server.
JVM_ARGS=(-Xmx1536m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
# shellcheck disable=SC2206
[[ -n "${HAPI_JAVA_OPTS:-}" ]] && JVM_ARGS+=(${HAPI_JAVA_OPTS})

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
elif [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
  JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
else
  JAVA=java
fi

log() { echo "hapi.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Hash of everything the jar is built from: a changed pom.xml or source means rebuild.
source_hash() {
  (cd "$HERE" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# mvn -q still prints colour-reset codes; strip them. Output goes to stderr.
mvn_quiet() {
  local java_home="$1"; shift
  JAVA_HOME="$java_home" mvn -q -B "$@" -f "$HERE/pom.xml" package -DskipTests 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' >&2
}

cmd_build() {
  mkdir -p "$HERE/target"
  # One build at a time (parallel test runs may all call start).
  exec 9>"$HERE/target/.build.lock"
  flock 9
  local want
  want="$(source_hash)"
  if [[ -f "$JAR" && -f "$HASH_FILE" && "$(cat "$HASH_FILE")" == "$want" ]]; then
    exec 9>&-
    return 0
  fi
  log "building $JAR ..."
  local java_home
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")"
  # Offline first (fast, works once ~/.m2 is filled), then online.
  if ! mvn_quiet "$java_home" -o; then
    log "offline build failed, retrying online"
    mvn_quiet "$java_home" || die "build failed"
  fi
  echo "$want" >"$HASH_FILE"
  exec 9>&-
  log "built $JAR"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd_start() {
  local port="${HAPI_PORT:-8080}" db="mem"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="${2:?--port needs a value}"; shift 2 ;;
      --port=*) port="${1#--port=}"; shift ;;
      --db) db="${2:?--db needs a value}"; shift 2 ;;
      --db=*) db="${1#--db=}"; shift ;;
      *) die "start: unknown argument $1" ;;
    esac
  done

  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid); stop it first to change --port/--db"
    cat "$URL_FILE"
    return 0
  fi

  local db_url
  case "$db" in
    mem) db_url="jdbc:h2:mem:hapi;DB_CLOSE_DELAY=-1" ;;
    file:*)
      local path="${db#file:}"
      [[ -n "$path" ]] || die "--db file:PATH needs a path"
      mkdir -p "$(dirname "$path")"
      # H2 wants an absolute path (or ./relative); make it absolute.
      path="$(cd "$(dirname "$path")" && pwd)/$(basename "$path")"
      db_url="jdbc:h2:file:$path"
      ;;
    *) die "--db must be mem or file:PATH (got $db)" ;;
  esac
  [[ "$port" == 0 ]] && port="$(free_port)"

  local url="http://127.0.0.1:$port/fhir"
  # Something else already answering there would pass our readiness check.
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    die "port $port is already in use by another process"
  fi
  cmd_build
  mkdir -p "$RUN_DIR"
  log "starting HAPI FHIR on port $port, db $db_url (log: $LOG_FILE)"
  local t0=$SECONDS
  nohup "$JAVA" "${JVM_ARGS[@]}" -jar "$JAR" \
    "--server.port=$port" "--spring.datasource.url=$db_url" >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$url" >"$URL_FILE"

  while true; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log "HAPI exited during start-up; last lines of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if curl -sf -o /dev/null --max-time 10 "$url/metadata"; then
      break
    fi
    if (( SECONDS - t0 > START_TIMEOUT )); then
      log "no answer from $url/metadata after ${START_TIMEOUT}s; stopping it. Last lines of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      cmd_stop
      exit 1
    fi
    sleep 1
  done
  log "ready in $((SECONDS - t0))s (pid $pid)"
  echo "$url"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop in 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running $pid $(cat "$URL_FILE" 2>/dev/null)"
  else
    echo "stopped"
    exit 3
  fi
}

case "${1:-}" in
  build) cmd_build ;;
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  jar) echo "$JAR" ;;
  jvm-args) echo "${JVM_ARGS[*]}" ;;
  command) echo "$JAVA ${JVM_ARGS[*]} -jar $JAR --server.port=PORT --spring.datasource.url=JDBC_URL" ;;
  *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
