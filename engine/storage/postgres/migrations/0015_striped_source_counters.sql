-- PostgreSQL dialect of sqlite/migrations/0015_striped_source_counters.sql (see 0001).
-- The per-source counters are striped: a source has up to 16 rows in source_stats (and per
-- minute in source_activity), one per shard, and readers add them up. With several instances on
-- one database, every intake commit bumped the source's single row and held its lock until the
-- commit was on disk, so all instances' commits queued behind one another (half of the active
-- sessions waited on it with four instances). A commit now writes the shard of its connection,
-- pg_backend_pid() % 16, so concurrent commits mostly touch different rows. Existing rows are
-- shard 0.
ALTER TABLE source_stats ADD COLUMN shard BIGINT NOT NULL DEFAULT 0;
ALTER TABLE source_stats DROP CONSTRAINT source_stats_pkey, ADD PRIMARY KEY (source, shard);
ALTER TABLE source_activity ADD COLUMN shard BIGINT NOT NULL DEFAULT 0;
ALTER TABLE source_activity DROP CONSTRAINT source_activity_pkey,
  ADD PRIMARY KEY (source, minute, shard);
