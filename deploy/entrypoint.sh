#!/usr/bin/env bash
# The one way the platform's production processes start: the Dockerfile and
# docker-compose.yml call it, and so does CI's production stage (.ci/run →
# deploy/production_check.sh) on the host. docs/deployment.md explains each command.
#
#   deploy/entrypoint.sh collectstatic   hashed and compressed static files into STATIC_ROOT
#   deploy/entrypoint.sh migrate         apply migrations (before new web and workers start)
#   deploy/entrypoint.sh check           manage.py check --deploy
#   deploy/entrypoint.sh web             gunicorn (deploy/gunicorn.conf.py: WEB_BIND, WEB_CONCURRENCY)
#   deploy/entrypoint.sh worker          a Celery worker (CELERY_CONCURRENCY)
#   deploy/entrypoint.sh beat            Celery beat: exactly one in the whole deployment
#   deploy/entrypoint.sh ready [CHECK…]  exit 0 when the readiness checks pass (all, or those named)
#   deploy/entrypoint.sh <anything else> run it as given (e.g. python manage.py createsuperuser)
#
# Production mode: DEBUG off, SECRET_KEY and GOVERNANCE_PII_KEY set (settings.py refuses
# to start otherwise). `python`, `gunicorn` and `celery` are taken from PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

command="${1:-web}"
[ $# -gt 0 ] && shift
case "$command" in
  collectstatic)
    exec python manage.py collectstatic --noinput "$@" ;;
  migrate)
    exec python manage.py migrate --noinput "$@" ;;
  check)
    exec python manage.py check --deploy "$@" ;;
  web)
    # Request metrics of all gunicorn workers meet in this folder; stale files from a
    # previous run would be counted again, so it starts empty.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/governance-metrics}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec gunicorn --config deploy/gunicorn.conf.py governance.wsgi:application "$@" ;;
  worker)
    exec celery -A governance worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-4}" \
      --without-gossip --without-mingle "$@" ;;
  beat)
    schedule="${CELERY_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}"
    exec celery -A governance beat --loglevel=INFO --schedule "$schedule" "$@" ;;
  ready)
    exec python manage.py readiness "$@" ;;
  *)
    exec "$command" "$@" ;;
esac
