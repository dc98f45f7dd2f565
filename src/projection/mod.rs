//! The client projection (`PROJECT_CLIENTS`, docs/authorization-server.md): Registrar keeps
//! each client written, in the record shape of an authorization server library, into the
//! key-value namespace that library reads, so an AS built on it accepts Registrar's clients
//! without calling Registrar. The store stays the source of truth: every change is written
//! there first, the projection after it, and [`Projecting::resync`] rebuilds the projection from
//! the store alone (the scheduled job runs it; so does `POST /admin/projection/resync`).

mod store;
pub mod workers_oauth_provider;

pub use crate::store::ResyncReport;
use crate::store::StoreError;
use crate::store::{
    AdminChange, After, AuditEvent, AuditFilter, AuditKind, AuditRecord, CleanupReport,
    ClientFilter, ClientStore, InitialAccessToken, StoredClient,
};
use crate::token::{hex, Secret, TokenHash};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Whether this build has the projection: a Worker built without the `projection` feature
/// refuses `PROJECT_CLIENTS` (glue), so the core's projection paths are left out of its wasm.
/// The host build (tests) always has it.
pub const PROJECTION_BUILT: bool = !cfg!(all(target_arch = "wasm32", not(feature = "projection")));

/// The key prefix of a projected client record: `client:<client_id>`.
pub const KEY_PREFIX: &str = "client:";

/// The cron trigger (wrangler.toml `[triggers]`) that runs only the projection's resync, so a
/// write that failed is repaired within minutes, not at the next daily clean-up.
pub const PROJECTION_RESYNC_CRON: &str = "*/5 * * * *";
/// Its period, in seconds.
pub const PROJECTION_RESYNC_INTERVAL: i64 = 300;

/// Attempts of one projection write before it is left to the next resync.
pub const WRITE_ATTEMPTS: usize = 3;

/// Most writes and deletes one resync makes (each is a subrequest of the Worker invocation);
/// a larger drift is worked off run by run and the report says it is not complete.
pub const MAX_RESYNC_CHANGES: usize = 500;

/// Clients read per store call in a resync.
const RESYNC_PAGE: usize = 500;

/// The namespace the projection writes. `tag` goes into the key's metadata as
/// `{"registrar": tag}` (the library reads only the value): a resync compares tags from a key
/// listing instead of reading every record, and a key without a tag was written by someone else
/// and is left alone.
#[allow(async_fn_in_trait)]
pub trait ProjectionKv {
    async fn put(&self, key: &str, value: &str, tag: &str) -> Result<(), String>;
    async fn delete(&self, key: &str) -> Result<(), String>;
    /// One page of keys under `prefix` (at most 1,000): each key with its metadata, and the
    /// cursor of the next page.
    async fn list(&self, prefix: &str, cursor: Option<String>) -> Result<KvPage, String>;
}

pub struct KvPage {
    pub keys: Vec<(String, Option<Value>)>,
    pub cursor: Option<String>,
}

/// The prefix of the library's grants, `grant:<user_id>:<grant_id>`; each key's metadata names
/// its `clientId`. The grant's tokens are `token:<user_id>:<grant_id>:<token_id>`.
pub const GRANT_PREFIX: &str = "grant:";

/// Pages of grant keys one change scans for the grants of a client just removed; a larger
/// namespace is finished by the next resync.
pub const GRANT_SCAN_PAGES_PER_CHANGE: usize = 5;

/// What the projection must hold for one client.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// The record's JSON text and its tag (a digest of the text).
    Record {
        json: String,
        tag: String,
    },
    Absent(Absence),
}

/// Why a client that exists has no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    Suspended,
    /// A token endpoint authentication method the library cannot check for it.
    UnsupportedAuthMethod,
    /// A secret issued before the projection was configured: Registrar never kept the form the
    /// library compares. Rotating the secret projects the client.
    SecretNotKept,
}

impl Entry {
    pub fn record(json: String) -> Entry {
        let tag = hex(&Sha256::digest(json.as_bytes())[..16]);
        Entry::Record { json, tag }
    }
}

/// The form of a client secret the projection stores: lowercase hex SHA-256, what
/// workers-oauth-provider's `hashSecret` computes. Kept in the store while a projection is
/// configured (`StoredClient::projected_secret`).
pub fn secret_digest(secret: &Secret) -> String {
    hex(&Sha256::digest(secret.expose().as_bytes()))
}

fn key_of(client_id: &str) -> String {
    format!("{KEY_PREFIX}{client_id}")
}

/// A store whose changes are projected after they are made. Every change to a client passes
/// through here (registration, RFC 7592 update and delete, admin changes), so none can skip the
/// projection; without a namespace (`kv: None`) it only forwards.
pub struct Projecting<S, K> {
    pub store: S,
    pub kv: Option<K>,
}

impl<S: ClientStore, K: ProjectionKv> Projecting<S, K> {
    /// Writes `entry` under `client_id`'s key, a few attempts before giving up.
    async fn write(kv: &K, client_id: &str, entry: &Entry) -> Result<(), String> {
        let key = key_of(client_id);
        let mut last = String::new();
        for _ in 0..WRITE_ATTEMPTS {
            let done = match entry {
                Entry::Record { json, tag } => kv.put(&key, json, tag).await,
                Entry::Absent(_) => kv.delete(&key).await,
            };
            match done {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Projects the client as the store now has it, `known` being what was just written (then
    /// the store is not read first). After each write the store is read again: a change that
    /// landed in between (another update, a delete) is projected too, so the last write to the
    /// namespace follows the last change to the store.
    async fn project(
        &self,
        kv: &K,
        client_id: &str,
        mut known: Option<Option<StoredClient>>,
    ) -> Result<Projected, String> {
        let mut current = match known.take() {
            Some(c) => c,
            None => self
                .store
                .find(client_id)
                .await
                .map_err(|e| e.to_string())?,
        };
        for _ in 0..WRITE_ATTEMPTS {
            let entry = match &current {
                Some(c) => projected_entry(c),
                None => Entry::Absent(Absence::Suspended),
            };
            Self::write(kv, client_id, &entry).await?;
            let after = self
                .store
                .find(client_id)
                .await
                .map_err(|e| e.to_string())?;
            if after.as_ref().map(|c| c.version) == current.as_ref().map(|c| c.version) {
                return Ok(match entry {
                    Entry::Record { .. } => Projected::Record,
                    Entry::Absent(_) => Projected::Absent,
                });
            }
            current = after;
        }
        Err("the client kept changing; left to the next resync".into())
    }

    /// Revokes the library's grants of the clients `gone` names, with their tokens, as the
    /// library's own `revokeGrant` does: the grant key (which holds the refresh token) and every
    /// `token:<user>:<grant>:` key (the access tokens). Grants are found from the `clientId` in
    /// each grant key's metadata; grants written without it (before the library kept it) are
    /// not read. Scans at most `max_pages` pages of grant keys; returns how many grants were
    /// revoked and whether the scan reached the end.
    async fn revoke_grants(
        kv: &K,
        gone: impl Fn(&str) -> bool,
        max_pages: Option<usize>,
    ) -> Result<(u64, bool), String> {
        let (mut revoked, mut pages, mut cursor) = (0, 0, None);
        loop {
            if max_pages.is_some_and(|m| pages == m) {
                return Ok((revoked, false));
            }
            pages += 1;
            let page = kv.list(GRANT_PREFIX, cursor).await?;
            for (key, metadata) in &page.keys {
                if !metadata_str(metadata, "clientId").is_some_and(|c| gone(&c)) {
                    continue;
                }
                let owner = &key[GRANT_PREFIX.len()..];
                let token_prefix = format!("token:{owner}:");
                let mut tokens = None;
                loop {
                    let listed = kv.list(&token_prefix, tokens).await?;
                    for (token_key, _) in &listed.keys {
                        kv.delete(token_key).await?;
                    }
                    match listed.cursor {
                        Some(c) => tokens = Some(c),
                        None => break,
                    }
                }
                kv.delete(key).await?;
                revoked += 1;
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok((revoked, true)),
            }
        }
    }

    /// After a change the store made: projects it, and records a failure in the audit log
    /// (the change itself stands; the next resync repairs the projection).
    /// `events` are the change's own (the failure is dated and attributed like them).
    async fn after_change(
        &self,
        client_id: &str,
        known: Option<Option<StoredClient>>,
        events: &[AuditEvent],
    ) {
        let Some(kv) = &self.kv else { return };
        let outcome = match self.project(kv, client_id, known).await {
            // Gone from the AS: so are the grants and tokens it issued to the client, or an
            // access token would outlive a deletion or suspension (the library checks no
            // client record when a token is used) and a refresh token revive with reactivation.
            Ok(Projected::Absent) => {
                match Self::revoke_grants(kv, |c| c == client_id, Some(GRANT_SCAN_PAGES_PER_CHANGE))
                    .await
                {
                    Ok((_, true)) => Ok(()),
                    Ok((_, false)) => Err("grant revocation not finished (many grants); \
                         the next resync goes on"
                        .to_string()),
                    Err(e) => Err(e),
                }
            }
            Ok(Projected::Record) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(cause) = outcome {
            let Some(change) = events.first() else { return };
            let event = AuditEvent {
                event: AuditKind::ProjectionFailed,
                client_id: Some(client_id.to_string()),
                actor: "system".into(),
                detail: None,
                ..change.clone()
            }
            .with_detail(serde_json::json!({ "error": cause }));
            // Best effort: the change stands, and the next resync repairs the projection.
            let _ = self.store.append_audit(&[event]).await;
        }
    }

    /// The Registrar-issued clients that hold a grant in the namespace, recorded as used (at
    /// most once an hour each, like the AS API's lookups), 100 per store call.
    pub async fn record_uses_from_grants(&self, now: i64) -> Result<Option<u64>, StoreError> {
        let Some(kv) = &self.kv else { return Ok(None) };
        let clients: BTreeSet<String> = list_all(kv, GRANT_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(_, metadata)| metadata_str(&metadata, "clientId"))
            .filter(|id| crate::token::is_client_id_shaped(id))
            .collect();
        let clients: Vec<String> = clients.into_iter().collect();
        for chunk in clients.chunks(100) {
            self.store.record_uses(chunk, now).await?;
        }
        Ok(Some(clients.len() as u64))
    }

    /// Rebuilds the projection from the store: every client's record written, removed or left
    /// as it is, and every record of a client the store no longer has removed. `None` without
    /// a projection.
    pub async fn resync(&self) -> Result<Option<ResyncReport>, StoreError> {
        let Some(kv) = &self.kv else { return Ok(None) };
        let mut report = ResyncReport {
            complete: true,
            ..ResyncReport::default()
        };
        // Every key's tag, then every client checked against it.
        let mut tags: BTreeMap<String, Option<String>> = list_all(kv, KEY_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(key, metadata)| {
                let id = key.strip_prefix(KEY_PREFIX)?.to_string();
                Some((id, metadata_str(&metadata, "registrar")))
            })
            .collect();
        let mut changes = 0;
        let mut after: After = None;
        // Clients the AS is to know: their grants stay.
        let mut present = BTreeSet::new();
        loop {
            let page = self
                .store
                .list_clients(&ClientFilter::default(), &after, RESYNC_PAGE)
                .await?;
            for client in &page {
                let listed = tags.remove(&client.client_id);
                let entry = projected_entry(client);
                if let Entry::Record { .. } = entry {
                    present.insert(client.client_id.clone());
                }
                let due = match (&entry, &listed) {
                    (Entry::Record { tag, .. }, Some(Some(t))) if t == tag => false,
                    (Entry::Absent(_), None) => false,
                    _ => true,
                };
                if let Entry::Absent(Absence::UnsupportedAuthMethod | Absence::SecretNotKept) =
                    entry
                {
                    report.skipped += 1;
                }
                if !due {
                    if matches!(entry, Entry::Record { .. }) {
                        report.unchanged += 1;
                    }
                    continue;
                }
                if changes == MAX_RESYNC_CHANGES {
                    report.complete = false;
                    continue;
                }
                changes += 1;
                match self
                    .project(kv, &client.client_id, Some(Some(client.clone())))
                    .await
                {
                    Ok(Projected::Record) => report.written += 1,
                    Ok(Projected::Absent) => report.removed += 1,
                    Err(_) => report.failed += 1,
                }
            }
            match page.last() {
                Some(last) if page.len() == RESYNC_PAGE => {
                    after = Some((last.client_id_issued_at, last.client_id.clone()))
                }
                _ => break,
            }
        }
        // Keys of clients the store does not have: Registrar's are removed, others counted.
        for (client_id, tag) in tags {
            if tag.is_none() {
                report.foreign += 1;
                present.insert(client_id);
                continue;
            }
            if changes == MAX_RESYNC_CHANGES {
                report.complete = false;
                break;
            }
            changes += 1;
            match self.project(kv, &client_id, None).await {
                Ok(_) => report.removed += 1,
                Err(_) => report.failed += 1,
            }
        }
        // Grants of clients Registrar issued (by the shape of the id) that the AS is not to
        // know: deleted, suspended, unprojectable. Other clients' grants (the library's own
        // registrations, client ID metadata documents) are not Registrar's to revoke.
        let gone = |c: &str| crate::token::is_client_id_shaped(c) && !present.contains(c);
        match Self::revoke_grants(kv, gone, None).await {
            Ok((n, _)) => report.grants_revoked = n,
            Err(_) => report.failed += 1,
        }
        Ok(Some(report))
    }
}

/// Every key under `prefix` with its metadata.
async fn list_all<K: ProjectionKv>(
    kv: &K,
    prefix: &str,
) -> Result<Vec<(String, Option<Value>)>, StoreError> {
    let (mut keys, mut cursor) = (Vec::new(), None);
    loop {
        let page = kv
            .list(prefix, cursor)
            .await
            .map_err(|e| StoreError::Backend(format!("projection list {prefix}: {e}")))?;
        keys.extend(page.keys);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(keys),
        }
    }
}

/// A string member of a key's metadata.
fn metadata_str(metadata: &Option<Value>, member: &str) -> Option<String> {
    metadata.as_ref()?.get(member)?.as_str().map(str::to_string)
}

/// What the projection ended up holding for a client.
enum Projected {
    Record,
    Absent,
}

/// The entry for `client` in the one projection there is.
fn projected_entry(client: &StoredClient) -> Entry {
    workers_oauth_provider::entry(client)
}
