-- Cancel after KIE accepted a task (shared/jobs/store.py): the user stops waiting, nothing is refunded.
--
-- KIE charges for a task it accepted whether or not anyone still wants the result, so once a job has
-- left the queue Cancel cannot give the credits back; it records when the user stopped waiting, the
-- progress message stops updating, and the result is still delivered and captured.
ALTER TABLE jobs ADD COLUMN stop_waiting_at timestamptz;
