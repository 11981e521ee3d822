-- A resend is found by its de-duplication key (content and receiver) within the app; the sender
-- and MsgRandom are compared on the few rows that match. Sends accepted together look up all
-- their keys in one statement, whatever their senders.
DROP INDEX im_messages_dedup;
CREATE INDEX im_messages_dedup_hash ON im_messages (sdkappid, content_hash);
