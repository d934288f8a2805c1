"""``python -m services.warmup``."""

import sys

from services.warmup.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
