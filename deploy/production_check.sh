#!/usr/bin/env bash
# CI's production stage (.ci/run, after the suite): the production path exactly as the
# Dockerfile and docker-compose.yml run it, on the host, through deploy/entrypoint.sh:
# a fresh virtualenv, DEBUG off with the documented HTTPS settings, the compose file
# validated, `check --deploy`, collectstatic, migrate, gunicorn, a Celery worker and
# beat on PostgreSQL and Redis, then deploy/smoke.py as a client, then everything
# stopped. Any failure (a step, a process that dies, the smoke test) exits non-zero.
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n=== production: %s\n' "$*"; }

work="$(mktemp -d /tmp/governance-production.XXXXXX)"
port="${PRODUCTION_PORT:-18590}"
database="${PRODUCTION_DATABASE:-governance_production}"
redis_db="${PRODUCTION_REDIS_DB:-14}"

if [ -n "${PRODUCTION_VENV:-}" ]; then
  log "virtualenv $PRODUCTION_VENV (given; CI always makes a fresh one)"
  venv="$PRODUCTION_VENV"
else
  log "fresh virtualenv in $work/venv"
  venv="$work/venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r requirements.txt
fi
export PATH="$venv/bin:$PATH"

# The environment of a production deployment behind the city's HTTPS proxy.
unset DEBUG DJANGO_SETTINGS_MODULE CACHE_URL
SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
GOVERNANCE_PII_KEY="$(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
METRICS_TOKEN="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
export SECRET_KEY GOVERNANCE_PII_KEY METRICS_TOKEN
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
export CELERY_BROKER_URL="redis://127.0.0.1:6379/$redis_db"
export GOVERNANCE_VAR_DIR="$work/var" STATIC_ROOT="$work/static" MEDIA_ROOT="$work/media"
export ALLOWED_HOSTS="grid.example.test,127.0.0.1" CSRF_TRUSTED_ORIGINS="https://grid.example.test"
export BEHIND_HTTPS_PROXY=1 LOG_FORMAT=json
# Only the token opens /metrics here (the smoke test checks that loopback alone does not).
export METRICS_ALLOWED_NETWORKS="192.0.2.0/24"
# Every .xlsx read in parts, as a sheet too big to hold whole is (the smoke test's .xlsx).
export IMPORT_XLSX_CALAMINE_CELLS=1
export WEB_BIND="127.0.0.1:$port" WEB_CONCURRENCY=2 CELERY_CONCURRENCY=2 TIMER_SWEEP_SECONDS=5
export CELERY_BEAT_SCHEDULE="$work/celerybeat-schedule" PROMETHEUS_MULTIPROC_DIR="$work/metrics"

log "docker-compose.yml against the compose specification's JSON schema"
check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

log "manage.py check --deploy (fails on every warning, drf-spectacular's included)"
deploy/entrypoint.sh check --fail-level WARNING >"$work/check.log" 2>&1 || { cat "$work/check.log"; exit 1; }
cat "$work/check.log"
if grep -E '\([a-z_.]+\.[WE][0-9]+\)' "$work/check.log"; then
  echo "check --deploy reports the issues above"; exit 1
fi

log "database $database and Redis db $redis_db, empty"
dropdb -h 127.0.0.1 -U postgres --if-exists "$database"
createdb -h 127.0.0.1 -U postgres "$database"
python -c 'import os, redis; redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()'

log "collectstatic"
deploy/entrypoint.sh collectstatic
log "migrate"
deploy/entrypoint.sh migrate
log "demo city and an API client"
python manage.py load_demo_city >"$work/demo.log" 2>&1 || { tail -30 "$work/demo.log"; exit 1; }
api_key="$(python manage.py create_api_client smoke-test --user yuetang_worker 2>/dev/null | tail -1)"

log "gunicorn, worker and beat"
pids=()
for process in web worker beat; do
  setsid deploy/entrypoint.sh "$process" >"$work/$process.log" 2>&1 &
  pids+=($!)
done
stop() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=""
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
show_logs() { for process in web worker beat; do echo "--- $process.log (last 40 lines)"; tail -40 "$work/$process.log"; done; }
trap 'stop' EXIT

up=""
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
  sleep 1
done
[ -n "$up" ] || { echo "gunicorn did not answer /healthz"; show_logs; exit 1; }

log "smoke test"
if ! python deploy/smoke.py --base "http://127.0.0.1:$port" --api-key "$api_key" --logs "$work"; then
  show_logs; exit 1
fi

log "every process still running, then stopped"
names=(web worker beat)
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || { echo "${names[$i]} died during the smoke test"; show_logs; exit 1; }
done
stop
trap - EXIT
for i in "${!pids[@]}"; do
  if kill -0 "${pids[$i]}" 2>/dev/null; then echo "${names[$i]} did not stop"; exit 1; fi
done
dropdb -h 127.0.0.1 -U postgres --if-exists "$database"
rm -rf "$work"
log "passed"
