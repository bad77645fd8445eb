#!/usr/bin/env bash
# Start a PostgreSQL server for the test suites and print its URL.
#
# Usage (as root, on Debian):
#   export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1)
#
# Idempotent: a server already running is reused, and the role and database
# are created only when missing. Uses the Debian cluster (pg_lsclusters) when
# there is one, installs PostgreSQL with apt-get when it is missing, and
# otherwise initdb's a throwaway cluster in a temporary directory on its own
# port. Progress goes to stderr; the last stdout line is the URL.
set -euo pipefail

DB_USER=${ADE_PG_USER:-ade}
DB_PASSWORD=${ADE_PG_PASSWORD:-ade}
DB_NAME=${ADE_PG_DATABASE:-ade_test}
SCRATCH_PORT=${ADE_PG_SCRATCH_PORT:-54329}
SCRATCH_DIR=${ADE_PG_SCRATCH_DIR:-/tmp/ade-postgres}

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	log "PostgreSQL is not installed: installing it"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
fi

BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=""
HOST_DIR=/var/run/postgresql

# A Debian cluster (e.g. "15 main"), if any: start it unless it runs.
CLUSTER=""
if command -v pg_lsclusters >/dev/null 2>&1; then
	CLUSTER=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2" "$3" "$4}')
fi
if [ -n "$CLUSTER" ]; then
	read -r VERSION NAME PORT STATUS <<<"$CLUSTER"
	if [ "$STATUS" != online ]; then
		log "starting cluster $VERSION $NAME on port $PORT"
		mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
		pg_ctlcluster "$VERSION" "$NAME" start >&2
	else
		log "cluster $VERSION $NAME already running on port $PORT"
	fi
else
	# No Debian cluster: a throwaway one in a temporary directory.
	PORT=$SCRATCH_PORT
	HOST_DIR=$SCRATCH_DIR
	if [ ! -f "$SCRATCH_DIR/data/PG_VERSION" ]; then
		log "initialising a throwaway cluster in $SCRATCH_DIR"
		mkdir -p "$SCRATCH_DIR"
		chown postgres:postgres "$SCRATCH_DIR"
		as_postgres "$BIN/initdb" -D "$SCRATCH_DIR/data" -U postgres -A trust --auth-host=scram-sha-256 >&2
	fi
	if ! as_postgres "$BIN/pg_ctl" -D "$SCRATCH_DIR/data" status >/dev/null 2>&1; then
		log "starting the throwaway cluster on port $PORT"
		as_postgres "$BIN/pg_ctl" -D "$SCRATCH_DIR/data" -l "$SCRATCH_DIR/server.log" -w \
			-o "-p $PORT -k $SCRATCH_DIR -c listen_addresses=127.0.0.1" start >&2
	fi
fi

# Wait until the server accepts connections.
for i in $(seq 1 60); do
	if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
		break
	fi
	if [ "$i" = 60 ]; then
		log "server on port $PORT not ready after 30 s"
		exit 1
	fi
	sleep 0.5
done

psql_admin() {
	as_postgres psql -v ON_ERROR_STOP=1 -qAt -h "$HOST_DIR" -p "$PORT" -d postgres "$@"
}

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
	log "creating role $DB_USER"
	psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
else
	psql_admin -c "ALTER ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
	log "creating database $DB_NAME"
	psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
fi

URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
# Check the URL itself works (password authentication over TCP).
PGPASSWORD=$DB_PASSWORD psql -qAt -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null
log "ready"
echo "$URL"
