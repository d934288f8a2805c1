"""The bot's profile on Telegram (command menus, menu button): a leader duty, retried, once per version.

A worker needs none of it to answer updates, so no worker's start waits for it: when the Bot API
refuses ``setMyCommands`` the bot still answers /start, every button and free text, and the leader
keeps retrying in the background. The profile is fingerprinted; once Telegram accepted every call of
a fingerprint, the fingerprint is recorded in Redis and later terms (and the other workers of the
leader's host) skip it, so each deploy that changes the profile publishes it once. A short Redis lock
keeps the leader host's workers from publishing at the same moment.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog

from services.bot.handlers.registry import BOT_COMMANDS
from shared.aio import raise_if_cancelling
from shared.chat.texts import Language, Texts
from shared.keys import Keys
from shared.telegram.botapi import BotApi, BotApiError

__all__ = ["ProfileCall", "ProfilePublisher", "bot_profile", "fingerprint"]

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class ProfileCall:
    """One Bot API call that sets part of the profile."""

    method: str
    params: dict[str, Any]


def bot_profile(texts: Texts) -> tuple[ProfileCall, ...]:
    """The profile: the command menu in English (the default) and Russian, and the menu button."""
    calls: list[ProfileCall] = []
    for language in (Language.EN, Language.RU):
        commands = [
            {"command": name, "description": texts.get(f"cmd_{name}", language)} for name in BOT_COMMANDS
        ]
        params: dict[str, Any] = {"commands": commands}
        if language is not Language.EN:
            params["language_code"] = language.value
        calls.append(ProfileCall("setMyCommands", params))
    calls.append(ProfileCall("setChatMenuButton", {"menu_button": {"type": "commands"}}))
    return tuple(calls)


def fingerprint(calls: tuple[ProfileCall, ...]) -> str:
    """A digest of the whole profile: equal profiles publish once."""
    text = json.dumps([[call.method, call.params] for call in calls], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ProfilePublisher:
    """Leader duty: publish the profile unless this fingerprint is already published; retry with backoff."""

    def __init__(
        self,
        api: BotApi,
        redis: aioredis.Redis,
        keys: Keys,
        calls: tuple[ProfileCall, ...],
        *,
        first_retry: float = 1.0,
        max_retry: float = 300.0,
        lock_seconds: int = 60,
    ) -> None:
        self._api = api
        self._redis = redis
        self._keys = keys
        self._calls = calls
        self._fingerprint = fingerprint(calls)
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._lock_seconds = lock_seconds

    async def __call__(self, epoch: int) -> None:
        """Publish (or wait for another worker to) until this fingerprint is recorded."""
        retry = self._first_retry
        while not await self._published():
            if await self._take_turn() and await self._publish(epoch):
                return
            raise_if_cancelling()
            await asyncio.sleep(retry)
            retry = min(retry * 2, self._max_retry)

    async def _published(self) -> bool:
        recorded = await self._redis.get(self._keys.bot_profile)
        return recorded in (self._fingerprint, self._fingerprint.encode())

    async def _take_turn(self) -> bool:
        """One worker of the leader's host publishes at a time; the lock expires if it dies."""
        taken = await self._redis.set(self._keys.bot_profile_lock, "1", nx=True, ex=self._lock_seconds)
        return bool(taken)

    async def _publish(self, epoch: int) -> bool:
        """Make every call; True when Telegram accepted them all and the fingerprint is recorded."""
        try:
            for call in self._calls:
                await self._api.call(call.method, call.params)
            await self._redis.set(self._keys.bot_profile, self._fingerprint)
        except BotApiError as exc:
            log.warning("bot_profile_refused", reason=str(exc), epoch=epoch)
            return False
        finally:
            await self._redis.delete(self._keys.bot_profile_lock)
        log.info("bot_profile_published", fingerprint=self._fingerprint[:12], epoch=epoch)
        return True
