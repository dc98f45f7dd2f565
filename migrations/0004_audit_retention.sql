-- Bounded audit log and read tracking (SECURITY.md, finding "the audit log can fill D1").
--
-- 1. clients.last_read_at: when an RFC 7592 read was last recorded. Reads are recorded at most
--    once per client per hour (one client_read event), and the idle clean-up reads this column
--    instead of searching the audit log.
ALTER TABLE clients ADD COLUMN last_read_at INTEGER;
UPDATE clients SET last_read_at = (
  SELECT max(a.at) FROM audit_events a
  WHERE a.client_id = clients.client_id AND a.event = 'client_read');

-- 2. Retention. Audit events stay append-only, except that the scheduled job removes events
--    older than AUDIT_RETENTION_DAYS. It first moves a horizon forward; the schema refuses to
--    delete any event at or after the horizon, to move the horizon back, or to move it closer
--    than 29 days to the database's own clock. So no code path, buggy or not, can remove a
--    recent event, and an UPDATE of an event is refused as before.
CREATE TABLE audit_prune_horizon (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  -- Unix seconds: events with at < before may be deleted.
  before INTEGER NOT NULL
) STRICT;
INSERT INTO audit_prune_horizon (id, before) VALUES (1, 0);

CREATE TRIGGER audit_prune_horizon_bounds BEFORE UPDATE ON audit_prune_horizon
WHEN NEW.id IS NOT 1 OR NEW.before < OLD.before
  OR NEW.before > CAST(strftime('%s', 'now') AS INTEGER) - 29 * 86400
BEGIN
  SELECT RAISE(ABORT, 'audit_prune_horizon: only forward, and not within 29 days of now');
END;
CREATE TRIGGER audit_prune_horizon_no_delete BEFORE DELETE ON audit_prune_horizon
BEGIN
  SELECT RAISE(ABORT, 'audit_prune_horizon cannot be deleted');
END;
CREATE TRIGGER audit_prune_horizon_no_insert BEFORE INSERT ON audit_prune_horizon
BEGIN
  SELECT RAISE(ABORT, 'audit_prune_horizon has exactly one row');
END;

DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.at >= (SELECT before FROM audit_prune_horizon WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- 3. Every stored event is bounded: Registrar cuts detail to 512 bytes and request ids to 64
--    characters; this refuses anything larger, whatever wrote it.
CREATE TRIGGER audit_events_bounded BEFORE INSERT ON audit_events
WHEN length(CAST(NEW.detail AS BLOB)) > 512 OR length(NEW.request_id) > 64
  OR length(NEW.event) > 64 OR length(NEW.actor) > 512 OR length(NEW.client_id) > 512
BEGIN
  SELECT RAISE(ABORT, 'audit_event_too_large');
END;
