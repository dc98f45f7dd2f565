//! The admin client search's filter and its rules (`q`, `redirect_host`), for every backend.

use super::{ClientStatus, StoredClient};
use crate::metadata::RedirectUri;
use crate::token::TokenHash;

/// Admin search over clients; every member narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientFilter {
    /// A substring of `client_name`, compared with ASCII letters folded to lower case and
    /// every other character as it is ([`name_contains`]; the rule of SQLite's `lower()`, so
    /// every backend matches the same clients: `q=cole` and `q=École` find `Grande École`,
    /// `q=école` does not).
    pub q: Option<String>,
    pub client_id_prefix: Option<String>,
    /// Exact host of one of the redirect URIs, as the URL parser reads it (ASCII case folded):
    /// a host in a URI's path or query does not count ([`redirect_host_matches`]).
    pub redirect_host: Option<String>,
    pub software_id: Option<String>,
    pub status: Option<ClientStatus>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    /// Only the clients this person owns ([`StoredClient::owner`]): "My clients".
    pub owner: Option<TokenHash>,
}

/// The `q` rule ([`ClientFilter::q`]): whether `name` contains `q` with ASCII letters compared
/// case-insensitively and every other character exactly. D1 writes it as
/// `instr(lower(name), lower(q)) > 0`: SQLite's built-in `lower()` folds only A–Z.
pub fn name_contains(name: &str, q: &str) -> bool {
    name.to_ascii_lowercase()
        .contains(q.to_ascii_lowercase().as_str())
}

/// The `redirect_host` rule ([`ClientFilter::redirect_host`]): whether the host the URL parser
/// reads from one of `uris` is `host`, ASCII case folded. D1 narrows the candidates in SQL and
/// applies this to them (`glue::d1_store`, `list_clients`).
pub fn redirect_host_matches(uris: &[RedirectUri], host: &str) -> bool {
    uris.iter()
        .any(|u| u.host().is_some_and(|x| x.eq_ignore_ascii_case(host)))
}

impl ClientFilter {
    /// Whether `c` passes every member of the filter: the in-memory and KV backends, and D1
    /// for the candidates of a `redirect_host` search; D1 writes the other members in SQL.
    pub fn matches(&self, c: &StoredClient) -> bool {
        let f = self;
        let name_ok = f.q.as_ref().is_none_or(|q| {
            c.metadata
                .client_name
                .as_ref()
                .is_some_and(|n| name_contains(n, q))
        });
        let host_ok = f
            .redirect_host
            .as_ref()
            .is_none_or(|h| redirect_host_matches(&c.metadata.redirect_uris, h));
        name_ok
            && host_ok
            && f.client_id_prefix
                .as_ref()
                .is_none_or(|p| c.client_id.starts_with(p.as_str()))
            && f.software_id
                .as_ref()
                .is_none_or(|s| c.metadata.software_id.as_ref() == Some(s))
            && f.status.is_none_or(|s| c.status == s)
            && f.created_after.is_none_or(|t| c.client_id_issued_at > t)
            && f.created_before.is_none_or(|t| c.client_id_issued_at < t)
            && f.owner.as_ref().is_none_or(|o| c.owner.as_ref() == Some(o))
    }
}
