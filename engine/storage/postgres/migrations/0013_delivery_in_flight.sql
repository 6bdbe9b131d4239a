-- PostgreSQL dialect of sqlite/migrations/0013_delivery_in_flight.sql (see 0001).
-- Touchpoints and actions whose request went out but whose answer was not committed: a crash
-- between the CRM's answer and the commit, or an answer that never came (a timeout, a 5xx), may
-- have left them applied at the CRM. Before such an item is sent again, its target is asked
-- whether it has it already (TargetSession::PlanLookup), so that a create is never doubled.
-- A row goes when its item is settled (delivered or dead-lettered).
CREATE TABLE delivery_in_flight (
  target  TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  sent_at BIGINT NOT NULL,
  PRIMARY KEY (target, key)
);
