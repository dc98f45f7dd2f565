-- Registered OAuth clients. One row per client; deleted clients are removed.
-- Secrets are never stored: only HMAC-SHA256 digests keyed with the REGISTRAR_HMAC_KEY secret.
CREATE TABLE clients (
  -- Random, URL-safe, 128 bits; the primary key and the last segment of registration_client_uri.
  client_id TEXT PRIMARY KEY NOT NULL,
  -- The validated client metadata as JSON (the members echoed in responses, nothing secret).
  metadata TEXT NOT NULL,
  -- HMAC of the client_secret; NULL for clients without one (none, private_key_jwt).
  client_secret_hash TEXT,
  -- HMAC of the current registration access token; rotated by PUT, compared in constant time.
  registration_token_hash TEXT NOT NULL,
  -- Unix seconds.
  client_id_issued_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
