-- Users, the credits ledger and generation jobs (shared/ledger, shared/jobs).
--
-- Balance model: a hold is a NEGATIVE movement. users.balance is what the user can spend right now
-- and always equals the sum of the user's ledger rows. Creating a job moves -price (kind 'hold');
-- success records a zero-amount 'capture' (the held credits stay spent); failure, expiry or cancel
-- records +price ('refund'). Every movement and its balance change commit in one transaction, and
-- the CHECK below makes a negative balance impossible whatever the code does.
CREATE TABLE users (
    id          bigint PRIMARY KEY,                 -- Telegram user id
    language    text NOT NULL DEFAULT 'ru',
    username    text,
    banned      boolean NOT NULL DEFAULT false,
    balance     bigint NOT NULL DEFAULT 0 CONSTRAINT users_balance_not_negative CHECK (balance >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    amount          bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('grant', 'purchase', 'hold', 'capture', 'refund',
                                                  'admin', 'referral')),
    reason          text NOT NULL,
    idempotency_key text NOT NULL CONSTRAINT ledger_idempotency_key UNIQUE,
    job_id          uuid,
    balance_after   bigint NOT NULL CHECK (balance_after >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'hold' OR amount < 0),
    CHECK (kind <> 'capture' OR amount = 0),
    CHECK (kind <> 'refund' OR amount > 0),
    CHECK (kind NOT IN ('hold', 'capture', 'refund') OR job_id IS NOT NULL)
);
CREATE INDEX ledger_user_recent ON ledger (user_id, id DESC);
-- A job is held once and settled (captured or refunded) once, whatever the idempotency keys say.
CREATE UNIQUE INDEX ledger_one_hold_per_job ON ledger (job_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX ledger_one_settlement_per_job ON ledger (job_id) WHERE kind IN ('capture', 'refund');

CREATE TABLE jobs (
    id                  uuid PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    chat_id             bigint NOT NULL,
    model_id            text NOT NULL,
    params              jsonb NOT NULL,
    price_credits       bigint NOT NULL CHECK (price_credits > 0),
    state               text NOT NULL DEFAULT 'queued'
                        CHECK (state IN ('queued', 'submitting', 'submitted', 'succeeded', 'failed',
                                         'cancelled', 'expired')),
    settlement          text CHECK (settlement IN ('captured', 'refunded')),
    kie_task_id         text UNIQUE,
    attempts            integer NOT NULL DEFAULT 0,
    error_code          text,
    error_text          text,
    result_urls         jsonb NOT NULL DEFAULT '[]',
    typical_seconds     integer NOT NULL CHECK (typical_seconds > 0),
    time_limit_seconds  integer NOT NULL CHECK (time_limit_seconds > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    not_before          timestamptz NOT NULL DEFAULT now(),
    submitting_at       timestamptz,
    submitted_at        timestamptz,
    next_poll_at        timestamptz,
    polls               integer NOT NULL DEFAULT 0,
    finished_at         timestamptz,
    deadline            timestamptz NOT NULL,
    progress_message_id bigint,
    delivered_at        timestamptz,
    notified_at         timestamptz,
    result_message_id   bigint,
    -- Terminal states are settled, running states are not.
    CHECK ((state IN ('succeeded', 'failed', 'cancelled', 'expired')) = (settlement IS NOT NULL)),
    CHECK (state <> 'succeeded' OR settlement = 'captured'),
    CHECK (state = 'succeeded' OR settlement IS DISTINCT FROM 'captured')
);
CREATE INDEX jobs_outbox ON jobs (not_before, created_at) WHERE state = 'queued';
CREATE INDEX jobs_overdue ON jobs (next_poll_at) WHERE state IN ('submitting', 'submitted');
CREATE INDEX jobs_deadline ON jobs (deadline) WHERE state IN ('queued', 'submitting', 'submitted');
CREATE INDEX jobs_unnotified ON jobs (finished_at) WHERE notified_at IS NULL AND settlement IS NOT NULL;
CREATE INDEX jobs_user_recent ON jobs (user_id, created_at DESC);
