-- Inline mode: a job started from a message sent "via @bot" in any chat is delivered by editing that
-- message, named by Telegram's inline_message_id (the job's chat_id is then the sender's own chat with
-- the bot, where a copy goes first to get a file_id). inline_own_chat: the message is in that very chat,
-- where a second copy would only repeat it (the result URL goes in first there).
ALTER TABLE jobs ADD COLUMN inline_message_id text;
ALTER TABLE jobs ADD COLUMN inline_own_chat boolean NOT NULL DEFAULT false;
