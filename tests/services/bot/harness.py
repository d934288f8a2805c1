"""The bot's handlers in process, against the Bot API and KIE emulators, real Redis and PostgreSQL.

Each user action is emitted by the Telegram emulator and handed straight to the bot's dispatcher (as
a worker would after reading it from the inbox), so a walk through the wizard is fast and exact.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from telegram.ext import Application

from emulators.kie import EmulatorConfig, KieState
from emulators.kie import run_emulator as run_kie
from emulators.telegram import BotApiState, Message
from emulators.telegram import run_emulator as run_telegram
from emulators.telegram.model import Update as EmulatedUpdate
from services.bot.dispatch import UpdateDispatcher
from services.bot.handlers import BotDeps, register
from services.bot.inline_drafts import InlineDrafts
from services.bot.media import MediaIntake
from services.bot.prefs import Preferences
from services.bot.wizard.store import WizardStore
from shared.catalog import Registry
from shared.chat.file_ids import FileIdCache
from shared.chat.texts import Texts
from shared.inbox import InboxEntry
from shared.jobs import JobStore
from shared.keys import Keys
from shared.kie import KieClient
from shared.ledger import Ledger
from shared.secret import SecretStr
from shared.settings import Settings
from shared.telegram.client import build_application
from tests.conftest import free_port

TOKEN = "555666777:bot-harness-token-AAAAAAAAAAAAAAAAAAAAAA"
KIE_KEY = "bot-harness-kie-key"


class StaticCatalog:
    """A registry fixed for the whole test (workers read warmup's snapshot instead)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def current(self) -> Registry:
        """The registry given at construction."""
        return self._registry


@dataclass
class BotHarness:
    """A bot worker's handlers wired to emulators; act as users and read what the bot did."""

    telegram: BotApiState
    kie: KieState
    registry: Registry
    deps: BotDeps
    application: Application  # type: ignore[type-arg]
    dispatcher: UpdateDispatcher

    def new_user(self, language_code: str = "en", name: str = "Ann") -> int:
        """A simulated Telegram user with an id no other test uses."""
        user_id = random.randrange(3 * 10**9, 4 * 10**9)
        return self.telegram.create_user(name, user_id=user_id, language_code=language_code).id

    async def deliver(self, update: EmulatedUpdate) -> None:
        """Hand one emitted update to the dispatcher, as the inbox consumer would."""
        payload: dict[str, Any] = update.to_api()
        entry = InboxEntry(
            entry_id="0-0", update_id=update.update_id, chat=str(update.chat_key), seq=0, update=payload
        )
        await self.dispatcher(entry)

    async def text(self, user_id: int, text: str) -> None:
        """The user sends a text message."""
        await self.deliver(self.telegram.send_text(user_id, text))

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        """The user presses a button (by callback_data) on one of the bot's messages."""
        await self.deliver(self.telegram.press_button(user_id, message_id, callback_data=data))

    async def photo(self, user_id: int, data: bytes) -> None:
        """The user sends a photo."""
        await self.deliver(self.telegram.send_photo(user_id, data))

    def replies(self, user_id: int) -> list[Message]:
        """The bot's messages in the user's chat, as they stand (edits applied)."""
        return self.telegram.bot_replies(user_id)

    def last(self, user_id: int) -> Message:
        """The bot's latest message in the user's chat."""
        return self.replies(user_id)[-1]

    def answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery the bot made."""
        return [call.params for call in self.telegram.calls_of("answerCallbackQuery", ok=True)]


def buttons(message: Message) -> list[dict[str, Any]]:
    """The inline buttons of a message, row by row."""
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def button_data(message: Message, prefix: str) -> str:
    """callback_data of the first button whose data starts with ``prefix``."""
    for button in buttons(message):
        if str(button.get("callback_data", "")).startswith(prefix):
            return str(button["callback_data"])
    raise AssertionError(f"no button {prefix!r} on {message.text!r}: {buttons(message)}")


@asynccontextmanager
async def running_bot(
    registry: Registry,
    redis: aioredis.Redis,
    key_prefix: str,
    pool: AsyncConnectionPool,
    *,
    telegram: BotApiState | None = None,
) -> AsyncIterator[BotHarness]:
    """Emulators up, the bot's application initialised and its commands set, for the block.

    Passing the ``telegram`` state of an earlier harness replaces the worker but keeps the chats.
    """
    telegram = telegram or BotApiState([TOKEN])
    kie = KieState(EmulatorConfig(api_keys={KIE_KEY: 1_000_000.0}))
    async with run_telegram(telegram, port=free_port()) as tg, run_kie(kie, port=free_port()) as kie_up:
        settings = Settings(
            TELEGRAM_BOT_TOKEN=SecretStr(TOKEN),
            TELEGRAM_API_BASE_URL=tg.url,
            REDIS_KEY_PREFIX=key_prefix,
            TELEGRAM_RATE_PER_CHAT_SECOND=1000,
            TELEGRAM_RATE_PER_SECOND=10_000,
        )
        keys = Keys(key_prefix)
        async with KieClient(
            api_base_url=kie_up.url, upload_base_url=kie_up.upload_url, api_key=KIE_KEY
        ) as client:
            deps = BotDeps(
                texts=Texts(),
                catalog=StaticCatalog(registry),
                wizards=WizardStore(redis, keys),
                prefs=Preferences(redis, keys, pool),
                ledger=Ledger(pool),
                jobs=JobStore(pool),
                media=MediaIntake(client),
                file_ids=FileIdCache(redis, keys),
                starter_credits=settings.STARTER_CREDITS,
                inline=InlineDrafts(redis, keys),
            )
            application = build_application(settings, redis)
            register(application, deps)
            dispatcher = UpdateDispatcher(application)
            await application.initialize()
            try:
                yield BotHarness(telegram, kie, registry, deps, application, dispatcher)
            finally:
                await application.shutdown()
