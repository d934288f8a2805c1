"""``python -m services.jobs``."""

import sys

from shared.telegram.no_webhook_server import keep_out_webhook_server

keep_out_webhook_server()

from services.jobs.app import PROGRAM  # noqa: E402  (after the line above, which must precede PTB)
from shared.process import run  # noqa: E402

sys.exit(run(PROGRAM))
