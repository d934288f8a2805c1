-- Reconciliation with KIE (shared/ops/money_report.py): what KIE charged for each job.
--
-- KIE's recordInfo reports creditsConsumed for a finished task (fractional at times); the jobs program
-- stores it when it settles the job from that record, whatever the outcome, so the operator can compare
-- what KIE cost with what the user paid. NULL: KIE said nothing (or the job never reached KIE).
ALTER TABLE jobs ADD COLUMN kie_credits_consumed numeric CHECK (kie_credits_consumed >= 0);
