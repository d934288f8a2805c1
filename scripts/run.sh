#!/usr/bin/env bash
# `make run`: bring up what TRT needs and run supervisord in the foreground.
#   1. read .env if present (never required);
#   2. start a local Redis / PostgreSQL under var/ when none is configured and none answers;
#   3. apply migrations; 4. exec supervisord (Ctrl-C stops everything cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .env ]; then set -a; . ./.env; set +a; fi
mkdir -p var/log
scripts/local-services.sh
python -m shared.migrations
echo "TRT: supervisord starting; control it with: make ctl ARGS=status"
echo "TRT: health at http://127.0.0.1:${PORT:-10000}/health"
exec supervisord -c supervisor.conf -n
