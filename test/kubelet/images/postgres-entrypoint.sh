#!/bin/sh
# docker-entrypoint.sh of the PostgreSQL stand-in image: the part of the official postgres image's
# entrypoint that the chart's StatefulSet relies on (docs/kubernetes.md, "The PostgreSQL image").
# Arguments that start with "-" are the server's; on an empty $PGDATA it runs initdb with
# $POSTGRES_USER as the superuser and $POSTGRES_PASSWORD as its password, creates $POSTGRES_DB, and
# admits password (scram-sha-256) connections from any address. Writes only to $PGDATA and /tmp.
set -eu

if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
  : "${PGDATA:?PGDATA must be set}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 -D "$PGDATA"
    rm -f "$password_file"
    if [ "$database" != postgres ]; then
      echo "CREATE DATABASE \"$database\"" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  fi
fi

exec "$@"
