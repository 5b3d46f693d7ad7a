-- Dead letters are kept events.dead_letter_retention_days (14 by default, as
-- SQS keeps messages at most), then deleted oldest first by the event bus
-- runtime; this index makes that a range scan, however many there are.
CREATE INDEX event_dead_letters_dead_at_idx ON event_dead_letters (dead_at);
