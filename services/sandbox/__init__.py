"""The sandbox program: the whole of TRT without Telegram or KIE.

In sandbox mode (``make run`` with no ``TELEGRAM_BOT_TOKEN``, or ``SANDBOX=1``) supervisord also runs
this program. One process serves, each on its own port:

- the project's Bot API emulator at ``TELEGRAM_API_BASE_URL`` (the bot's token is the one it accepts);
- the project's KIE emulator at ``KIE_API_BASE_URL`` (and ``KIE_UPLOAD_BASE_URL``), whose results are
  small pictures, clips and sounds marked as sandbox output;
- a web chat at ``http://127.0.0.1:SANDBOX_PORT`` (default 8080) in which a person talks to the bot as
  one of a few test users, one of them an admin (the first of ``ADMIN_IDS``).

The other programs are unchanged: they only see other base URLs. The ports come from those URLs, so
``scripts/run.sh`` is the one place that chooses them.

Web chat JSON API (under ``/api``)::

    GET  /api/config                 test users, bot name, emulator URLs
    GET  /api/chats/{user_id}        the chat as it stands: messages (HTML), the reply keyboard
    GET  /api/changes?after=N        long-poll until the emulator's change generation passes N
    POST /api/send                   {user_id, text}
    POST /api/press                  {user_id, message_id, callback_data}
    POST /api/photo                  multipart: user_id, caption?, one file part
    POST /api/pay                    {user_id, message_id}  pay an invoice with test Stars
    POST /api/inline                 {user_id, query}  ``@bot query`` typed in the composer → {query_id}
    GET  /api/inline/{query_id}      {answered, results: [{id, title, description}], button}
    POST /api/inline/choose          {user_id, query_id, result_id}  sent "via @bot" into the chat
    GET  /api/files/{file_id}        a file's bytes (photos, clips, sounds the bot sent)
    GET  /api/status/{user_id}       {balance (from the ledger), health (the webhook's /health)}
"""
