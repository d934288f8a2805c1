"""``python -m services.bot``."""

import sys

from services.bot.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
