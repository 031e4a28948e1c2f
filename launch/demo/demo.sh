#!/usr/bin/env bash
# The local demo stack: HAPI FHIR (file database), the synthetic cohort, ms-monitor's plan store (a
# second launch/hapi server, file database), Redis, a queue worker, the SMART EHR sandbox and the
# app (gunicorn). Every process listens on 127.0.0.1 only.
#   launch/demo/demo.sh start    start what is not running yet, print the launcher URL
#   launch/demo/demo.sh stop     stop everything it started
#   launch/demo/demo.sh status
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
run=${DEMO_RUN_DIR:-$repo/.run}
venv=${VENV:-$repo/.venv}
HAPI_PORT=${HAPI_PORT:-8080}
SANDBOX_PORT=${SANDBOX_PORT:-9090}
APP_PORT=${APP_PORT:-5000}
REDIS_PORT=${REDIS_PORT:-6380}
PLAN_STORE_PORT=${PLAN_STORE_PORT:-8081}
export HAPI_RUN_DIR=$run/hapi
fhir=http://127.0.0.1:$HAPI_PORT/fhir
plan_store=http://127.0.0.1:$PLAN_STORE_PORT/fhir
app=http://127.0.0.1:$APP_PORT
sandbox=http://127.0.0.1:$SANDBOX_PORT

running() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

wait_http() {  # wait_http NAME URL SECONDS
  for _ in $(seq "$3"); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    running "$1" || { echo "$1 died; see $run/$1.log" >&2; tail -20 "$run/$1.log" >&2; exit 1; }
    sleep 1
  done
  echo "$1 did not answer at $2 within $3 s; see $run/$1.log" >&2
  exit 1
}

background() {  # background NAME COMMAND... (logs and pid under .run/)
  local name=$1; shift
  running "$name" && return 0
  nohup "$@" >"$run/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
}

secret() {  # a random secret kept in .run/ (mode 600) so restarts keep sessions and hooks valid
  [ -f "$run/$1" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run/$1")
  cat "$run/$1"
}

app_env() {
  export MS_MONITOR_ISSUERS_FILE=$repo/launch/demo/issuers.json
  export MS_MONITOR_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
  export MS_MONITOR_COOKIE_SECURE=false  # plain http on 127.0.0.1; use https in production
  export MS_MONITOR_FRAME_ANCESTORS="'self' $sandbox"
  export MS_MONITOR_FHIR_BASE_URL=$fhir
  export MS_MONITOR_PLAN_STORE_URL=$plan_store
  MS_MONITOR_SECRET_KEY=$(secret secret_key)
  MS_MONITOR_WEBHOOK_SECRET=$(secret webhook_secret)
  export MS_MONITOR_SECRET_KEY MS_MONITOR_WEBHOOK_SECRET
}

start() {
  for tool in java mvn redis-server curl; do
    command -v "$tool" >/dev/null || { echo "make demo needs $tool (see README, Prerequisites)" >&2; exit 1; }
  done
  mkdir -p "$run"
  bash "$repo/launch/hapi/hapi.sh" start --port "$HAPI_PORT" --db "file:$run/hapi-db/h2" >/dev/null
  "$venv/bin/ms-monitor" seed --fhir-base "$fhir"
  # the plan store: where plans go when the EHR (e.g. the sandbox as Epic) refuses CarePlan/Task
  HAPI_RUN_DIR=$run/plan-store HAPI_JAVA_OPTS=-Xmx512m bash "$repo/launch/hapi/hapi.sh" start \
    --port "$PLAN_STORE_PORT" --db "file:$run/plan-store-db/h2" >/dev/null
  running redis || {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$run" --appendonly yes \
      --daemonize yes --pidfile "$run/redis.pid" --logfile "$run/redis.log"
    sleep 0.5
  }
  app_env
  background worker "$venv/bin/ms-monitor" worker
  background sandbox "$venv/bin/ms-monitor" sandbox --port "$SANDBOX_PORT" \
    --fhir-upstream "$fhir" --app-base-url "$app"
  background app "$venv/bin/gunicorn" --bind "127.0.0.1:$APP_PORT" --workers 2 --threads 4 \
    "smart_app.wsgi:app"
  wait_http sandbox "$sandbox/fhir/.well-known/smart-configuration" 60
  wait_http app "$app/healthz" 60
  # event-driven updates: HAPI calls the app's webhook on new EDSS/MRI/DMT data; the worker acts
  "$venv/bin/ms-monitor" subscribe --fhir-base "$fhir" --webhook-url "$app/hooks/fhir" >/dev/null
  cat <<TEXT

ms-monitor demo is running (logs in $run/):
  EHR launcher (pick a patient, the app opens in the EHR frame):  $sandbox/ehr
  standalone launch with the patient picker:                      $app/standalone
  open-server mode straight on HAPI (no auth):                    $app/launch?iss=$fhir&patient=msm-001
  HAPI FHIR R4:                                                   $fhir
  ms-monitor's plan store (plans the EHR does not accept):        $plan_store
Stop it with: make stop
TEXT
}

stop() {
  for name in app sandbox worker; do
    if running "$name"; then kill "$(cat "$run/$name.pid")" 2>/dev/null || true; fi
    rm -f "$run/$name.pid"
  done
  if running redis; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$run/redis.pid")"; fi
  bash "$repo/launch/hapi/hapi.sh" stop >/dev/null || true
  HAPI_RUN_DIR=$run/plan-store bash "$repo/launch/hapi/hapi.sh" stop >/dev/null || true
  echo "ms-monitor demo stopped"
}

status() {
  for name in redis worker sandbox app; do
    if running "$name"; then echo "$name: running (pid $(cat "$run/$name.pid"))"; else echo "$name: stopped"; fi
  done
  bash "$repo/launch/hapi/hapi.sh" status || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
