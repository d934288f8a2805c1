"""What a Bot API method handler receives and may return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from .bot import BotState
from .errors import BadRequest
from .model import Chat
from .params import Params
from .state import BotApiState

__all__ = ["Described", "Handler", "MethodCall", "MethodTable"]


@dataclass
class MethodCall:
    """One incoming Bot API call: the world, the calling bot and its parameters."""

    state: BotApiState
    bot: BotState
    params: Params
    http: aiohttp.ClientSession | None = None

    def chat(self) -> Chat:
        """The chat named by chat_id: 'chat_id is empty' or 'chat not found' otherwise."""
        raw = self.params.raw("chat_id")
        if raw is None or raw == "":
            raise BadRequest("chat_id is empty")
        if isinstance(raw, str) and not raw.startswith("@"):
            try:
                raw = int(raw)
            except ValueError:
                raise BadRequest("chat not found") from None
        return self.state.resolve_chat(raw)

    def now(self) -> int:
        """The current Unix time, from the state's clock."""
        return int(self.state.clock())


@dataclass(frozen=True)
class Described:
    """A result that Telegram answers together with a `description` (e.g. "Webhook was set")."""

    result: Any
    description: str


Handler = Callable[[MethodCall], Awaitable[Any]]
MethodTable = Mapping[str, Handler]
