-- 015: an index on login_throttle.last_failure, so pruning counters idle for a day does not
-- scan the table. It once sat at the end of 002_auth.sql, which was edited after it had
-- shipped; databases migrated with that edit already have it (hence IF NOT EXISTS).
CREATE INDEX IF NOT EXISTS login_throttle_last_failure_idx ON login_throttle (last_failure);
