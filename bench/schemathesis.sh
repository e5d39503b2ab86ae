#!/bin/sh
# Check the OpenAPI schema against a live server with schemathesis: no 5xx answers, and
# every answer's status, content type, headers and body match /api/schema/. Generated
# strings may hold NUL bytes and any other control character (utf-8 codec): the
# malformed-input guard must answer them 400 in the API's error shape, never 5xx.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_st CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \
#       bench/schemathesis.sh [MAX_EXAMPLES]
#
# It creates and migrates the database (a throwaway one: the run files events, grants
# roles, imports files), loads the demo city, creates an API client for the street
# dispatcher leping_dispatcher, serves the platform with gunicorn on $PORT and runs
# schemathesis, installed into its own virtualenv ($ST_VENV) from bench/requirements-bench.txt.
set -eu
cd "$(dirname "$0")/.."
PORT=${PORT:-8767}
ST_VENV=${ST_VENV:-var/schemathesis-venv}
EXAMPLES=${1:-25}
export DEBUG=0 LOG_LEVEL=WARNING
export SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export GOVERNANCE_PII_KEY=${GOVERNANCE_PII_KEY:-$(.venv/bin/python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')}
export API_THROTTLE_RATE=1000000/second

[ -x "$ST_VENV/bin/schemathesis" ] || { python3 -m venv "$ST_VENV" && "$ST_VENV/bin/pip" install -q -r bench/requirements-bench.txt; }
.venv/bin/python -c "import os, sys; sys.path.insert(0, 'bench'); from bench_grids import ensure_database; ensure_database(os.environ['DATABASE_URL'])"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py load_demo_city >/dev/null
KEY=$(.venv/bin/python manage.py create_api_client "schemathesis" --user leping_dispatcher 2>/dev/null)

# No request-line limit: schemathesis sends very long query strings, which gunicorn
# would refuse itself (414, an HTML page) before the platform sees them.
.venv/bin/gunicorn -w 2 -b 127.0.0.1:$PORT --log-level warning --limit-request-line 0 governance.wsgi &
SERVER=$!
trap 'kill $SERVER' EXIT
"$ST_VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/schema/" --wait-for-schema 30 \
    -H "Authorization: Token $KEY" -H "Accept-Language: en" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" --workers 2 --generation-database none \
    --generation-allow-x00 true --generation-codec utf-8
