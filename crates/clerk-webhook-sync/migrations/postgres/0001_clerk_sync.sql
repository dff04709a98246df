-- clerk-webhook-sync tables (PostgreSQL). Times are integer Unix milliseconds; JSON is JSONB.
CREATE TABLE IF NOT EXISTS clerk_webhook_deliveries (
    svix_id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS clerk_users (
    id TEXT PRIMARY KEY NOT NULL,
    external_id TEXT,
    primary_email_address TEXT,
    username TEXT,
    first_name TEXT,
    last_name TEXT,
    image_url TEXT,
    public_metadata JSONB,
    private_metadata JSONB,
    unsafe_metadata JSONB,
    created_at BIGINT,
    updated_at BIGINT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT,
    raw JSONB
);

CREATE TABLE IF NOT EXISTS clerk_organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT,
    slug TEXT,
    image_url TEXT,
    public_metadata JSONB,
    private_metadata JSONB,
    created_at BIGINT,
    updated_at BIGINT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT,
    raw JSONB
);

CREATE TABLE IF NOT EXISTS clerk_organization_memberships (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT,
    user_id TEXT,
    role TEXT,
    created_at BIGINT,
    updated_at BIGINT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT,
    raw JSONB
);

CREATE INDEX IF NOT EXISTS clerk_organization_memberships_organization_id
    ON clerk_organization_memberships (organization_id);
CREATE INDEX IF NOT EXISTS clerk_organization_memberships_user_id
    ON clerk_organization_memberships (user_id);
