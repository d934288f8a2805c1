"""The emulator's world: bots (by token), users, chats, files, faults and the record of calls."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from .bot import BotState
from .errors import BadRequest, EmulatorError
from .faults import FaultInjector
from .files import FileStore
from .model import Chat, ChatType, RecordedCall, User
from .signals import ChangeSignal

__all__ = ["DEFAULT_TOKEN", "StateStore"]

DEFAULT_TOKEN = "123456789:EMULATOR-test-token-AAAAAAAAAAAAAAAAA"
_FIRST_USER_ID = 100_001
_FIRST_GROUP_ID = -1_000_000_000_001


class StateStore:
    """Everything the emulated Bot API server knows, shared by the bot routes and the control API.

    `clock` and `rng` are injected so tests can pin time and randomness. `first_update_id` is where
    every bot's update_ids start: a long-lived consumer that dedupes by update_id (the sandbox's) needs
    a restarted emulator to go on from a higher number, as Telegram's ids never repeat.
    """

    def __init__(
        self,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        first_update_id: int = 1,
    ) -> None:
        if not tokens:
            raise EmulatorError("at least one bot token is needed")
        self.clock = clock
        self.rng = rng or random.Random(0)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.bots: dict[str, BotState] = {}
        self.files = FileStore()
        self.faults = FaultInjector(self.rng)
        self.calls: list[RecordedCall] = []
        self.changes = ChangeSignal()
        self._user_ids = itertools.count(_FIRST_USER_ID)
        self._group_ids = itertools.count(_FIRST_GROUP_ID, -1)
        self._call_seq = itertools.count(1)
        self._first_update_id = first_update_id
        for index, token in enumerate(tokens):
            self.add_bot(token, index)

    # -- bots ------------------------------------------------------------------------------------

    def add_bot(self, token: str, index: int = 0) -> BotState:
        """Register a bot; its id is the number before the token's colon, as in real tokens."""
        if token in self.bots:
            raise EmulatorError("bot token already registered")
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 900_000_000 + index
        user = User(
            id=bot_id, first_name=f"Emulator Bot {index + 1}", is_bot=True, username=f"emulator_{bot_id}_bot"
        )
        bot = BotState(token, user, self.clock, first_update_id=self._first_update_id)
        self.bots[token] = bot
        return bot

    def bot(self, token: str | None = None) -> BotState:
        """The bot with this token; the first registered bot when token is None."""
        if token is None:
            return next(iter(self.bots.values()))
        try:
            return self.bots[token]
        except KeyError:
            raise EmulatorError("unknown bot token") from None

    def find_bot(self, token: str) -> BotState | None:
        """The bot with this token, if registered."""
        return self.bots.get(token)

    # -- users and chats -------------------------------------------------------------------------

    def create_user(
        self,
        first_name: str = "Test",
        *,
        username: str | None = None,
        user_id: int | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        """Create a simulated user and the private chat with it."""
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self.users:
            raise EmulatorError(f"user {uid} already exists")
        user = User(
            id=uid, first_name=first_name, username=username, last_name=last_name, language_code=language_code
        )
        self.users[uid] = user
        self.chats[uid] = Chat(
            id=uid,
            type=ChatType.PRIVATE,
            username=username,
            first_name=first_name,
            last_name=last_name,
            member_ids={uid},
        )
        self.changes.notify()
        return user

    def create_group(
        self, title: str, member_ids: Sequence[int], *, chat_id: int | None = None, supergroup: bool = True
    ) -> Chat:
        """Create a group chat with the given simulated members."""
        for uid in member_ids:
            self.user(uid)
        cid = chat_id if chat_id is not None else next(self._group_ids)
        if cid in self.chats:
            raise EmulatorError(f"chat {cid} already exists")
        kind = ChatType.SUPERGROUP if supergroup else ChatType.GROUP
        chat = Chat(id=cid, type=kind, title=title, member_ids=set(member_ids))
        self.chats[cid] = chat
        self.changes.notify()
        return chat

    def user(self, user_id: int) -> User:
        """The simulated user, or EmulatorError."""
        try:
            return self.users[user_id]
        except KeyError:
            raise EmulatorError(f"no user {user_id}") from None

    def resolve_chat(self, chat_ref: int | str) -> Chat:
        """The chat a bot call names (id or @username), or 'Bad Request: chat not found'."""
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_ref[1:].lower():
                    return chat
            raise BadRequest("chat not found")
        try:
            return self.chats[int(chat_ref)]
        except (KeyError, ValueError):
            raise BadRequest("chat not found") from None

    # -- the record of calls ---------------------------------------------------------------------

    def record_call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        status: int,
        response: dict[str, Any],
        fault: str = "",
    ) -> RecordedCall:
        """Append one bot call to the record (``fault``: the injected fault kinds, if any)."""
        call = RecordedCall(
            seq=next(self._call_seq),
            token=token,
            method=method,
            params=params,
            at=self.clock(),
            status=status,
            response=response,
            fault=fault,
        )
        self.calls.append(call)
        return call

    def calls_of(
        self, method: str | None = None, *, token: str | None = None, ok: bool | None = None
    ) -> list[RecordedCall]:
        """Recorded calls, optionally only of one method (case-insensitive), bot or outcome."""
        return [
            call
            for call in self.calls
            if (method is None or call.method.lower() == method.lower())
            and (token is None or call.token == token)
            and (ok is None or call.ok == ok)
        ]
