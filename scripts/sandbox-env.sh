# Sourced by scripts/run.sh in sandbox mode (TELEGRAM_BOT_TOKEN unset, or SANDBOX=1): point every
# program at the sandbox program's Bot API and KIE emulators and pick supervisor.sandbox.conf. The
# programs themselves are unchanged; they only get other base URLs. Ports: the web chat on
# SANDBOX_PORT (default 8080), the Bot API emulator on SANDBOX_PORT+1, KIE on SANDBOX_PORT+2.
# The token and keys below are the sandbox's own, valid nowhere else. Its data goes to a database and
# a Redis key prefix of its own (SANDBOX_DATABASE_URL, SANDBOX_REDIS_KEY_PREFIX), never to the
# DATABASE_URL / REDIS_KEY_PREFIX a .env may hold for a real bot.

SANDBOX_PORT="${SANDBOX_PORT:-8080}"
sandbox_webhook_base="http://127.0.0.1:${PORT:-10000}"

export SANDBOX=1
export DATABASE_URL="${SANDBOX_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/trt_sandbox}"
export REDIS_KEY_PREFIX="${SANDBOX_REDIS_KEY_PREFIX:-trt-sandbox:}"
export SANDBOX_PORT
export TELEGRAM_BOT_TOKEN="700000001:SANDBOX-local-token-not-valid-on-telegram"
export TELEGRAM_API_BASE_URL="http://127.0.0.1:$((SANDBOX_PORT + 1))"
export KIE_API_BASE_URL="http://127.0.0.1:$((SANDBOX_PORT + 2))"
export KIE_UPLOAD_BASE_URL="$KIE_API_BASE_URL"
export KIE_API_KEY="sandbox-kie-key"
export BOT_MODE=webhook
export PUBLIC_BASE_URL="$sandbox_webhook_base"
export WEBHOOK_URL="$sandbox_webhook_base/telegram/webhook"
export WEBHOOK_SECRET_TOKEN="sandbox-webhook-secret-0123456789abcdef"
# The KIE emulator's charges for models it has no price page for are stand-ins, not KIE's prices: the
# leader's cost watch would raise the sandbox's prices to them.
export CATALOG_COST_WATCH_SECONDS=0
export ADMIN_IDS=100001   # Ada, the first test user of the web chat (services/sandbox/users.py)
SUPERVISOR_CONF=supervisor.sandbox.conf
