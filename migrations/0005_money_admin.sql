-- Money and administration (shared/money): Stars payments, referrals, promo codes, broadcasts.
--
-- A Stars payment is credited once: its telegram_payment_charge_id is the primary key here and the
-- idempotency key of its ledger row ('stars:<charge id>'), both written in one transaction.
CREATE TABLE payments (
    charge_id           text PRIMARY KEY,               -- telegram_payment_charge_id
    provider_charge_id  text,
    user_id             bigint NOT NULL REFERENCES users (id),
    pack_credits        bigint NOT NULL CHECK (pack_credits > 0),
    stars               integer NOT NULL CHECK (stars > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    refunded_at         timestamptz,
    refunded_by         bigint
);
CREATE INDEX payments_user ON payments (user_id, created_at);

-- Referrals: who brought the user (set once, never to themselves), and when the bonus was paid.
ALTER TABLE users
    ADD COLUMN referrer_id bigint REFERENCES users (id),
    ADD COLUMN referral_paid_at timestamptz,
    ADD CONSTRAINT users_no_self_referral CHECK (referrer_id IS DISTINCT FROM id);

CREATE TABLE promo_codes (
    code        text PRIMARY KEY,
    credits     bigint NOT NULL CHECK (credits > 0),
    max_uses    integer NOT NULL CHECK (max_uses > 0),
    uses        integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    created_by  bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (uses BETWEEN 0 AND max_uses)
);

CREATE TABLE promo_redemptions (
    code        text NOT NULL REFERENCES promo_codes (code),
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, user_id)
);

-- Broadcasts: the recipient list is fixed when the broadcast is made; each row is claimed
-- ('sending') before its message goes out and marked with the outcome after, so a restarted worker
-- resumes where the last one stopped and never sends a row twice.
CREATE TABLE broadcasts (
    id              bigserial PRIMARY KEY,
    admin_id        bigint NOT NULL,
    text            text NOT NULL,
    state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE broadcast_recipients (
    broadcast_id    bigint NOT NULL REFERENCES broadcasts (id),
    user_id         bigint NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'delivered', 'blocked', 'failed')),
    claimed_at      timestamptz,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_pending ON broadcast_recipients (broadcast_id) WHERE status IN ('pending', 'sending');
