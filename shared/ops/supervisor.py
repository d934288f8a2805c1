"""A small asyncio face on supervisord's XML-RPC interface (over its unix socket).

The XML-RPC client is synchronous and its unix transport has no timeout of its own, so every call
runs in a worker thread under :func:`asyncio.wait_for`: a wedged supervisord costs the caller at most
``timeout`` seconds, never its event loop. A fresh proxy per call keeps threads from sharing a
connection.

Errors::

    SupervisorUnavailable   supervisord did not answer (no socket, refused, timed out, bad reply)
"""

from __future__ import annotations

import asyncio
import http.client
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from supervisor import childutils

from shared.errors import TrtError

__all__ = ["ProcessInfo", "SupervisorClient", "SupervisorUnavailable", "socket_url"]

T = TypeVar("T")

# supervisor.xmlrpc.Faults.NOT_RUNNING: the process is not in a state that can be stopped.
_NOT_RUNNING = 70
# A stop request has taken effect: the process stays down until somebody starts it.
_GOING_DOWN = frozenset({"STOPPING", "STOPPED", "FATAL"})


class SupervisorUnavailable(TrtError):
    """supervisord did not answer the call."""


def socket_url(path: str) -> str:
    """The ``unix://`` server URL of a supervisord control socket at ``path``."""
    return path if path.startswith(("unix://", "http://")) else f"unix://{path}"


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One process as supervisord reports it (``getProcessInfo``)."""

    name: str
    state: str
    pid: int
    started: float
    now: float
    exit_status: int | None
    spawn_error: str
    description: str

    @property
    def uptime_s(self) -> float | None:
        """Seconds since the current process started, or None when it is not running."""
        return max(0.0, self.now - self.started) if self.pid and self.started else None

    @classmethod
    def of(cls, info: dict[str, Any]) -> ProcessInfo:
        group, name = str(info["group"]), str(info["name"])
        return cls(
            name=name if group == name else f"{group}:{name}",
            state=str(info["statename"]),
            pid=int(info.get("pid") or 0),
            started=float(info.get("start") or 0),
            now=float(info.get("now") or time.time()),
            exit_status=info.get("exitstatus"),
            spawn_error=str(info.get("spawnerr") or ""),
            description=str(info.get("description") or ""),
        )


class SupervisorClient:
    """Calls supervisord at ``server_url`` (``unix:///…/supervisor.sock``), each within ``timeout``."""

    def __init__(self, server_url: str, timeout: float = 3.0) -> None:
        self._url = server_url
        self._timeout = timeout

    async def all_processes(self) -> list[ProcessInfo]:
        """Every process supervisord runs (programs and event listeners)."""
        infos = await self._call(lambda rpc: rpc.supervisor.getAllProcessInfo())
        return [ProcessInfo.of(info) for info in infos]

    async def process(self, name: str) -> ProcessInfo:
        """One process by its supervisorctl name (``webhook``, ``bot:bot_01``)."""
        return ProcessInfo.of(await self._call(lambda rpc: rpc.supervisor.getProcessInfo(name)))

    async def tail_log(self, name: str, length: int = 4096) -> str:
        """The last ``length`` bytes of the process's stdout log (stderr is redirected there)."""
        text, _, _ = await self._call(lambda rpc: rpc.supervisor.tailProcessStdoutLog(name, 0, length))
        return str(text)

    async def stop(self, name: str, attempts: int = 20, pause: float = 0.5) -> ProcessInfo:
        """Ask supervisord to stop ``name``; return its state once it is going down (or the last seen).

        A process that has just EXITED cannot be stopped (supervisord answers NOT_RUNNING) until its
        restart on the next tick, so the request is repeated until the process is STOPPING, STOPPED or
        FATAL. The stop itself does not wait for the process to finish draining.
        """
        for _ in range(attempts):
            try:
                await self._call(lambda rpc: rpc.supervisor.stopProcess(name, False))
            except xmlrpc.client.Fault as fault:
                if fault.faultCode != _NOT_RUNNING:
                    raise
            info = await self.process(name)
            if info.state in _GOING_DOWN:
                return info
            await asyncio.sleep(pause)
        return await self.process(name)

    async def _call(self, method: Callable[[Any], T]) -> T:
        def call() -> T:
            proxy = childutils.getRPCInterface({"SUPERVISOR_SERVER_URL": self._url})
            try:
                return method(proxy)
            finally:
                proxy("close")()

        try:
            return await asyncio.wait_for(asyncio.to_thread(call), self._timeout)
        except xmlrpc.client.Fault:
            raise
        except (OSError, TimeoutError, http.client.HTTPException, xmlrpc.client.Error) as exc:
            raise SupervisorUnavailable(f"supervisord at {self._url}: {type(exc).__name__}: {exc}") from exc
