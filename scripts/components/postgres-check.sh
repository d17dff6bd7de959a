#!/usr/bin/env bash
# Checks that PostgreSQL accepts connections and runs a query.
# This script starts nothing; the machine's PostgreSQL must already be running.
#
# Usage: scripts/components/postgres-check.sh
#
# Environment (the standard libpq variables):
#   PGHOST  default 127.0.0.1
#   PGPORT  default 5432
#   PGUSER  default postgres
#   PGDATABASE, PGPASSWORD  passed through to psql when set
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
ADDRESS="$PGHOST:$PGPORT as user $PGUSER"

for tool in pg_isready psql; do
  if ! command -v "$tool" >/dev/null; then
    echo "postgres: $tool not found on PATH. Install the PostgreSQL client tools (Debian package postgresql-client)." >&2
    exit 1
  fi
done

if ! output="$(pg_isready -t 5 2>&1)"; then
  echo "postgres: not accepting connections on $ADDRESS ($output)." >&2
  echo "postgres: start PostgreSQL, or set PGHOST, PGPORT and PGUSER to a server that is running." >&2
  exit 1
fi

if ! output="$(psql -X -A -t -v ON_ERROR_STOP=1 -c 'select 1' 2>&1)" || [[ $output != 1 ]]; then
  echo "postgres: 'select 1' failed on $ADDRESS: $output" >&2
  echo "postgres: the server is running, so check that the user and database exist and that the user may" \
    "connect (PGUSER, PGDATABASE, PGPASSWORD, pg_hba.conf)." >&2
  exit 1
fi

echo "postgres: ready on $ADDRESS"
