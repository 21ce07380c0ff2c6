#!/usr/bin/env bash
# `make prod-test`: the production topology without Docker. Starts PostgreSQL (Debian's package) in a
# temporary data directory, creates the schema with schema.sh, starts bin/temporal-server with
# production.yaml, prepares the namespace with setup.sh (retention 72h, no search attributes: the worker
# must register them), then runs TestProductionTopology (internal/chaos) against it. Everything listens on
# free loopback ports and is removed afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$repo/bin

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2
  exit 1
fi

work=$(mktemp -d /tmp/bridge-prod-XXXXXX)
chmod 755 "$work"
# PostgreSQL refuses to run as root: as root, run it as the package's postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# free PORT...: true when nothing listens on any of them.
free() { for p; do if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi; done; }
# 12 consecutive free ports from a random base: PostgreSQL, then the server's gRPC, membership, HTTP and
# metrics ports. Below 32768: the SQL schema stores membership ports as smallint.
for _ in $(seq 50); do
  base=$((20000 + RANDOM % 12000))
  free $(seq "$base" $((base + 11))) && break
done
pg_port=$base
export FRONTEND_GRPC_PORT=$((base + 1)) FRONTEND_MEMBERSHIP_PORT=$((base + 2)) FRONTEND_HTTP_PORT=$((base + 3))
export HISTORY_GRPC_PORT=$((base + 4)) HISTORY_MEMBERSHIP_PORT=$((base + 5))
export MATCHING_GRPC_PORT=$((base + 6)) MATCHING_MEMBERSHIP_PORT=$((base + 7))
export WORKER_GRPC_PORT=$((base + 8)) WORKER_MEMBERSHIP_PORT=$((base + 9))
export PROMETHEUS_ENDPOINT=127.0.0.1:$((base + 10))
address=127.0.0.1:$FRONTEND_GRPC_PORT

echo "== PostgreSQL $(basename "$(dirname "$pgbin")") on 127.0.0.1:$pg_port ($work)"
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir "$work/pg"
printf '%s\n' "$password" >"$work/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg" "$work/pwfile"
as_pg "$pgbin/initdb" -D "$work/pg" -U temporal --pwfile="$work/pwfile" --auth=scram-sha-256 >"$work/initdb.log"
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w start \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" >/dev/null

echo "== schema (deploy/temporal/schema.sh)"
SQL_TOOL=$bin/temporal-sql-tool SQL_HOST=127.0.0.1 SQL_PORT=$pg_port SQL_USER=temporal SQL_PASSWORD=$password \
  "$here/schema.sh" >"$work/schema.log" 2>&1 || { cat "$work/schema.log"; exit 1; }

echo "== Temporal server on $address (deploy/temporal/production.yaml)"
# The server ignores unknown keys and bad values with a warning only: refuse them here.
dc=$("$bin/temporal-server" validate-dynamic-config "$here/dynamicconfig.yaml" 2>&1)
if grep -qiE 'warning|error' <<<"$dc"; then echo "$dc" >&2; exit 1; fi
POSTGRES_SEEDS=127.0.0.1 DB_PORT=$pg_port POSTGRES_USER=temporal POSTGRES_PWD=$password \
  DYNAMIC_CONFIG_FILE_PATH=$here/dynamicconfig.yaml \
  "$bin/temporal-server" --root / --config "$here" --env production --allow-no-auth start >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the Temporal server exited; its log ends:" >&2
    tail -n 30 "$work/server.log" >&2
    exit 1
  fi
  "$bin/temporal" operator cluster health --address "$address" >/dev/null 2>&1 && break
  sleep 1
done

echo "== namespace (deploy/temporal/setup.sh)"
env -i PATH="$PATH" HOME="$work" TEMPORAL_CLI="$bin/temporal" TEMPORAL_ADDRESS="$address" NAMESPACE=default \
  "$here/setup.sh" || { tail -n 50 "$work/server.log"; exit 1; }

echo "== TestProductionTopology"
cd "$repo"
PROD_TEMPORAL_ADDRESS=$address go test -count=1 -v -timeout 15m -run '^TestProductionTopology$' ./internal/chaos/ ||
  { echo "-- Temporal server log (end):"; tail -n 50 "$work/server.log"; exit 1; }
