-- The durable inbox: every accepted event, committed before the sender gets its 2xx.
CREATE TABLE inbox (
  id            INTEGER PRIMARY KEY,
  source        TEXT    NOT NULL,
  event_type    TEXT    NOT NULL DEFAULT '',
  external_id   TEXT,              -- the vendor's event id; NULL when the vendor gives none
  received_at   INTEGER NOT NULL,  -- unix milliseconds
  content_type  TEXT    NOT NULL DEFAULT '',
  headers       TEXT    NOT NULL DEFAULT '[]',  -- JSON [[name, value], ...], never credentials
  body_encoding TEXT    NOT NULL DEFAULT 'identity' CHECK (body_encoding IN ('identity', 'zstd')),
  body          BLOB    NOT NULL,
  body_size     INTEGER NOT NULL,  -- bytes before compression
  processed_at  INTEGER            -- NULL until the mapping stage has taken it
);
-- Idempotency: a redelivery of the same vendor event is stored once.
CREATE UNIQUE INDEX inbox_source_external_id ON inbox(source, external_id);
CREATE INDEX inbox_pending ON inbox(id) WHERE processed_at IS NULL;

-- Per-source intake counters, kept in the store so they survive restarts.
CREATE TABLE source_stats (
  source             TEXT PRIMARY KEY,
  received           INTEGER NOT NULL DEFAULT 0,
  accepted           INTEGER NOT NULL DEFAULT 0,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rejected           INTEGER NOT NULL DEFAULT 0,
  signature_failures INTEGER NOT NULL DEFAULT 0,
  last_event_at      INTEGER
);

-- Data-quality issues from every stage share one table; intake writes the first kinds.
CREATE TABLE data_quality_issues (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL,   -- e.g. signature_failure, malformed_payload
  source      TEXT    NOT NULL,
  message     TEXT    NOT NULL,   -- never a payload or a secret
  inbox_id    INTEGER REFERENCES inbox(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX data_quality_issues_kind ON data_quality_issues(kind, source, created_at);
