#!/bin/sh
# Prepares a fresh Temporal server for the bridge: creates the namespace with its retention and, when
# SEARCH_ATTRIBUTES is set ("Name=Keyword …"), registers those search attributes (the worker also
# registers missing ones at start). Idempotent. Uses the `temporal` CLI (TEMPORAL_CLI names another
# binary) with TEMPORAL_ADDRESS.
#
# RETENTION is how long a closed workflow is kept, and so how long a redelivered webhook is recognised
# as a duplicate: it must cover HubSpot's retry horizon of 3 days, hence 72h at least.
set -eu
cli=${TEMPORAL_CLI:-temporal}
ns=${NAMESPACE:-default}
retention=${RETENTION:-72h}
# retry N command...: the server's port opens before it serves, and a new namespace takes a few seconds
# to reach the server's namespace cache.
retry() {
  n=$1; shift; i=1
  until "$@"; do [ "$i" -lt "$n" ] || return 1; i=$((i + 1)); sleep 2; done
}
retry 60 "$cli" operator cluster health
if "$cli" operator namespace describe -n "$ns" >/dev/null 2>&1; then
  echo "Namespace $ns exists."
else
  "$cli" operator namespace create -n "$ns" --retention "$retention"
fi
for sa in ${SEARCH_ATTRIBUTES:-}; do
  retry 30 "$cli" operator search-attribute create -n "$ns" --name "${sa%%=*}" --type "${sa#*=}"
done
