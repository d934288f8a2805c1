"""Telegram Bot API emulator: an aiohttp server that plays api.telegram.org for tests and the sandbox.

Run it::

    python -m emulators.telegram --port 8081 [--token TOKEN ...]

It binds 127.0.0.1 and prints ``telegram emulator listening on http://127.0.0.1:8081`` when ready.
Bot methods live at ``/bot{token}/{method}`` (GET query, POST JSON, urlencoded or multipart), files at
``/file/bot{token}/{file_path}``. Answers use Telegram's envelope: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}``.

In process::

    state = BotApiState(["123:TOKEN"])
    async with run_emulator(state, port=port) as emulator:
        user = state.create_user("Ann")
        state.send_text(user.id, "/start")
        ...
        assert [m.text for m in state.bot_replies(user.id)] == ["Hello"]

Bot API methods: getMe, setWebhook, deleteWebhook, getWebhookInfo, getUpdates, sendMessage,
editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage, answerCallbackQuery,
sendChatAction, sendPhoto, sendVideo, sendAudio, sendVoice, sendDocument, sendMediaGroup, getFile,
editMessageMedia, answerInlineQuery,
sendInvoice, answerPreCheckoutQuery, refundStarPayment, setMyCommands, getMyCommands, deleteMyCommands,
setChatMenuButton, getChatMenuButton.
Unknown token: 401 "Unauthorized"; unknown method: 404 "Not Found"; invalid input: 400 with Telegram's
description ("Bad Request: chat not found", "message text is empty", "message is too long",
"BUTTON_DATA_INVALID", "message to edit not found", "message is not modified: ...").

Updates: every simulated action gets the bot's next update_id. With a webhook set, updates are POSTed
with ``X-Telegram-Bot-Api-Secret-Token`` and re-sent (backoff 0.1 s doubling to 2 s by default, see
``DeliveryPolicy``) until a 2xx; one chat at a time in order, chats concurrently up to max_connections.
Without one they wait for getUpdates (409 for a second concurrent poller or while a webhook is set).

Python simulation API (on ``BotApiState``): ``create_user``, ``create_group``, ``send_text``,
``send_photo``, ``press_button`` (by callback_data or button_text), ``pay_invoice`` and
``pay_forwarded_invoice`` (then an ok answerPreCheckoutQuery makes the successful_payment message
follow); inline mode:
``send_inline_query`` (``@bot query`` typed in a chat; the bot's answerInlineQuery is validated and
kept), ``choose_inline_result`` (the result is sent "via @bot" into that chat with an
inline_message_id; a chosen_inline_result follows only with ``bot.inline_feedback`` on, Telegram's
default being off), ``press_inline_button`` (a callback_query with inline_message_id and no message;
edits by inline_message_id answer True; editMessageMedia of an inline message refuses a new upload,
taking only a file_id or an HTTP URL, as Telegram does); inspection: ``calls_of``,
``chat_messages``, ``bot_replies``, ``bot(token).updates``, ``bot(token).webhook_stats``,
``faults.add(FaultRule(...))``; ``changes`` is a signal that fires on every visible change.

Control API (JSON; answers ``{"ok": true, "result": ...}`` or 400 ``{"ok": false, "description"}``).
``token`` selects the bot and defaults to the first one:

    GET    /_emulator/state           bots (webhook info), users, chats, generation
    GET    /_emulator/users           simulated users
    POST   /_emulator/users           {first_name, username?, last_name?, user_id?, language_code?}
    POST   /_emulator/groups          {title, member_ids, chat_id?}
    POST   /_emulator/send_text       {user_id, text, chat_id?, reply_to_message_id?, token?}
    POST   /_emulator/press_button    {user_id, message_id, callback_data | button_text, chat_id?, token?}
    POST   /_emulator/send_photo      multipart (user_id, caption?, chat_id?, token?, one file part)
                                      or JSON {user_id, data_base64, caption?, file_name?}
    POST   /_emulator/pay_invoice     {user_id, message_id, chat_id?, token?}
    POST   /_emulator/inline_query    {user_id, query, chat_id?, offset?, token?}
    POST   /_emulator/choose_inline_result  {user_id, inline_query_id, result_id, token?}
                                      answers the message sent via the bot (emulator.inline_message_id)
    POST   /_emulator/inline_feedback {enabled, token?}   chosen_inline_result updates on/off
    GET    /_emulator/inline_queries  ?token=&user_id=  inline queries with the bot's answers
    POST   /_emulator/pay_forwarded_invoice  {user_id, from_chat_id, message_id, token?}  pay an
                                      invoice forwarded from another chat (no start_parameter)
    GET    /_emulator/calls           ?method=&token=&since=  recorded Bot API calls
                                      (seq, method, params, status, response)
    GET    /_emulator/chats/{chat_id}/messages   ?token=&include_deleted=1
                                      messages as they stand (edits in place, keyboards, "emulator" block)
    GET    /_emulator/updates         ?token=  every update with delivered flag and attempts
    GET    /_emulator/callback_queries  ?token=  button presses with the bot's answers
    GET    /_emulator/payments        ?token=  checkouts with answers, completed payments
    GET    /_emulator/webhook         ?token=  getWebhookInfo plus attempts/failures/delivered counters
    GET    /_emulator/faults          active fault rules
    POST   /_emulator/faults          {method | "*", kind, count?, fraction?, retry_after?, delay?,
                                       detail?}   (count null = until cleared); kind: "429" (with
                                       retry_after), "500", "slow" (answered after delay s), "400",
                                       "403", "413" (refusals, detail replaces the description) or
                                       "reset" (the connection is closed with no answer, the method
                                       not run); each recorded call names the faults behind it in
                                       ``fault`` (a reset one has status 0)
    DELETE /_emulator/faults          clear all rules
    GET    /_emulator/changes         ?after=N&timeout=S  long-poll until the change generation passes N
    GET    /_emulator/files/{file_id} a stored file's bytes (no bot token needed)
"""

from __future__ import annotations

from .app import RunningEmulator, create_app, run_emulator
from .delivery import DeliveryPolicy
from .errors import BotApiError, EmulatorError
from .faults import FaultKind, FaultRule
from .model import Chat, Message, RecordedCall, Update, User
from .state import DEFAULT_TOKEN, BotApiState

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiError",
    "BotApiState",
    "Chat",
    "DeliveryPolicy",
    "EmulatorError",
    "FaultKind",
    "FaultRule",
    "Message",
    "RecordedCall",
    "RunningEmulator",
    "Update",
    "User",
    "create_app",
    "run_emulator",
]
