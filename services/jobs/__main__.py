"""``python -m services.jobs``."""

import sys

from services.jobs.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
