"""``python -m services.listener``: the crash guard, run by supervisord as ``[eventlistener:crashguard]``.

supervisord speaks the listener protocol on this process's stdout, so before anything else the real
stdout is kept aside for the protocol and file descriptor 1 is pointed at stderr: logs, and anything a
library might print, go to the stderr log and can never corrupt the protocol.
"""

import asyncio
import os
import sys

from services.listener.protocol import ListenerProtocol
from services.listener.runner import serve
from shared.errors import ConfigError
from shared.exitcodes import EXIT_CONFIG
from shared.identity import ProcessIdentity
from shared.logging import configure_logging
from shared.settings import load_settings


def main() -> int:
    """Set up the protocol streams, settings and logging; run the crash guard; return its exit code."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.stderr.write(f"crashguard: configuration error: {exc}\n")
        return EXIT_CONFIG
    configure_logging("crashguard", settings.LOG_LEVEL, settings.LOG_FORMAT, settings.secret_values())
    identity = ProcessIdentity.of("crashguard", settings)
    return asyncio.run(serve(settings, identity, ListenerProtocol(sys.stdin, protocol_out)))


sys.exit(main())
