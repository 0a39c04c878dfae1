#!/bin/sh
# Creates (once) and migrates Temporal's PostgreSQL schemas with temporal-sql-tool; run by
# the temporal-schema service (admin-tools image) before the server starts, and as it is by
# the native stack (src/devkit/native-cluster.ts) with TEMPORAL_SCHEMA_DIR set to its build's.
set -eu
schema_dir=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" -pw "$POSTGRES_PWD" "$@"; }
for db in temporal temporal_visibility; do
  kind=temporal
  [ "$db" = temporal_visibility ] && kind=visibility
  sql --db "$db" create-database 2>/dev/null || echo "database $db exists"
  sql --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db is set up"
  sql --db "$db" update-schema -d "$schema_dir/postgresql/v12/$kind/versioned"
done
echo "Temporal schemas are up to date"
