-- PostgreSQL dialect of sqlite/migrations/0006_review_pairs.sql (see 0001).
-- A merge closes the open reviews between its two profiles; without this index that look-up
-- scanned every open review, once per merge (a million-record import slowed from 74 s to
-- over ten minutes).
CREATE INDEX reviews_pair ON reviews(profile_a, profile_b);
