//! Audit events, their names, and the audit filter, defined once for every backend: the service,
//! the admin API, the projection and the stores name an event by its [`AuditKind`]; the stored and
//! wire name is [`AuditKind::as_str`] (D1 binds it as a parameter, never as an SQL literal).

use serde_json::{json, Value};

crate::metadata::enums::wire_enum! {
    /// What an audit event records. Its name (`as_str`) is what D1 and KV store and the admin API
    /// returns and filters on (`GET /admin/audit?event=`); docs/protected-registration.md lists
    /// them. `ScheduledCleanup` is the scheduled clean-up's template (actor, request id): each
    /// removal is stored under its own kind (`IatExpired`, `ClientExpired`,
    /// `ClientRemovedUnused`), never under that one.
    AuditKind {
        ClientRegistered => "client_registered",
        ClientRead => "client_read",
        ClientUpdated => "client_updated",
        ClientDeleted => "client_deleted",
        ClientSuspended => "client_suspended",
        ClientReactivated => "client_reactivated",
        ClientSecretRotated => "client_secret_rotated",
        RegistrationTokenReissued => "registration_token_reissued",
        ClientClaimed => "client_claimed",
        IatMinted => "iat_minted",
        IatUsed => "iat_used",
        IatRevoked => "iat_revoked",
        RegistrationRefused => "registration_refused",
        IatExpired => "iat_expired",
        ClientExpired => "client_expired",
        ClientRemovedUnused => "client_removed_unused",
        AuditPruned => "audit_pruned",
        ProjectionResynced => "projection_resynced",
        ProjectionFailed => "projection_failed",
        ScheduledCleanup => "scheduled_cleanup",
    }
}

impl AuditKind {
    /// The kind stored as `name`; `None` for a name this build does not write.
    pub fn parse(name: &str) -> Option<Self> {
        Self::from_wire(name)
    }
}

/// Admin search over the audit log; every member narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub client_id: Option<String>,
    /// The stored name, as the admin API received it (an unknown name matches nothing).
    pub event: Option<String>,
    pub actor: Option<String>,
    /// Inclusive bounds on `at`.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl AuditFilter {
    /// Whether `e` passes every member of the filter and has an id below `before_id` (the
    /// in-memory and KV backends; D1 writes the same conditions in SQL, `list_audit`).
    pub fn matches(&self, e: &AuditRecord, before_id: Option<i64>) -> bool {
        before_id.is_none_or(|b| e.id < b)
            && (self.client_id.is_none() || e.client_id == self.client_id)
            && self.event.as_ref().is_none_or(|x| &e.event == x)
            && self.actor.as_ref().is_none_or(|x| &e.actor == x)
            && self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at <= t)
    }
}

/// Largest audit event `detail`, in bytes of its stored JSON text.
pub const MAX_AUDIT_DETAIL_BYTES: usize = 512;

/// An audit log entry. Never holds a secret or token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub at: i64,
    pub event: AuditKind,
    pub client_id: Option<String>,
    pub actor: String,
    pub request_id: String,
    pub ip_hash: Option<String>,
    pub detail: Option<Value>,
}

impl AuditEvent {
    /// The event with `detail`, cut to [`MAX_AUDIT_DETAIL_BYTES`] (see [`bounded_detail`]).
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(bounded_detail(detail));
        self
    }

    /// The event as stored under `id`, its detail bounded ([`bounded_detail`]).
    pub fn record(&self, id: i64) -> AuditRecord {
        AuditRecord {
            id,
            at: self.at,
            event: self.event.as_str().into(),
            client_id: self.client_id.clone(),
            actor: self.actor.clone(),
            request_id: self.request_id.clone(),
            ip_hash: self.ip_hash.clone(),
            detail: self.detail.as_ref().map(|d| bounded_detail(d.clone())),
        }
    }

    /// `detail` as the JSON text a store writes: never over [`MAX_AUDIT_DETAIL_BYTES`], however
    /// the event was built.
    pub fn detail_text(&self) -> Option<String> {
        self.detail
            .as_ref()
            .map(|d| bounded_detail(d.clone()).to_string())
    }
}

/// `detail` if its JSON text fits [`MAX_AUDIT_DETAIL_BYTES`]; else the same object with its
/// string members cut (marked `"truncated": true`), or only that marker when nothing else fits.
/// A refused registration's description repeats what was sent, so this is what keeps one
/// request from storing more than a row's worth.
pub fn bounded_detail(detail: Value) -> Value {
    let fits = |v: &Value| v.to_string().len() <= MAX_AUDIT_DETAIL_BYTES;
    if fits(&detail) {
        return detail;
    }
    if let Value::Object(map) = &detail {
        let mut room = MAX_AUDIT_DETAIL_BYTES / 2;
        while room >= 8 {
            let mut cut: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.len() <= 64)
                .map(|(k, v)| match v {
                    Value::String(s) if s.len() > room => {
                        let end = (0..=room)
                            .rev()
                            .find(|i| s.is_char_boundary(*i))
                            .unwrap_or(0);
                        (k.clone(), Value::String(format!("{}…", &s[..end])))
                    }
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => (k.clone(), v.clone()),
                    _ => (k.clone(), json!("…")),
                })
                .collect();
            cut.insert("truncated".into(), true.into());
            let cut = Value::Object(cut);
            if fits(&cut) {
                return cut;
            }
            room /= 2;
        }
    }
    json!({ "truncated": true })
}

/// An audit entry as read back. Its serde form is KV's key metadata of the event (absent members
/// read as `None`, `None` is not written). D1 maps its row by hand (`AuditRow`): the row as
/// `json_object(...)` read with serde_json measured +1.9 KB gzip of wasm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub actor: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::AuditKind;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        let mut names: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditKind::ALL.len(), "two kinds share a name");
        assert_eq!(AuditKind::parse("client_registered "), None);
        assert_eq!(AuditKind::parse("Client_Registered"), None);
    }

    /// The names SQL compares with or writes (migrations, the D1 store) are kinds, and the D1
    /// store writes none as a literal: it binds `AuditKind::as_str`.
    #[test]
    fn sql_names_are_kinds() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut found = 0;
        let mut dir: Vec<_> = std::fs::read_dir(format!("{root}/migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dir.sort();
        for path in dir {
            let sql = std::fs::read_to_string(&path).unwrap();
            for (i, _) in sql.match_indices("event = '") {
                let rest = &sql[i + "event = '".len()..];
                let name = &rest[..rest.find('\'').unwrap()];
                assert!(
                    AuditKind::parse(name).is_some(),
                    "{}: event '{name}' is not an AuditKind",
                    path.display()
                );
                found += 1;
            }
        }
        assert!(found > 0, "migration 0004 compares with 'client_read'");
        let mut files = 0;
        for entry in std::fs::read_dir(format!("{root}/src/glue/d1_store")).unwrap() {
            let path = entry.unwrap().path();
            let d1 = std::fs::read_to_string(&path).unwrap();
            for kind in AuditKind::ALL {
                let literal = format!("'{}'", kind.as_str());
                assert!(
                    !d1.contains(&literal),
                    "{} writes {literal} as SQL",
                    path.display()
                );
            }
            files += 1;
        }
        assert!(files > 1, "the D1 store is src/glue/d1_store/");
    }

    /// docs/ names every kind that is stored (all but the clean-up's template).
    #[test]
    fn docs_name_every_stored_kind() {
        let root = env!("CARGO_MANIFEST_DIR");
        let docs: String = std::fs::read_dir(format!("{root}/docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        for kind in AuditKind::ALL {
            if *kind != AuditKind::ScheduledCleanup {
                assert!(docs.contains(kind.as_str()), "docs/ never names {kind}");
            }
        }
    }
}
