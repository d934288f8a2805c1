#!/usr/bin/env bash
# `make run`: bring up what TRT needs and run supervisord in the foreground.
#   1. read .env if present (never required);
#   2. start a local Redis / PostgreSQL under var/ when none is configured and none answers;
#   3. apply migrations; 4. exec supervisord (Ctrl-C stops everything cleanly).
# With no TELEGRAM_BOT_TOKEN (or with SANDBOX=1) it runs the sandbox: the same programs against the
# project's Bot API and KIE emulators, plus a web chat (scripts/sandbox-env.sh, supervisor.sandbox.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .env ]; then set -a; . ./.env; set +a; fi
export BOT_WORKERS="${BOT_WORKERS:-2}"
SUPERVISOR_CONF=supervisor.conf
if [ -z "${TELEGRAM_BOT_TOKEN:-}" ] || [ "${SANDBOX:-0}" = 1 ]; then . scripts/sandbox-env.sh; fi
mkdir -p var/log
scripts/local-services.sh
if [ "$SUPERVISOR_CONF" != supervisor.conf ]; then python -m services.sandbox.database; fi
python -m shared.migrations
echo "TRT: supervisord starting; control it with: make ctl ARGS=status"
echo "TRT: health at http://127.0.0.1:${PORT:-10000}/health"
if [ "$SUPERVISOR_CONF" != supervisor.conf ]; then
  echo "TRT sandbox: no Telegram, no KIE; chat with the bot at http://127.0.0.1:${SANDBOX_PORT}"
fi
exec supervisord -c "$SUPERVISOR_CONF" -n
