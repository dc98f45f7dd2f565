//! Audit event names, and the audit filter, defined once for every backend: the service, the
//! admin API, the projection and the stores name an event by its [`AuditKind`]; the stored and
//! wire name is [`AuditKind::as_str`] (D1 binds it as a parameter, never as an SQL literal).

use super::AuditRecord;

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
