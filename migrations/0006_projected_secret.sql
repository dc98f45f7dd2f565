-- clients.projected_secret: the client secret in the form the client projection needs
-- (PROJECT_CLIENTS = "workers-oauth-provider": lowercase hex SHA-256, what that library compares
-- at its token endpoint). Written only while the projection is configured, at the moments a
-- secret exists in clear (registration, an update that issues one, admin rotation), so the
-- projection can be rebuilt from D1 alone. NULL otherwise. SECURITY.md: what this changes at rest.
ALTER TABLE clients ADD COLUMN projected_secret TEXT
  CHECK (projected_secret IS NULL OR (length(projected_secret) = 64 AND projected_secret NOT GLOB '*[^0-9a-f]*'));
