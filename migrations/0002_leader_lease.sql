-- The PostgreSQL lease backend and fencing.
--
-- leader_lease holds at most one row per lease name. expires_at is always compared with the database
-- clock (now()), never a client clock, so hosts with skewed clocks agree on when a term ends.
-- leader_epoch is the one epoch source of the PostgreSQL backend; acquire takes
-- greatest(nextval, floor) so PostgreSQL terms stay above any epoch the Redis backend has issued.
-- fence holds, per resource, the highest epoch that ever wrote to it: a write carrying a lower epoch is
-- rejected in the same transaction (see shared/fencing.py).
CREATE TABLE leader_lease (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    epoch       bigint NOT NULL CHECK (epoch > 0),
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE SEQUENCE leader_epoch AS bigint MINVALUE 1;

CREATE TABLE fence (
    resource    text PRIMARY KEY,
    epoch       bigint NOT NULL CHECK (epoch > 0),
    holder      text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Terms of the Redis backend are recorded here too (best effort), so a later PostgreSQL term knows
-- the highest epoch ever granted.
ALTER TABLE leader_terms DROP CONSTRAINT IF EXISTS leader_terms_pkey;
ALTER TABLE leader_terms ADD PRIMARY KEY (epoch, backend);
