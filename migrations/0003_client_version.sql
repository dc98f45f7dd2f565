-- A revision number on each client, raised by every change. Updates are compare-and-set on it,
-- so concurrent updates cannot overwrite each other even when the registration access token is
-- not rotated (ROTATE_REGISTRATION_ACCESS_TOKEN=false).
ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
