-- PostgreSQL dialect of sqlite/migrations/0010_source_activity.sql (see 0001).
-- Per-source intake counters by minute, for the status page's "last hour / last day" figures
-- and trends. source_stats keeps the totals; these rows are pruned after eight days.
CREATE TABLE source_activity (
  source             TEXT    NOT NULL,
  minute             BIGINT NOT NULL,  -- unix minutes
  received           BIGINT NOT NULL DEFAULT 0,
  accepted           BIGINT NOT NULL DEFAULT 0,
  duplicates         BIGINT NOT NULL DEFAULT 0,
  rejected           BIGINT NOT NULL DEFAULT 0,
  signature_failures BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (source, minute)
);
CREATE INDEX source_activity_minute ON source_activity(minute);
CREATE INDEX data_quality_issues_time ON data_quality_issues(created_at);
