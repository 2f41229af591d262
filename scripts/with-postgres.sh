#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server on 127.0.0.1, installing PostgreSQL from
# Debian's packages when absent. Usage: scripts/with-postgres.sh make test
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/system-packages.sh" postgresql
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
port="${PGPORT_FOR_TESTS:-55432}"
pgdata="$(mktemp -d /tmp/portal-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pgdata"
  as_pg=(runuser -u postgres --)
fi
stop() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdata"
}
trap stop EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdata -c fsync=off -c max_connections=200" start >/dev/null
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres portal
echo "postgres: $("$pgbin/postgres" --version) on 127.0.0.1:$port"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/portal"
"$@"
