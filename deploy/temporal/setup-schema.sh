#!/bin/sh
# Creates Temporal's two databases when missing, sets up the schema bookkeeping on a new one, and upgrades both schemas
# to the versions this server release ships (a no-op when they are current). Run before every server start, by
# `npm run stack` and by docker-compose.yml's temporal-schema job (temporalio/admin-tools), with the same variables
# the server reads: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD, DBNAME, VISIBILITY_DBNAME.
set -eu
: "${SQL_TOOL:=temporal-sql-tool}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"
: "${DBNAME:=temporal}"
: "${VISIBILITY_DBNAME:=temporal_visibility}"

sql_tool() {
  database="$1"
  shift
  "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "${POSTGRES_PWD:-}" --db "$database" "$@"
}

set_up() {
  database="$1"
  versioned="$2"
  # PostgreSQL may still be starting: try for up to a minute. create-database fails when the database exists, which is
  # the normal case after the first start; setup-schema -v 0.0 only creates the version tables and leaves a newer
  # recorded version alone, so both are safe to repeat.
  tries=0
  until { sql_tool "$database" create-database >/dev/null 2>&1 || true; } && sql_tool "$database" setup-schema -v 0.0; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "setup-schema: cannot set up $database on $POSTGRES_SEEDS:$DB_PORT" >&2; exit 1; }
    sleep 1
  done
  sql_tool "$database" update-schema -d "$versioned"
}

set_up "$DBNAME" "$SCHEMA_DIR/temporal/versioned"
set_up "$VISIBILITY_DBNAME" "$SCHEMA_DIR/visibility/versioned"
echo "setup-schema: $DBNAME and $VISIBILITY_DBNAME are at the schema versions of this release"
