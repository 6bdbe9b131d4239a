-- Governance: records that failed a rule or their mapping wait in quarantine for an admin;
-- erased people leave only salted hashes of their identifiers (so that later events for them are
-- dropped) and an audit entry; suppressed events are counted per source.

-- A quarantined event keeps its reasons and a reference to its raw inbox payload, from which a
-- release maps it again (the inbox row goes back to pending).
CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY,
  inbox_id    INTEGER REFERENCES inbox(id) ON DELETE SET NULL,
  source      TEXT    NOT NULL,
  event_type  TEXT    NOT NULL DEFAULT '',
  external_id TEXT    NOT NULL DEFAULT '',
  reasons     TEXT    NOT NULL,  -- JSON [{rule, field, check, message}], never a value
  record      TEXT,              -- the canonical record as mapped; NULL when mapping failed
  status      TEXT    NOT NULL DEFAULT 'quarantined'
                      CHECK (status IN ('quarantined', 'released', 'discarded')),
  created_at  INTEGER NOT NULL,
  decided_at  INTEGER,
  decided_by  TEXT               -- "admin api" or "cli"
);
CREATE INDEX quarantine_status ON quarantine(status, id);
CREATE INDEX quarantine_inbox ON quarantine(inbox_id);

-- One row per rule a quarantined event broke, for filtering by rule.
CREATE TABLE quarantine_rules (
  quarantine_id INTEGER NOT NULL REFERENCES quarantine(id) ON DELETE CASCADE,
  rule          TEXT    NOT NULL,
  PRIMARY KEY (quarantine_id, rule)
) WITHOUT ROWID;
CREATE INDEX quarantine_rules_rule ON quarantine_rules(rule, quarantine_id);

-- Install-wide secrets made on first use (the suppression salt).
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

-- HMAC-SHA256(salt, type ":" value) of every identifier of an erased person.
CREATE TABLE suppressions (
  hash       TEXT    PRIMARY KEY,
  erasure_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The audit of each erasure: who asked, when, what was removed, and which CRM targets still
-- have to be told (the delivery stage clears them). Hashes only, never the data.
CREATE TABLE erasures (
  id              INTEGER PRIMARY KEY,
  requested_by    TEXT    NOT NULL,
  requested_at    INTEGER NOT NULL,
  profile_id      INTEGER,
  identifier_hashes TEXT  NOT NULL,  -- JSON array of the suppression hashes
  removed         TEXT    NOT NULL,  -- JSON counts: records, inbox, identifiers, quarantine...
  pending_targets TEXT    NOT NULL DEFAULT '[]'  -- JSON array of target names
);

ALTER TABLE source_stats ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;

-- An erasure request's identifiers wait here until the identity stage carries it out; the
-- column is cleared then, so the queue keeps no personal data.
ALTER TABLE identity_actions ADD COLUMN payload TEXT;

-- An erased profile's row stays (without personal data) so that its id is never given to
-- somebody else; it resolves to "erased".
ALTER TABLE profiles ADD COLUMN erased_at INTEGER;
