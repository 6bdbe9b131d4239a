-- PostgreSQL dialect of sqlite/migrations/0012_poll_state.sql (see 0001).
-- Where each polled stream stands, written in the same transaction as the page of records it
-- covers, so a crash between a page and its cursor is impossible: a restarted run resumes at
-- the last committed page, and nothing is fetched into the inbox twice or skipped.
CREATE TABLE poll_state (
  source     TEXT    NOT NULL,
  stream     TEXT    NOT NULL,
  state      TEXT    NOT NULL,  -- JSON: {"cursor": ..., "resume": ..., "pending": ...}
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (source, stream)
);

-- Files a drop-directory source has imported, by content: the same export dropped again (or
-- under another name) is not imported twice. Written with the file's last rows.
CREATE TABLE imported_files (
  source      TEXT    NOT NULL,
  sha256      TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  size        BIGINT NOT NULL,
  rows        BIGINT NOT NULL,
  imported_at BIGINT NOT NULL,
  PRIMARY KEY (source, sha256)
);
