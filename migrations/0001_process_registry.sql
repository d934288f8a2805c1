-- Hosts that ran TRT and when they were last seen; the lease history per epoch for audits.
CREATE TABLE hosts (
    host_id     text PRIMARY KEY,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leader_terms (
    epoch       bigint PRIMARY KEY,
    holder      text NOT NULL,
    backend     text NOT NULL CHECK (backend IN ('redis', 'postgres')),
    started_at  timestamptz NOT NULL DEFAULT now()
);
