-- The per-source counters are striped: a source has up to 16 rows in source_stats (and per
-- minute in source_activity), one per shard, and readers add them up. With several instances on
-- one PostgreSQL database, every intake commit bumped the source's single row and held its lock
-- until the commit was on disk, so all instances' commits queued behind one another; there, a
-- commit writes the shard of its connection (pg_backend_pid() % 16). A SQLite file has one
-- writer, so it only ever has shard 0 (and the column keeps the schemas twins).
-- SQLite cannot change a primary key: the tables are rebuilt, their rows going to shard 0.
CREATE TABLE source_stats_striped (
  source             TEXT    NOT NULL,
  received           INTEGER NOT NULL DEFAULT 0,
  accepted           INTEGER NOT NULL DEFAULT 0,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rejected           INTEGER NOT NULL DEFAULT 0,
  signature_failures INTEGER NOT NULL DEFAULT 0,
  last_event_at      INTEGER,
  suppressed         INTEGER NOT NULL DEFAULT 0,
  shard              INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, shard)
) WITHOUT ROWID;
INSERT INTO source_stats_striped(source, received, accepted, duplicates, rejected,
                                 signature_failures, last_event_at, suppressed, shard)
  SELECT source, received, accepted, duplicates, rejected, signature_failures, last_event_at,
         suppressed, 0
  FROM source_stats;
DROP TABLE source_stats;
ALTER TABLE source_stats_striped RENAME TO source_stats;

CREATE TABLE source_activity_striped (
  source             TEXT    NOT NULL,
  minute             INTEGER NOT NULL,  -- unix minutes
  received           INTEGER NOT NULL DEFAULT 0,
  accepted           INTEGER NOT NULL DEFAULT 0,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rejected           INTEGER NOT NULL DEFAULT 0,
  signature_failures INTEGER NOT NULL DEFAULT 0,
  shard              INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, minute, shard)
) WITHOUT ROWID;
INSERT INTO source_activity_striped(source, minute, received, accepted, duplicates, rejected,
                                    signature_failures, shard)
  SELECT source, minute, received, accepted, duplicates, rejected, signature_failures, 0
  FROM source_activity;
DROP TABLE source_activity;
ALTER TABLE source_activity_striped RENAME TO source_activity;
CREATE INDEX source_activity_minute ON source_activity(minute);
