-- clients.owner: who owns a client registered or claimed while signed in to the dashboard
-- (docs/dashboard-sign-in.md): the keyed hash HMAC(REGISTRAR_HMAC_KEY, "owner" | issuer | sub),
-- so a copy of the database does not name the people. NULL: nobody (anonymous, admin, initial
-- access token). The index serves "My clients" (newest first, as the admin list pages).
ALTER TABLE clients ADD COLUMN owner TEXT
  CHECK (owner IS NULL OR (length(owner) = 43 AND owner NOT GLOB '*[^A-Za-z0-9_-]*'));
CREATE INDEX clients_by_owner ON clients (owner, client_id_issued_at DESC, client_id DESC)
  WHERE owner IS NOT NULL;
