-- Sync runs: each pull of records from a source (a CSV import now; scheduled and manual polls of
-- source APIs as they land), with what it fetched and where its cursor stood before and after.
CREATE TABLE sync_runs (
  id            INTEGER PRIMARY KEY,
  source        TEXT    NOT NULL,
  trigger       TEXT    NOT NULL,            -- import | schedule | manual
  status        TEXT    NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER,
  pages         INTEGER NOT NULL DEFAULT 0,
  records       INTEGER NOT NULL DEFAULT 0,  -- new events stored
  duplicates    INTEGER NOT NULL DEFAULT 0,  -- already in the inbox
  errors        INTEGER NOT NULL DEFAULT 0,  -- bad rows or records, each a data-quality issue
  cursor_before TEXT    NOT NULL DEFAULT '',
  cursor_after  TEXT    NOT NULL DEFAULT '',
  detail        TEXT    NOT NULL DEFAULT ''  -- the file synced, or why the run failed
);
CREATE INDEX sync_runs_source ON sync_runs(source, id);
