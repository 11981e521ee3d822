-- The outbox holds pending work only: a push that ended leaves it (its push record is the
-- history), so the queue and its indexes stay the size of the backlog. Rows marked done
-- before this migration go now.
DELETE FROM push_outbox WHERE state = 'done';
-- The claim takes the earliest due first, by (lease_until, id): the index keeps that order
-- (SQLite's index entries end with the row id already).
DROP INDEX push_outbox_due;
CREATE INDEX push_outbox_due ON push_outbox (state, lease_until, id);
