#!/usr/bin/env bash
# `make run`: the whole system on this machine. Starts the Temporal dev server (persistent, with the Web
# UI and our search attributes), the simulated APIs for whichever of Extole/HubSpot has no token, the
# worker and the webhook server. Ctrl-C stops everything.
#
# SANDBOX=true (webhooks accepted without credentials) only when BOTH APIs are simulated: with one real
# token, anyone reaching the port could drive the real account. Then webhook authentication stays on, and
# keys the user has not set are generated for this run and printed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .env ]; then set -a; . ./.env; set +a; fi

TEMPORAL=bin/temporal
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}
# HTTP_ADDR is left unset unless the user sets it: the server then binds 127.0.0.1:8080 in sandbox mode.
export LOG_FORMAT=${LOG_FORMAT:-console}
HTTP_ADDR_SHOWN=${HTTP_ADDR:-:8080}
HTTP_PORT=${HTTP_ADDR_SHOWN##*:}
mkdir -p .temporal

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping..."
  # Newest first, so the webhook server and the worker finish while Temporal is still up.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup INT TERM EXIT

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$name did not come up; see the logs above and .temporal/server.log" >&2
  exit 1
}

sa_flags=()
for sa in ${SEARCH_ATTRIBUTES:-}; do sa_flags+=(--search-attribute "$sa"); done
# matching.useNewMatcher: Server 1.29 honours task-queue priority (live events before backfill) only with it.
echo "Starting the Temporal dev server (gRPC :$TEMPORAL_PORT, Web UI :$TEMPORAL_UI_PORT, data in .temporal/dev.db)..."
"$TEMPORAL" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename .temporal/dev.db "${sa_flags[@]}" --log-level warn \
  --dynamic-config-value matching.useNewMatcher=true >.temporal/server.log 2>&1 &
pids+=($!)
wait_for "Temporal" "$TEMPORAL" operator cluster health --address "$TEMPORAL_ADDRESS"

sandboxed=()
if [ -z "${EXTOLE_ACCESS_TOKEN:-}" ]; then
  export EXTOLE_ACCESS_TOKEN=sandbox-extole-token EXTOLE_BASE_URL=http://127.0.0.1:8091
  sandboxed+=(Extole)
fi
if [ -z "${HUBSPOT_ACCESS_TOKEN:-}" ]; then
  export HUBSPOT_ACCESS_TOKEN=sandbox-hubspot-token HUBSPOT_BASE_URL=http://127.0.0.1:8092
  sandboxed+=(HubSpot)
fi
random_key() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }
generated=()
if [ ${#sandboxed[@]} -eq 2 ]; then
  export SANDBOX=true
else
  if [ -z "${HUBSPOT_WEBHOOK_API_KEY:-}" ] && [ -z "${HUBSPOT_CLIENT_SECRET:-}" ]; then
    export HUBSPOT_WEBHOOK_API_KEY; HUBSPOT_WEBHOOK_API_KEY=$(random_key)
    generated+=("HUBSPOT_WEBHOOK_API_KEY=$HUBSPOT_WEBHOOK_API_KEY")
  fi
  if [ -z "${EXTOLE_WEBHOOK_TOKEN:-}" ]; then
    export EXTOLE_WEBHOOK_TOKEN; EXTOLE_WEBHOOK_TOKEN=$(random_key)
    generated+=("EXTOLE_WEBHOOK_TOKEN=$EXTOLE_WEBHOOK_TOKEN")
  fi
fi
if [ ${#sandboxed[@]} -gt 0 ]; then
  echo "No credentials for ${sandboxed[*]}: starting the sandbox (simulated APIs on loopback)..."
  # The simulated share-link extension answers backfill events (BACKFILL_ROUTE=events) through our webhook.
  bin/starter sandbox --share-link-webhook "http://127.0.0.1:$HTTP_PORT/webhooks/extole/share-links" &
  pids+=($!)
fi

bin/worker &
pids+=($!)
bin/starter serve &
pids+=($!)
wait_for "the webhook server" curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz"

key_header=""
if [ -n "${HUBSPOT_WEBHOOK_API_KEY:-}" ]; then
  key_header=" -H \"${HUBSPOT_WEBHOOK_API_KEY_NAME:-X-API-Key}: \$HUBSPOT_WEBHOOK_API_KEY\""
fi
cat <<MSG

================================================================================
 HubSpot ⇄ Extole bridge is running.

 Temporal Web UI : http://localhost:$TEMPORAL_UI_PORT
 Webhook (HubSpot): http://localhost:$HTTP_PORT/webhooks/hubspot/events
 Webhook (Extole) : http://localhost:$HTTP_PORT/webhooks/extole/share-links
MSG
if [[ " ${sandboxed[*]} " == *" Extole "* ]]; then
  echo " Sandbox Extole  : http://127.0.0.1:8091/_sandbox/events   (what Extole received)"
fi
if [[ " ${sandboxed[*]} " == *" HubSpot "* ]]; then
  echo " Sandbox HubSpot : http://127.0.0.1:8092/_sandbox/contacts (what HubSpot holds)"
fi
if [ ${#generated[@]} -gt 0 ]; then
  echo
  echo " A real API is configured, so webhooks need credentials. Generated for this run (put them in"
  echo " .env to keep them; paste into your shell to use the curl below):"
  for kv in "${generated[@]}"; do echo "   export $kv"; done
fi
cat <<MSG

 Try it (a referred signup, as a HubSpot workflow webhook sends it):

   curl -sS -X POST http://localhost:$HTTP_PORT/webhooks/hubspot/events$key_header \\
     -H 'Content-Type: application/json' \\
     -d '{"event_name":"signed_up","data":{"email":"jane@example.com","advocate_code":"alex01","first_name":"Jane","last_name":"Doe","event_date":"2026-11-26T10:00:00Z","partner_conversion_id":"pc-$(date +%s)","company":"Example Co","extole_app_type":"hubspot"}}'

 Ctrl-C stops everything.
================================================================================
MSG
wait -n "${pids[@]}"
echo "A process exited; shutting down." >&2
