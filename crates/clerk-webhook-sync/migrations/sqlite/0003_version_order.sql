-- Two versions of one object with the same `updated_at` are ordered by the envelope
-- `timestamp` (Unix ms) of the delivery that wrote them, then by its `svix-id`: every
-- order of arrival converges on the same row. A backfilled row has neither (a listing
-- loses every tie against a webhook).
ALTER TABLE clerk_users ADD COLUMN version_timestamp BIGINT;
ALTER TABLE clerk_users ADD COLUMN version_svix_id TEXT;
ALTER TABLE clerk_organizations ADD COLUMN version_timestamp BIGINT;
ALTER TABLE clerk_organizations ADD COLUMN version_svix_id TEXT;
ALTER TABLE clerk_organization_memberships ADD COLUMN version_timestamp BIGINT;
ALTER TABLE clerk_organization_memberships ADD COLUMN version_svix_id TEXT;
