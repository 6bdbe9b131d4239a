-- Delivery to targets (docs/delivery.md). The outbox is written in the same transaction as the
-- change it announces; each target reads it in order behind its own cursor and remembers what
-- the CRM acknowledged, so that it sends differences only and never the same thing twice.
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  kind       TEXT    NOT NULL,  -- profile | touchpoint | action
  profile_id INTEGER NOT NULL,
  item_id    INTEGER,           -- touchpoints.id or journey_actions.id
  target     TEXT,              -- NULL: every target; else only that one (actions, replays)
  created_at INTEGER NOT NULL   -- unix milliseconds
);

CREATE TABLE delivery_cursors (
  target  TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
);

-- Per target and profile: the CRM's record id (the writeback) and the properties it holds as
-- far as journeyd knows (JSON object), i.e. the last values the CRM acknowledged.
CREATE TABLE delivery_profiles (
  target     TEXT    NOT NULL,
  profile_id INTEGER NOT NULL,
  crm_id     TEXT    NOT NULL DEFAULT '',
  acked      TEXT    NOT NULL DEFAULT '{}',
  acked_at   INTEGER NOT NULL,
  PRIMARY KEY (target, profile_id)
) WITHOUT ROWID;
CREATE INDEX delivery_profiles_crm_id ON delivery_profiles(target, crm_id);

-- Touchpoints and actions a target acknowledged, by their idempotency key.
CREATE TABLE delivered_keys (
  target TEXT    NOT NULL,
  key    TEXT    NOT NULL,
  at     INTEGER NOT NULL,
  PRIMARY KEY (target, key)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  id         INTEGER PRIMARY KEY,
  target     TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  profile_id INTEGER NOT NULL,
  item_id    INTEGER,
  item_key   TEXT    NOT NULL,
  message    TEXT    NOT NULL,  -- the CRM's own words
  request    TEXT    NOT NULL,  -- what was sent for this item (JSON), for people to read
  attempts   INTEGER NOT NULL,
  status     TEXT    NOT NULL DEFAULT 'dead',  -- dead | replayed | discarded
  created_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT
);
CREATE INDEX dead_letters_status ON dead_letters(status, target);

-- The requests each target sent (or, for preview, would have sent), newest kept.
CREATE TABLE delivery_requests (
  id       INTEGER PRIMARY KEY,
  target   TEXT    NOT NULL,
  method   TEXT    NOT NULL,
  url      TEXT    NOT NULL,
  body     TEXT    NOT NULL,
  what     TEXT    NOT NULL,
  items    INTEGER NOT NULL,
  status   INTEGER NOT NULL,  -- HTTP status; 0 no answer; -1 recorded only (preview)
  message  TEXT    NOT NULL DEFAULT '',
  at       INTEGER NOT NULL
);
CREATE INDEX delivery_requests_target ON delivery_requests(target, id);

-- Counters per target, kept with the cursor.
CREATE TABLE delivery_stats (
  target       TEXT PRIMARY KEY,
  delivered    INTEGER NOT NULL DEFAULT 0,
  dead         INTEGER NOT NULL DEFAULT 0,
  requests     INTEGER NOT NULL DEFAULT 0,
  failures     INTEGER NOT NULL DEFAULT 0,
  last_success INTEGER,
  last_failure INTEGER,
  last_error   TEXT NOT NULL DEFAULT ''
);
