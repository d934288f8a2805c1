-- Admin actions happen once (services/bot/handlers/admin.py): a broadcast is keyed by the update that
-- asked for it, so handling that update again (a worker killed after creating it) finds it instead of
-- messaging every user a second time. Broadcasts made before this column existed have none.
ALTER TABLE broadcasts ADD COLUMN update_id bigint UNIQUE;
