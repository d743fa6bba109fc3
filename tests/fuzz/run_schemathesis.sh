#!/usr/bin/env bash
# schemathesis per role (issue 10, finding 8): a production-like server (DEBUG=0, gunicorn) on its own PostgreSQL
# database with the demo data, one API token per role, and `schemathesis run --checks all` against the OpenAPI
# schema for each of them with bounded examples. Any failure fails the script (and CI).
#
#   tests/fuzz/run_schemathesis.sh                      # FUZZ_DATABASE_URL, FUZZ_MAX_EXAMPLES, FUZZ_PORT, FUZZ_SEED
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
DATABASE=${FUZZ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/trust_portal_fuzz}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-5}
# One seed, so that CI draws the same cases each run (a finding is a change in the code, not luck of the draw);
# FUZZ_SEED=<n> (or FUZZ_SEED=random) explores others.
SEED=${FUZZ_SEED:-20261201}
PORT=${FUZZ_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
ORIGIN="http://127.0.0.1:$PORT"
scratch=$(mktemp -d)
started=$(date +%s)

# The server as production runs it: DEBUG=0 (so a 500 is the problem+json of handler500), throttles out of the way
# (schemathesis sends thousands of requests; a 429 is not what is tested here), a log key of its own.
export DATABASE_URL="$DATABASE" DEBUG=0 SECRET_KEY="fuzz-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL="$ORIGIN" SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 STATIC_MANIFEST=0 \
  SECURE_HSTS_SECONDS=0 API_THROTTLE_RATE=1000000/minute API_THROTTLE_RATE_ANON=1000000/minute \
  PAGE_THROTTLE_RATE=1000000/minute PAGE_THROTTLE_RATE_ANON=1000000/minute LOGIN_FAILURE_LIMIT=1000000 \
  LOGIN_FAILURE_USER_LIMIT=1000000 LOGIN_FAILURE_IP_LIMIT=1000000 LOG_SIGNING_KEY_FILE="$scratch/log-key.pem" \
  MEDIA_ROOT="$scratch/media" LOG_LEVEL=WARNING
unset CELERY_BROKER_URL CELERY_RESULT_BACKEND CACHE_URL  # the embedded defaults: eager tasks, in-process cache

"$PY" - "$DATABASE" <<'PYTHON'
import sys
from urllib.parse import urlsplit

import psycopg

url = sys.argv[1]
name = urlsplit(url).path.lstrip("/")
with psycopg.connect(url.replace(f"/{name}", "/postgres"), autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
PYTHON
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo >/dev/null
# One token per role, from the demo's users (accounts/demo.py).
"$PY" manage.py shell -v0 -c '
from accounts.models import User
from accounts.services import api_token_create
for role, username in [("vendor_owner", "vendor"), ("vendor_member", "vendor-dev"), ("buyer", "buyer"),
                       ("arbiter", "arbiter"), ("staff", "operator")]:
    print(role, api_token_create(user=User.objects.get(username=username), name="schemathesis").plaintext)
' >"$scratch/tokens"

"$BIN/gunicorn" trust_portal.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  --error-logfile "$scratch/gunicorn.log" >"$scratch/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 1 60); do
  "$PY" -c "import socket, sys; socket.create_connection(('127.0.0.1', $PORT), timeout=1)" 2>/dev/null && break
  sleep 1
done

# The schema is the same for every caller: fetched once, so a role whose token another role's run revoked (an owner
# may revoke a member's tokens) still runs, on 401s, rather than failing to load it.
"$PY" -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())" \
  "$ORIGIN/api/v1/schema/?format=json" >"$scratch/schema.json"

# One schemathesis worker per run: with two, its threads parse Python sources concurrently (Hypothesis describing
# a strategy), which CPython 3.11.7 answers with "SystemError: AST constructor recursion depth mismatch" (a data race
# in the AST validator, fixed in later 3.11 releases). Two runs side by side instead, in separate processes, so the
# six roles fit in about half the time; configuration in schemathesis.toml.
run() {
  local role=$1
  shift
  {
    printf '\n=== schemathesis as %s (+%ss)\n' "$role" "$(( $(date +%s) - started ))"
    if "$BIN/schemathesis" run "$scratch/schema.json" --url "$ORIGIN" --checks all \
        --max-examples "$MAX_EXAMPLES" --workers 1 --phases examples,coverage,fuzzing \
        --suppress-health-check all --request-timeout 30 $seed_option "$@"; then
      touch "$scratch/passed-$role"
    fi
  } >"$scratch/out-$role" 2>&1
}
seed_option=$([ "$SEED" = random ] || echo "--seed $SEED")
token() { awk -v role="$1" '$1 == role {print "Authorization: Bearer " $2}' "$scratch/tokens"; }
# Members before owners (an owner's run may revoke a member's token or membership), staff last in its lane.
(
  run vendor_member -H "$(token vendor_member)"
  run vendor_owner -H "$(token vendor_owner)"
  run staff -H "$(token staff)"
) &
lane=$!
run anonymous
run buyer -H "$(token buyer)"
run arbiter -H "$(token arbiter)"
wait "$lane"

failed=()
for role in vendor_member vendor_owner anonymous buyer arbiter staff; do
  cat "$scratch/out-$role"
  [ -e "$scratch/passed-$role" ] || failed+=("$role")
done

printf '\n=== schemathesis done in %ss\n' "$(( $(date +%s) - started ))"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "schemathesis found failures as: ${failed[*]}" >&2
  tail -n 50 "$scratch/gunicorn.log" "$scratch/server.log" >&2 || true
  exit 1
fi
