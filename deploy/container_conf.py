"""Write supervisor.conf's container variant: every log to the container's stdout/stderr, unrotated.

    python deploy/container_conf.py supervisor.conf supervisor.container.conf

Run by the Dockerfile at build time, so the container's configuration can never drift from
supervisor.conf: programs, priorities, exit codes and stop timeouts are copied as they are; only where
logs go changes. supervisord itself logs to stdout; each program's stdout (and an event listener's
stderr, its stdout being the listener protocol) goes to the container's stdout or stderr with
``maxbytes=0``, as supervisord requires for those devices.
"""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

__all__ = ["container_config", "main"]

HEADER = "; Generated from supervisor.conf by deploy/container_conf.py at image build time: do not edit.\n\n"
_PROCESS_PREFIXES = ("program:", "eventlistener:")


def _to_stream(section: configparser.SectionProxy, stream: str, device: str) -> None:
    section[f"{stream}_logfile"] = device
    section[f"{stream}_logfile_maxbytes"] = "0"
    section[f"{stream}_logfile_backups"] = "0"


def container_config(source: str) -> configparser.RawConfigParser:
    """The container variant of a supervisord configuration text."""
    config = configparser.RawConfigParser(strict=True)
    config.optionxform = str  # type: ignore[assignment,method-assign]  # keep keys as written
    config.read_string(source)
    daemon = config["supervisord"]
    daemon["logfile"] = "/dev/stdout"
    daemon["logfile_maxbytes"] = "0"
    daemon["logfile_backups"] = "0"
    daemon["nodaemon"] = "true"
    for name in config.sections():
        if not name.startswith(_PROCESS_PREFIXES):
            continue
        section = config[name]
        if name.startswith("eventlistener:"):
            _to_stream(section, "stderr", "/dev/stderr")
        else:
            section["redirect_stderr"] = "true"
            _to_stream(section, "stdout", "/dev/stdout")
    return config


def main(argv: list[str]) -> int:
    """Read argv[1], write its container variant to argv[2]."""
    if len(argv) != 3:
        sys.stderr.write("usage: container_conf.py SOURCE TARGET\n")
        return 2
    config = container_config(Path(argv[1]).read_text(encoding="utf-8"))
    with Path(argv[2]).open("w", encoding="utf-8") as target:
        target.write(HEADER)
        config.write(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
