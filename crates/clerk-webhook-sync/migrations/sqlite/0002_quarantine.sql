-- Authentic deliveries of a mirrored event type whose data did not fit this version's
-- types: kept as received until `SyncStore::replay_quarantined` can apply them.
CREATE TABLE IF NOT EXISTS clerk_webhook_quarantine (
    svix_id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    error TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
