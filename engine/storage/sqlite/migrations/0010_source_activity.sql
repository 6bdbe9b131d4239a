-- Per-source intake counters by minute, for the status page's "last hour / last day" figures
-- and trends. source_stats keeps the totals; these rows are pruned after eight days.
CREATE TABLE source_activity (
  source             TEXT    NOT NULL,
  minute             INTEGER NOT NULL,  -- unix minutes
  received           INTEGER NOT NULL DEFAULT 0,
  accepted           INTEGER NOT NULL DEFAULT 0,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rejected           INTEGER NOT NULL DEFAULT 0,
  signature_failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, minute)
) WITHOUT ROWID;
CREATE INDEX source_activity_minute ON source_activity(minute);
CREATE INDEX data_quality_issues_time ON data_quality_issues(created_at);
