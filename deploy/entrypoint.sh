#!/bin/sh
# Container entrypoint: apply the schema migrations (idempotent, serialised by an advisory lock, so
# two hosts starting at once are safe), then run the command: supervisord in the foreground by default.
set -eu
python -m shared.migrations
exec "$@"
