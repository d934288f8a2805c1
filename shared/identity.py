"""Who this process is: program, the name supervisorctl shows for it, host and pid."""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.settings import Settings

__all__ = ["ProcessIdentity"]


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    program: str
    process_name: str
    group: str
    host: str
    pid: int

    @classmethod
    def of(cls, program: str, settings: Settings) -> ProcessIdentity:
        """Identity from supervisord's environment, or the bare program name when run by hand."""
        name = settings.SUPERVISOR_PROCESS_NAME or program
        group = settings.SUPERVISOR_GROUP_NAME or name
        return cls(program=program, process_name=name, group=group, host=settings.HOST_ID, pid=os.getpid())

    @property
    def ctl_name(self) -> str:
        """The name ``supervisorctl status`` shows: ``bot:bot_00`` in a group, ``webhook`` alone."""
        return self.process_name if self.group == self.process_name else f"{self.group}:{self.process_name}"

    @property
    def holder_id(self) -> str:
        """A unique, readable id for leases and stream consumers."""
        return f"{self.host}/{self.ctl_name}/{self.pid}"
