-- Admin decisions on identity (accept or reject a review, split a profile) are queued here and
-- carried out by whichever process owns the identity graph (the daemon, or the command itself
-- when no daemon runs), so the graph in memory and the tables never disagree.
CREATE TABLE identity_actions (
  id         INTEGER PRIMARY KEY,
  kind       TEXT    NOT NULL,  -- accept_review | reject_review | split
  review_id  INTEGER,
  profile_id INTEGER,
  records    TEXT,              -- split: JSON array of record ids
  status     TEXT    NOT NULL DEFAULT 'pending',  -- pending | done | failed
  result     TEXT,              -- what happened, or why not
  created_at INTEGER NOT NULL,
  applied_at INTEGER
);
CREATE INDEX identity_actions_pending ON identity_actions(status, id);
