-- Which attempt of which executor instance wrote an execution record (issue 14). Two instances of one
-- group that both start an action each write a `started` record; the first in the executions topic's
-- partition runs, the other reports `refused` with the same run id. Null on records written before
-- executors named their runs. Not part of ORDER BY: the row stays the one outcome of one decision per
-- executor group. Applied only when the column is missing (see 0003), so it re-applies as a no-op.
ALTER TABLE {{database}}.executions ADD COLUMN run_id Nullable(String);
