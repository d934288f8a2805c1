"""Bot API methods about the bot itself and getting updates: getMe, webhooks, getUpdates, commands."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .call import Described, MethodCall, MethodTable
from .errors import BadRequest, Conflict
from .model import WebhookConfig

__all__ = ["CORE_METHODS"]

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_MAX_POLL_TIMEOUT = 50.0
_WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_TERMINATED = "terminated by other getUpdates request; make sure that only one bot instance is running"


async def get_me(call: MethodCall) -> dict[str, Any]:
    """getMe: the bot's own User, with the bot-only flags."""
    return {
        **call.bot.user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def set_webhook(call: MethodCall) -> Described:
    """setWebhook: register (or, with an empty url, remove) the webhook."""
    params = call.params
    url = params.get_str("url") or ""
    if not url:
        return await delete_webhook(call)
    _check_webhook_url(url)
    secret = params.get_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise BadRequest("secret token contains unallowed characters")
    max_connections = min(max(params.get_int("max_connections") or 40, 1), 100)
    allowed = params.get_json("allowed_updates")
    if allowed is not None:
        call.bot.allowed_updates = _check_allowed_updates(allowed)
    if params.get_bool("drop_pending_updates"):
        call.bot.drop_pending()
    was_set = call.bot.webhook is not None and call.bot.webhook.url == url
    call.bot.webhook = WebhookConfig(
        url=url, secret_token=secret, max_connections=max_connections, ip_address=params.get_str("ip_address")
    )
    call.bot.update_signal.notify()
    return Described(True, "Webhook is already set" if was_set else "Webhook was set")


async def delete_webhook(call: MethodCall) -> Described:
    """deleteWebhook: back to getUpdates; pending updates stay unless drop_pending_updates."""
    if call.params.get_bool("drop_pending_updates"):
        call.bot.drop_pending()
    was_set = call.bot.webhook is not None
    call.bot.webhook = None
    call.bot.update_signal.notify()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def get_webhook_info(call: MethodCall) -> dict[str, Any]:
    """getWebhookInfo: url, pending count, last error."""
    return call.bot.webhook_info()


async def get_updates(call: MethodCall) -> list[dict[str, Any]]:
    """getUpdates: confirm by offset, then long-poll up to `timeout` seconds for new updates.

    A newer getUpdates terminates an older one still waiting (409), like Telegram.
    """
    bot, params = call.bot, call.params
    if bot.webhook is not None:
        raise Conflict(_WEBHOOK_ACTIVE)
    offset = params.get_int("offset")
    limit = min(max(params.get_int("limit") or 100, 1), 100)
    timeout = min(max(params.get_float("timeout") or 0.0, 0.0), _MAX_POLL_TIMEOUT)
    allowed = params.get_json("allowed_updates")
    if allowed is not None:
        bot.allowed_updates = _check_allowed_updates(allowed)
    bot.poll_generation += 1
    my_generation = bot.poll_generation
    bot.update_signal.notify()  # wakes an older poller so it can see it was superseded
    if offset is not None and offset > 0:
        bot.confirm_below(offset)
    loop_deadline = call.state.clock() + timeout
    while True:
        generation = bot.update_signal.generation
        if bot.poll_generation != my_generation:
            raise Conflict(_TERMINATED)
        batch = _select(bot.pending, offset, limit)
        remaining = loop_deadline - call.state.clock()
        if batch or remaining <= 0:
            return [u.to_api() for u in batch]
        await bot.update_signal.wait(generation, remaining)


def _select(pending: list[Any], offset: int | None, limit: int) -> list[Any]:
    """Pending updates from `offset` on (a negative offset counts from the end)."""
    if offset is not None and offset < 0:
        return pending[offset:][:limit]
    return pending[:limit]


async def set_my_commands(call: MethodCall) -> bool:
    """setMyCommands: store the command list for a scope and language."""
    commands = call.params.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise BadRequest("commands must be an array of at most 100 BotCommand")
    for command in commands:
        _check_command(command)
    call.bot.commands[_commands_key(call)] = commands
    return True


async def get_my_commands(call: MethodCall) -> list[dict[str, Any]]:
    """getMyCommands: the command list for a scope and language (empty when unset)."""
    return list(call.bot.commands.get(_commands_key(call), []))


async def delete_my_commands(call: MethodCall) -> bool:
    """deleteMyCommands: forget the command list for a scope and language."""
    call.bot.commands.pop(_commands_key(call), None)
    return True


async def set_chat_menu_button(call: MethodCall) -> bool:
    """setChatMenuButton: a private chat's (or, without chat_id, the default) menu button."""
    button = call.params.get_json("menu_button") or {"type": "default"}
    _check_menu_button(button)
    call.bot.menu_buttons[call.params.get_int("chat_id")] = button
    return True


async def get_chat_menu_button(call: MethodCall) -> dict[str, Any]:
    """getChatMenuButton: the chat's button, else the default one, else MenuButtonDefault."""
    buttons = call.bot.menu_buttons
    chat_id = call.params.get_int("chat_id")
    return dict(buttons.get(chat_id) or buttons.get(None) or {"type": "default"})


def _check_menu_button(button: Any) -> None:
    kind = button.get("type") if isinstance(button, dict) else None
    if kind in ("commands", "default"):
        return
    web_app = button.get("web_app") if kind == "web_app" else None
    if not isinstance(web_app, dict) or not isinstance(web_app.get("url"), str) or not button.get("text"):
        raise BadRequest("can't parse menu button: unsupported or incomplete MenuButton")


def _commands_key(call: MethodCall) -> tuple[str, str]:
    scope = call.params.get_json("scope") or {"type": "default"}
    return (
        str(scope.get("type", "default")) if isinstance(scope, dict) else "default",
        call.params.get_str("language_code") or "",
    )


def _check_command(command: Any) -> None:
    if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
        raise BadRequest("BOT_COMMAND_INVALID")
    description = command.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 256:
        raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")


def _check_allowed_updates(allowed: Any) -> list[str]:
    if not isinstance(allowed, list) or not all(isinstance(item, str) for item in allowed):
        raise BadRequest("can't parse allowed_updates JSON array")
    return list(allowed)


CORE_METHODS: MethodTable = {
    "getMe": get_me,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
}
