-- Identity resolution: which profile each record belongs to, who owns each identifier, and why
-- profiles merged. The identity stage writes these in one transaction per batch, after its
-- in-memory graph decided; at start-up the graph is rebuilt from them.
ALTER TABLE records ADD COLUMN external_id TEXT NOT NULL DEFAULT '';

CREATE TABLE profiles (
  id          INTEGER PRIMARY KEY,
  created_at  INTEGER NOT NULL,  -- unix milliseconds
  updated_at  INTEGER NOT NULL,
  merged_into INTEGER            -- set when a merge retired it: old ids still resolve
);

CREATE TABLE profile_records (
  record_id  INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
  profile_id INTEGER NOT NULL
);
CREATE INDEX profile_records_profile ON profile_records(profile_id);

CREATE TABLE identifiers (
  type       TEXT    NOT NULL,
  value      TEXT    NOT NULL,  -- normalised (docs/mapping.md)
  profile_id INTEGER NOT NULL,
  PRIMARY KEY (type, value)
) WITHOUT ROWID;
CREATE INDEX identifiers_profile ON identifiers(profile_id);

-- Every merge and its reason; an accepted review is a merge with rule 'review'.
CREATE TABLE merges (
  id               INTEGER PRIMARY KEY,
  into_profile     INTEGER NOT NULL,
  from_profile     INTEGER NOT NULL,
  rule             TEXT    NOT NULL,  -- identifier | fuzzy | review
  identifier_type  TEXT,
  identifier_value TEXT,
  record_id        INTEGER,           -- the record that caused it
  probability      REAL,
  details          TEXT,
  created_at       INTEGER NOT NULL
);
CREATE INDEX merges_into ON merges(into_profile);
CREATE INDEX merges_from ON merges(from_profile);

-- Possible duplicates between the review and auto_merge thresholds, for an admin to decide.
CREATE TABLE reviews (
  id          INTEGER PRIMARY KEY,
  profile_a   INTEGER NOT NULL,
  profile_b   INTEGER NOT NULL,
  record_id   INTEGER,
  probability REAL    NOT NULL,
  details     TEXT    NOT NULL,
  status      TEXT    NOT NULL DEFAULT 'open',  -- open | accepted | rejected | merged
  created_at  INTEGER NOT NULL,
  decided_at  INTEGER
);
CREATE INDEX reviews_status ON reviews(status, id);

-- Pairs an admin keeps apart (a rejected review, a split): never merged again.
CREATE TABLE separations (
  profile_a  INTEGER NOT NULL,
  profile_b  INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (profile_a, profile_b)
) WITHOUT ROWID;

-- How far each stage has read the records table.
CREATE TABLE stage_cursors (
  stage   TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
);
