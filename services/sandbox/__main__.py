"""``python -m services.sandbox``."""

import sys

from services.sandbox.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
