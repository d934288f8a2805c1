-- Two-phase Stars refunds (shared/money/refunds.py) and the referral bonus a purchase paid.
--
-- A refund first records its intent and takes the credits back (attempt n, ledger keys
-- 'stars:<charge>:refund:<n>'), commits, then asks Telegram outside any transaction, then settles
-- (refunded_at). A refund whose Telegram answer was lost stays requested and is finished by running
-- it again; one Telegram refused for good is undone (the credits come back) and may be tried anew.
-- The referral bonus a purchase paid is remembered so that its refund takes the bonus back too.
ALTER TABLE payments
    ADD COLUMN refund_requested_at timestamptz,
    ADD COLUMN refund_requested_by bigint,
    ADD COLUMN refund_attempt integer NOT NULL DEFAULT 0,
    ADD COLUMN referrer_id bigint,
    ADD COLUMN referral_bonus bigint NOT NULL DEFAULT 0 CHECK (referral_bonus >= 0);
UPDATE payments SET refund_requested_at = refunded_at, refund_requested_by = refunded_by, refund_attempt = 1
WHERE refunded_at IS NOT NULL;
ALTER TABLE payments
    ADD CONSTRAINT payments_refund_requested CHECK (refunded_at IS NULL OR refund_requested_at IS NOT NULL);
