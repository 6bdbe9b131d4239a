-- The customer journey: de-duplicated touchpoints, each profile's journey state and transitions,
-- and the actions transitions trigger (an outbox the delivery stage drains). Written by the
-- journey stage in one transaction per batch, with its cursor over the records table.

-- One row per real-world touchpoint. Its profile is its record's (profile_records), so merges
-- and splits move touchpoints with their records; erasing the records erases the touchpoints.
CREATE TABLE touchpoints (
  id          INTEGER PRIMARY KEY,
  record_id   INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  source      TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  channel     TEXT    NOT NULL DEFAULT '',
  occurred_at INTEGER NOT NULL,  -- unix milliseconds
  value       TEXT    NOT NULL DEFAULT '',  -- exact decimal text
  currency    TEXT    NOT NULL DEFAULT '',
  reference   TEXT    NOT NULL DEFAULT '',
  campaign    TEXT    NOT NULL DEFAULT '{}',  -- JSON {source, medium, name, term, content}
  attributes  TEXT    NOT NULL DEFAULT '{}'   -- JSON
);
CREATE INDEX touchpoints_record ON touchpoints(record_id);
CREATE INDEX touchpoints_time ON touchpoints(occurred_at);

-- Idempotency keys (source, type, reference) of every touchpoint and of every duplicate merged
-- into one (rule names the cross-source rule; '' for the touchpoint's own key). A redelivery,
-- an overlapping poll or a replay finds its key here and adds nothing.
CREATE TABLE touchpoint_keys (
  key           TEXT    PRIMARY KEY,
  touchpoint_id INTEGER NOT NULL REFERENCES touchpoints(id) ON DELETE CASCADE,
  source        TEXT    NOT NULL,
  type          TEXT    NOT NULL,
  reference     TEXT    NOT NULL DEFAULT '',
  record_id     INTEGER,
  rule          TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX touchpoint_keys_touchpoint ON touchpoint_keys(touchpoint_id);

-- The match keys of cross-source de-duplication rules, with the time they hold from, so that a
-- Stripe charge arriving after a restart still finds the Shopify order it belongs to.
CREATE TABLE touchpoint_match_keys (
  rule          TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  touchpoint_id INTEGER NOT NULL REFERENCES touchpoints(id) ON DELETE CASCADE,
  occurred_at   INTEGER NOT NULL,
  PRIMARY KEY (rule, key, touchpoint_id)
) WITHOUT ROWID;
CREATE INDEX touchpoint_match_keys_touchpoint ON touchpoint_match_keys(touchpoint_id);

-- Each live profile's journey: the state the evaluator resumes from, and the columns the status
-- page, the KPIs and the inactivity check query.
CREATE TABLE journey_state (
  profile_id    INTEGER PRIMARY KEY,
  stage         TEXT    NOT NULL DEFAULT '',  -- the main stage
  side          TEXT    NOT NULL DEFAULT '',  -- '', at_risk, churned
  first_source  TEXT    NOT NULL DEFAULT '',  -- first-touch source: the acquisition cohort
  last_activity INTEGER,
  next_check_at INTEGER,                      -- when time alone may change it
  engagement    REAL    NOT NULL DEFAULT 0,
  health        REAL,
  state         TEXT    NOT NULL,             -- JSON (engine/journey/journey_state.h)
  updated_at    INTEGER NOT NULL
);
CREATE INDEX journey_state_next_check ON journey_state(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX journey_state_stage ON journey_state(stage, side);

CREATE TABLE journey_transitions (
  id            INTEGER PRIMARY KEY,
  profile_id    INTEGER NOT NULL,
  kind          TEXT    NOT NULL CHECK (kind IN ('stage', 'side', 'threshold')),
  from_state    TEXT    NOT NULL DEFAULT '',
  to_state      TEXT    NOT NULL DEFAULT '',
  at            INTEGER NOT NULL,
  touchpoint_id INTEGER,  -- what caused it; NULL when time did
  enter_ordinal INTEGER NOT NULL DEFAULT 0,
  exit_ordinal  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX journey_transitions_profile ON journey_transitions(profile_id, at);
CREATE INDEX journey_transitions_to ON journey_transitions(kind, to_state, at);

-- Actions transitions triggered, one per key however often a journey is recomputed.
CREATE TABLE journey_actions (
  id          INTEGER PRIMARY KEY,
  key         TEXT    NOT NULL UNIQUE,
  profile_id  INTEGER NOT NULL,
  action      TEXT    NOT NULL,
  target      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  payload     TEXT    NOT NULL,  -- JSON; no personal data (delivery looks the profile up)
  at          INTEGER NOT NULL,  -- the transition's time
  created_at  INTEGER NOT NULL,
  status      TEXT    NOT NULL DEFAULT 'pending'  -- pending | delivered | failed | skipped
);
CREATE INDEX journey_actions_status ON journey_actions(status, id);
CREATE INDEX journey_actions_profile ON journey_actions(profile_id);

-- Profiles whose records the identity stage moved (a merge, a split, an erasure): the journey
-- stage recomputes them from their touchpoints. Written in the identity stage's transaction.
CREATE TABLE journey_dirty (
  profile_id INTEGER PRIMARY KEY
) WITHOUT ROWID;
