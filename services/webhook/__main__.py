"""``python -m services.webhook``."""

import sys

from services.webhook.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
