-- clients.last_used_at: when the authorization server API (/as/v1/) last recorded a use of the
-- client (Unix seconds). Written at most once per client per hour, by a conditional UPDATE, with
-- no audit event. The idle clean-up (IDLE_ANONYMOUS_CLIENT_DAYS) counts it as activity; the
-- admin API shows it.
ALTER TABLE clients ADD COLUMN last_used_at INTEGER;
