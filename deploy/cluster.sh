#!/usr/bin/env bash
# A multi-node run on one machine: two app servers (gunicorn) behind a load balancer (haproxy), two Celery
# workers and one beat, on one PostgreSQL database and one Redis of their own.
#
#   deploy/cluster.sh start            # fresh database loyalty_cluster, Redis on :6391, haproxy on :8100
#   deploy/cluster.sh kill app1        # SIGKILL an app server (its whole process group) or a worker (worker1)
#   deploy/cluster.sh restart app1     # start it again
#   deploy/cluster.sh redis-stop|redis-start
#   deploy/cluster.sh stop
#
# bench/cluster_run.py drives a load through it, kills and restarts nodes, and checks the ledger afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN="${CLUSTER_DIR:-/tmp/loyalty-cluster}"
PY="$ROOT/.venv/bin/python"
PG_URL="${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loyalty_cluster}"
REDIS_PORT="${CLUSTER_REDIS_PORT:-6391}"
LB_PORT="${CLUSTER_PORT:-8100}"
APP_PORTS=(8101 8102)

export DATABASE_URL="$PG_URL"
export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/1"
export CELERY_BROKER_URL="redis://127.0.0.1:${REDIS_PORT}/0"
export DJANGO_DEBUG=false
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-cluster-run-secret-key-not-for-production-0123456789abcdef}"
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
export API_RATE_LIMIT="${API_RATE_LIMIT:-900/min}"
export API_ANON_RATE_LIMIT="${API_ANON_RATE_LIMIT:-100000/min}"
export NUM_PROXIES=1
export DJANGO_CONN_MAX_AGE=60
export METRICS_TOKEN="${METRICS_TOKEN:-cluster-metrics}"
# The sweepers catch up quickly after a kill (production keeps the defaults).
export CELERY_VISIBILITY_TIMEOUT="${CELERY_VISIBILITY_TIMEOUT:-30}"

mkdir -p "$RUN"

pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_app() {
  local name=$1 port=$2
  mkdir -p "$RUN/metrics-$name"
  PROMETHEUS_MULTIPROC_DIR="$RUN/metrics-$name" setsid "$ROOT/.venv/bin/gunicorn" loyalty.wsgi \
    --config "$ROOT/gunicorn.conf.py" --bind "127.0.0.1:$port" --workers 2 \
    --graceful-timeout 10 >>"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

start_worker() {
  local name=$1
  setsid "$ROOT/.venv/bin/celery" -A loyalty worker -n "$name@%h" --concurrency 2 --without-gossip \
    --without-mingle --loglevel INFO >>"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

start_beat() {
  setsid "$ROOT/.venv/bin/celery" -A loyalty beat --loglevel INFO \
    --schedule "$RUN/celerybeat-schedule" >>"$RUN/beat.log" 2>&1 &
  echo $! >"$RUN/beat.pid"
}

redis_start() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --dir "$RUN"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
  echo "redis did not start" >&2; return 1
}

redis_stop() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }

wait_http() {
  local url=$1
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$url" 2>/dev/null && return 0; sleep 0.2; done
  echo "no answer from $url" >&2; return 1
}

kill_group() {
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -"${2:-KILL}" -- "-$pid" 2>/dev/null || true
}

case "${1:-}" in
  start)
    "$0" stop >/dev/null 2>&1 || true
    redis_start
    psql -h 127.0.0.1 -U postgres -d postgres -qtA -c "DROP DATABASE IF EXISTS loyalty_cluster WITH (FORCE)" >/dev/null
    psql -h 127.0.0.1 -U postgres -d postgres -qtA -c "CREATE DATABASE loyalty_cluster" >/dev/null
    "$PY" manage.py migrate --noinput >"$RUN/migrate.log" 2>&1
    "$PY" manage.py collectstatic --noinput >/dev/null 2>&1
    start_app app1 "${APP_PORTS[0]}"
    start_app app2 "${APP_PORTS[1]}"
    start_worker worker1
    start_worker worker2
    start_beat
    sed -e "s/@LB_PORT@/$LB_PORT/" -e "s/@APP1@/${APP_PORTS[0]}/" -e "s/@APP2@/${APP_PORTS[1]}/" \
      deploy/haproxy.cfg >"$RUN/haproxy.cfg"
    haproxy -D -f "$RUN/haproxy.cfg" -p "$RUN/haproxy.pid"
    wait_http "http://127.0.0.1:${APP_PORTS[0]}/healthz"
    wait_http "http://127.0.0.1:${APP_PORTS[1]}/healthz"
    wait_http "http://127.0.0.1:${LB_PORT}/healthz"
    echo "cluster up: http://127.0.0.1:${LB_PORT} (apps :${APP_PORTS[0]} :${APP_PORTS[1]}, redis :${REDIS_PORT}, logs $RUN)"
    ;;
  kill)
    kill_group "$2" KILL
    ;;
  restart)
    case "$2" in
      app1) start_app app1 "${APP_PORTS[0]}"; wait_http "http://127.0.0.1:${APP_PORTS[0]}/healthz" ;;
      app2) start_app app2 "${APP_PORTS[1]}"; wait_http "http://127.0.0.1:${APP_PORTS[1]}/healthz" ;;
      worker1|worker2) start_worker "$2" ;;
      beat) start_beat ;;
      *) echo "unknown node $2" >&2; exit 2 ;;
    esac
    ;;
  redis-stop) redis_stop ;;
  redis-start) redis_start ;;
  env)
    # For tools that talk to the cluster's database and Redis (bench/cluster_run.py).
    env | grep -E '^(DATABASE_URL|REDIS_URL|CELERY_BROKER_URL|DJANGO_SECRET_KEY|API_RATE_LIMIT|METRICS_TOKEN)='
    ;;
  stop)
    for node in app1 app2 worker1 worker2 beat; do kill_group "$node" TERM; done
    [ -f "$RUN/haproxy.pid" ] && kill "$(cat "$RUN/haproxy.pid")" 2>/dev/null || true
    sleep 2
    for node in app1 app2 worker1 worker2 beat; do kill_group "$node" KILL; done
    redis_stop
    echo "cluster stopped"
    ;;
  *)
    echo "usage: $0 start|stop|kill NODE|restart NODE|redis-stop|redis-start|env" >&2
    exit 2
    ;;
esac
