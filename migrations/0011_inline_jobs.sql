-- Inline mode: a job started from a message sent "via @bot" in any chat is delivered by editing that
-- message, named by Telegram's inline_message_id (the job's chat_id is then the sender's own chat with
-- the bot, where a copy goes first to get a file_id).
ALTER TABLE jobs ADD COLUMN inline_message_id text;
