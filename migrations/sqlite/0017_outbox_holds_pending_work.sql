-- The outbox holds pending work only: a push that ended leaves it (its push record is the
-- history), so the queue and its indexes stay the size of the backlog. Rows marked done
-- before this migration go now.
DELETE FROM push_outbox WHERE state = 'done';
