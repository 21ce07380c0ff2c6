#!/bin/sh
# Creates the Temporal databases in PostgreSQL and brings both schemas (default and visibility) to the
# version the SQL tool embeds. Idempotent: run it before every server start or upgrade.
# Connection from the SQL tool's own variables: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
# SQL_TOOL names the binary (temporal-sql-tool in the temporalio/admin-tools image; `make prod-test`
# passes bin/temporal-sql-tool).
set -eu
# schema DATABASE EMBEDDED-SCHEMA
schema() {
  "${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --db "$1" create-database
  "${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --db "$1" setup-schema -v 0.0
  "${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --db "$1" update-schema --schema-name "$2"
}
schema "${DBNAME:-temporal}" postgresql/v12/temporal
schema "${VISIBILITY_DBNAME:-temporal_visibility}" postgresql/v12/visibility
echo "PostgreSQL schema is up to date."
