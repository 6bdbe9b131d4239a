-- Canonical records: what the mapping stage made of each inbox event. Later stages (identity,
-- governance, journey) read them in id order; keeping them lets a profile be rebuilt from its
-- sources after an unmerge or an erasure.
CREATE TABLE records (
  id          INTEGER PRIMARY KEY,
  inbox_id    INTEGER NOT NULL UNIQUE REFERENCES inbox(id) ON DELETE CASCADE,
  source      TEXT    NOT NULL,
  event_type  TEXT    NOT NULL,
  occurred_at INTEGER NOT NULL,  -- unix milliseconds
  record      TEXT    NOT NULL   -- the canonical record as JSON (docs/mapping.md)
);
CREATE INDEX records_source ON records(source, id);
