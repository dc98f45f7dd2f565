-- Protected registration: client status and class, initial access tokens, per-class client
-- quotas and the append-only audit log. Limits are enforced inside the database, in the same
-- transaction as the change, so parallel requests can never exceed them.

-- 'active' or 'suspended'; a suspended client cannot update itself (RFC 7592 PUT answers 403).
ALTER TABLE clients ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'suspended'));
-- Who registered it: 'anonymous', 'admin' or 'iat:<initial access token id>'.
ALTER TABLE clients ADD COLUMN registered_by TEXT NOT NULL DEFAULT 'anonymous';
-- Whose policy governs it: 'anonymous', 'admin' or 'profile:<name>'.
ALTER TABLE clients ADD COLUMN policy_class TEXT NOT NULL DEFAULT 'anonymous';
CREATE INDEX clients_newest ON clients (client_id_issued_at DESC, client_id DESC);

-- Initial access tokens (RFC 7591 §3). The value is never stored: token_hash is its HMAC.
CREATE TABLE initial_access_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  -- Policy profile of the clients it registers; NULL: the 'default' profile.
  profile TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  max_uses INTEGER NOT NULL,
  uses INTEGER NOT NULL DEFAULT 0,
  -- Set by revocation; the iat_valid trigger refuses the token from then on.
  revoked_at INTEGER,
  CONSTRAINT iat_uses CHECK (uses <= max_uses)
) STRICT;
CREATE INDEX initial_access_tokens_newest ON initial_access_tokens (created_at DESC, id DESC);

-- Each registration through a token uses it once, in the transaction of the client insert.
CREATE TRIGGER iat_valid BEFORE INSERT ON clients
WHEN NEW.registered_by LIKE 'iat:%' AND NOT EXISTS (
  SELECT 1 FROM initial_access_tokens
  WHERE id = substr(NEW.registered_by, 5)
    AND revoked_at IS NULL AND expires_at > NEW.client_id_issued_at)
BEGIN
  SELECT RAISE(ABORT, 'iat_invalid');
END;
CREATE TRIGGER iat_use AFTER INSERT ON clients
WHEN NEW.registered_by LIKE 'iat:%'
BEGIN
  UPDATE initial_access_tokens SET uses = uses + 1 WHERE id = substr(NEW.registered_by, 5);
END;

-- Clients held per policy class, against the class's max_clients (written before each insert).
CREATE TABLE client_quota (
  class TEXT PRIMARY KEY NOT NULL,
  n INTEGER NOT NULL,
  max INTEGER NOT NULL,
  CONSTRAINT client_quota CHECK (n <= max)
) STRICT;
CREATE TRIGGER client_quota_insert AFTER INSERT ON clients
BEGIN
  UPDATE client_quota SET n = n + 1 WHERE class = NEW.policy_class;
END;
CREATE TRIGGER client_quota_delete AFTER DELETE ON clients
BEGIN
  UPDATE client_quota SET n = n - 1 WHERE class = OLD.policy_class;
END;

-- Append-only audit log: never a secret or token.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  client_id TEXT,
  -- 'anonymous', 'client', 'admin' or 'iat:<id>'.
  actor TEXT NOT NULL,
  request_id TEXT NOT NULL,
  -- HMAC of CF-Connecting-IP under REGISTRAR_HMAC_KEY.
  ip_hash TEXT,
  -- JSON with event details (e.g. the error of a refused registration).
  detail TEXT
) STRICT;
CREATE INDEX audit_events_client ON audit_events (client_id, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
