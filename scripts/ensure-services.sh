#!/usr/bin/env bash
# Start what the test suite needs if it is not running yet: PostgreSQL, Redis and Chromium.
# Idempotent; used by `make test` and `.ci/run`.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "PostgreSQL is down; starting it"
  if ! command -v pg_ctlcluster >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Redis is down; starting it"
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 1; done
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing; installing Debian's package"
  as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null
fi
