-- Support tickets (/support, /paysupport): a user's messages are relayed to the admins with the
-- user's card; an admin answers by replying to the relayed message, and the answer goes back.
-- A user has at most one open ticket; each relayed message is recorded once per update.
CREATE TABLE support_tickets (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    topic       text NOT NULL CHECK (topic IN ('general', 'payment')),
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    closed_by   bigint
);
CREATE UNIQUE INDEX support_tickets_one_open ON support_tickets (user_id) WHERE closed_at IS NULL;

CREATE TABLE support_messages (
    update_id   bigint PRIMARY KEY,                       -- the Telegram update that carried it
    ticket_id   bigint NOT NULL REFERENCES support_tickets (id),
    from_admin  boolean NOT NULL,
    author_id   bigint NOT NULL,
    text        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, created_at);

-- Which ticket a relayed message in an admin's chat belongs to, so a reply to it finds the user.
CREATE TABLE support_relays (
    admin_id    bigint NOT NULL,
    message_id  bigint NOT NULL,
    ticket_id   bigint NOT NULL REFERENCES support_tickets (id),
    PRIMARY KEY (admin_id, message_id)
);
