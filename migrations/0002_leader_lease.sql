-- The PostgreSQL lease backend, fencing, and the leader's activity log.
--
-- leader_lease holds one row per lease name. expires_at is only ever compared with the database clock
-- (now()), never a client clock, so hosts with skewed clocks agree on when a term ends.
--
-- Epochs: leader_terms (from 0001) records every term either backend granted. A new term's epoch is
-- above every epoch recorded there and in fence, so epochs stay comparable when a deployment switches
-- LOCK_BACKEND. leader_terms is also the global fence: a fenced write whose epoch is below the highest
-- recorded term is rejected even for a resource the new leader has not written yet.
CREATE TABLE leader_lease (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    epoch       bigint NOT NULL CHECK (epoch > 0),
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- Per resource, the highest epoch that wrote to it; a write carrying a lower epoch is rejected in the
-- same transaction (shared/fencing.py).
CREATE TABLE fence (
    resource    text PRIMARY KEY,
    epoch       bigint NOT NULL CHECK (epoch > 0),
    holder      text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One fenced row per leader beat: who acted as leader, with which epoch, when. Pruned by the writer.
CREATE TABLE leader_activity (
    id          bigserial PRIMARY KEY,
    epoch       bigint NOT NULL,
    holder      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX leader_activity_at ON leader_activity (at);
