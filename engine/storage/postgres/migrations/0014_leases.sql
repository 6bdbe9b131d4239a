-- PostgreSQL dialect of sqlite/migrations/0014_leases.sql (see 0001).
-- Leases: which instance does what when several share one database. Each stage of the
-- pipeline, each target's delivery and each source's scheduled poll runs on exactly one
-- instance: the one holding its lease. A holder renews well before expires_at; an instance
-- that dies stops renewing, and another takes the lease over once it has expired. Times are the
-- database server's clock (PgStore::AcquireLease), so instances' clocks need not agree.
CREATE TABLE leases (
  name        TEXT   PRIMARY KEY,
  holder      TEXT   NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
