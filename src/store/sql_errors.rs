//! What a failed D1 statement means, read from SQLite's error text: a rule the schema enforces
//! (named in the migrations) is the store's refusal (quota, token); anything else is a backend
//! failure, and a missing table or column says that the migrations were not applied.
//!
//! Recognised only by the constraint's or trigger's own name in the position SQLite puts it
//! ("CHECK constraint failed: <name>", or a `RAISE(ABORT, '<name>')` message as a whole part of
//! the text): an error that merely mentions a table, such as "no such table: client_quota", is
//! not a quota refusal.

use super::StoreError;

/// The quota row's CHECK (migrations/0002): the class has reached its `max_clients`.
const QUOTA_CHECK: &str = "CHECK constraint failed: client_quota";
/// The initial access token's use count CHECK (migrations/0002).
const IAT_USES_CHECK: &str = "CHECK constraint failed: iat_uses";
/// The trigger refusing a registration with an unusable initial access token (migrations/0002).
const IAT_INVALID_RAISE: &str = "iat_invalid";

/// The answer for a failed D1 statement of operation `op` whose error text is `text`.
pub fn sql_error(op: &str, text: &str) -> StoreError {
    if text.contains(QUOTA_CHECK) {
        return StoreError::QuotaExceeded;
    }
    // D1 prefixes and suffixes SQLite's message ("D1_ERROR: <message>: SQLITE_CONSTRAINT").
    let raised = |name: &str| text.split(": ").any(|part| part.trim() == name);
    if text.contains(IAT_USES_CHECK) || raised(IAT_INVALID_RAISE) {
        return StoreError::TokenUnusable;
    }
    if text.contains("no such table") || text.contains("no such column") {
        return StoreError::Backend(format!(
            "D1 {op}: {text} — the database schema is behind this build: apply the migrations \
             (npx wrangler d1 migrations apply registrar --remote; docs/deploying.md)"
        ));
    }
    StoreError::Backend(format!("D1 {op}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_are_known_by_their_own_names_only() {
        let quota = "D1_ERROR: CHECK constraint failed: client_quota: SQLITE_CONSTRAINT";
        assert!(matches!(
            sql_error("insert", quota),
            StoreError::QuotaExceeded
        ));
        for iat in [
            "D1_ERROR: CHECK constraint failed: iat_uses: SQLITE_CONSTRAINT",
            "D1_ERROR: iat_invalid: SQLITE_CONSTRAINT",
            "iat_invalid",
        ] {
            assert!(
                matches!(sql_error("insert", iat), StoreError::TokenUnusable),
                "{iat}"
            );
        }
        // Mentioning a table or a trigger's name is not its rule failing.
        for other in [
            "D1_ERROR: no such table: client_quota: SQLITE_ERROR",
            "D1_ERROR: no such table: initial_access_tokens: SQLITE_ERROR",
            "D1_ERROR: no such column: iat_invalid_at: SQLITE_ERROR",
            "D1_ERROR: database is locked: SQLITE_BUSY",
        ] {
            match sql_error("insert", other) {
                StoreError::Backend(cause) => assert!(cause.contains(other), "{cause}"),
                e => panic!("{other}: {e:?}"),
            }
        }
    }

    #[test]
    fn a_missing_table_names_the_migrations() {
        let StoreError::Backend(cause) = sql_error(
            "insert",
            "D1_ERROR: no such table: client_quota: SQLITE_ERROR",
        ) else {
            panic!("not internal")
        };
        assert!(cause.contains("d1 migrations apply"), "{cause}");
    }
}
