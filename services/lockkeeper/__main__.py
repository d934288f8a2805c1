"""``python -m services.lockkeeper``."""

import sys

from services.lockkeeper.app import PROGRAM
from shared.process import run

sys.exit(run(PROGRAM))
