-- Each start of the daemon, so that an unclean stop (crash, kill -9, power loss) is visible at
-- the next start and on the status page.
CREATE TABLE daemon_runs (
  id          INTEGER PRIMARY KEY,
  version     TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,  -- unix milliseconds
  stopped_at  INTEGER            -- null while running, or when the run did not stop cleanly
);
