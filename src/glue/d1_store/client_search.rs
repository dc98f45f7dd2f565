//! The admin client search on D1 (`ClientStore::list_clients`): the filter in SQL, page by page.

use super::rows::{ClientRow, CLIENT_COLUMNS};
use super::sql::{int, text, Conditions};
use super::D1Store;
use crate::store::{redirect_host_matches, After, ClientFilter, StoreError, StoredClient};

/// Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Clients read per query of a `redirect_host` search (or the page's `limit` when larger).
const REDIRECT_HOST_PAGE: usize = 200;

/// The SQL narrowing of a `redirect_host` search, when there is a safe one: a redirect URI whose
/// parsed host is `host` contains `host` as written (ASCII case folded) unless the URL parser
/// changed it on reading, which needs a `%` (percent-decoding), a character outside printable
/// ASCII (IDNA, a tab or newline it drops) or an IP address (`0x7f.1` is `127.0.0.1`); the
/// candidates are the clients with a URI of one of these kinds. `None` (no narrowing) for a
/// filter that is no plain domain name. `store::redirect_host_matches` decides.
fn host_candidates(host: &str) -> Option<String> {
    let plain = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let address = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (plain && !address && !host.is_empty()).then(|| host.to_ascii_lowercase())
}

impl D1Store {
    /// [`ClientStore::list_clients`](crate::store::ClientStore::list_clients) on D1.
    pub(super) async fn search_clients(
        &self,
        f: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        // The host the URL parser reads is not an SQL expression: for `redirect_host`, SQL
        // decides the other members and narrows the candidates (`host_candidates`), and
        // `store::redirect_host_matches` decides, page by page, until `limit` clients match or
        // the candidates run out. Without it, the first page is the answer.
        let host = f.redirect_host.as_deref();
        let page = if host.is_some() {
            limit.max(REDIRECT_HOST_PAGE)
        } else {
            limit
        };
        let mut after = after.clone();
        let mut out = Vec::new();
        loop {
            let rows = self.client_page(f, &after, page).await?;
            let last_page = host.is_none() || rows.len() < page;
            for row in rows {
                let c = row.into_client()?;
                after = Some((c.client_id_issued_at, c.client_id.clone()));
                if host.is_none_or(|h| redirect_host_matches(&c.metadata.redirect_uris, h)) {
                    out.push(c);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            if last_page {
                return Ok(out);
            }
        }
    }

    /// Up to `limit` clients newest first, strictly after `after`, that pass the members of `f`
    /// SQL decides: all but `redirect_host`, for which it keeps only candidates
    /// ([`host_candidates`]).
    async fn client_page(
        &self,
        f: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<ClientRow>, StoreError> {
        let mut w = Conditions::default();
        if let Some(q) = &f.q {
            // `store::name_contains`: SQLite's lower() folds A–Z only, as that rule does.
            w.add(
                "instr(lower(json_extract(metadata, '$.client_name')), lower(?)) > 0",
                text(q),
            );
        }
        if let Some(p) = &f.client_id_prefix {
            w.add(
                "client_id LIKE ? ESCAPE '\\'",
                text(&format!("{}%", like_literal(p))),
            );
        }
        if let Some(h) = f.redirect_host.as_deref().and_then(host_candidates) {
            w.add(
                "EXISTS (SELECT 1 FROM json_each(clients.metadata, '$.redirect_uris') r \
                 WHERE instr(lower(r.value), ?) > 0 OR instr(r.value, '%') > 0 \
                 OR r.value GLOB '*[^ -~]*')",
                text(&h),
            );
        }
        if let Some(s) = &f.software_id {
            w.add("json_extract(metadata, '$.software_id') = ?", text(s));
        }
        if let Some(s) = f.status {
            w.add("status = ?", text(s.as_str()));
        }
        if let Some(t) = f.created_after {
            w.add("client_id_issued_at > ?", int(t));
        }
        if let Some(t) = f.created_before {
            w.add("client_id_issued_at < ?", int(t));
        }
        if let Some(o) = &f.owner {
            w.add("owner = ?", text(o.as_stored()));
        }
        if let Some((t, id)) = after {
            let n = w.args.len() + 1;
            w.clauses.push(format!(
                "(client_id_issued_at < ?{n} OR (client_id_issued_at = ?{n} AND client_id < ?{}))",
                n + 1
            ));
            w.args.push(int(*t));
            w.args.push(text(id));
        }
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients{} \
             ORDER BY client_id_issued_at DESC, client_id DESC LIMIT {limit}",
            w.sql()
        );
        self.all(&sql, &w.args, "list_clients").await
    }
}
