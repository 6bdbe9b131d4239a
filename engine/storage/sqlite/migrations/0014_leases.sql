-- Leases: which instance does what when several share one database (PostgreSQL). Each stage of
-- the pipeline, each target's delivery and each source's scheduled poll runs on exactly one
-- instance: the one holding its lease. A holder renews well before expires_at; an instance
-- that dies stops renewing, and another takes the lease over once it has expired. With SQLite
-- there is one instance, which always holds every lease; the table is the same so that the
-- status page and the contract tests see one behaviour.
CREATE TABLE leases (
  name       TEXT    PRIMARY KEY,  -- "identity", "delivery:hubspot", "poll:shopify"
  holder     TEXT    NOT NULL,     -- instance id: host, pid, start time
  acquired_at INTEGER NOT NULL,    -- when this holder took it (renewals keep it)
  expires_at INTEGER NOT NULL      -- unix ms
) WITHOUT ROWID;
