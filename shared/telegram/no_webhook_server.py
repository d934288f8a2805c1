"""Keep python-telegram-bot's webhook server (tornado) out of a program that never serves it.

PTB imports its webhook server whenever tornado is installed, and tornado brings ``multiprocessing``
and ``curses`` with it: about 2 MiB of every process that imports PTB. No TRT program serves PTB
webhooks (the bot's Application has no Updater; the webhook program has its own server), and the
production image does not install tornado; the dev venv does, for the PTB baseline of ``make bench``.
Call this before anything imports PTB so that a program imports the same in both: PTB then finds no
tornado and leaves its webhook server out, as it does without it.
"""

from __future__ import annotations

import sys

__all__ = ["keep_out_webhook_server"]


def keep_out_webhook_server() -> None:
    """Make ``import tornado`` fail in this process (a None entry in ``sys.modules`` means "not found")."""
    sys.modules.setdefault("tornado", None)  # type: ignore[arg-type]
