//! Values bound to D1 statements, rows changed, D1's errors, and dynamic `WHERE` clauses.

use crate::store::{StoreError, StoredClient};
use crate::token::TokenHash;
use wasm_bindgen::JsValue;
use worker::D1Result;

pub(super) fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

pub(super) fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// A keyed hash as its column holds it (TEXT, the stored form).
pub(super) fn hash(h: &TokenHash) -> JsValue {
    text(h.as_stored())
}

pub(super) fn opt_hash(h: Option<&TokenHash>) -> JsValue {
    opt_text(h.map(TokenHash::as_stored))
}

/// D1 numbers are JavaScript numbers: exact up to 2^53, far beyond any time or count here.
pub(super) fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// What a failed D1 call means (`store::sql_errors`): limits the schema enforces surface as
/// constraint errors naming the rule.
pub(super) fn d1_error(op: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| crate::store::sql_errors::sql_error(op, &e.to_string())
}

pub(super) fn changes(result: &D1Result, op: &str) -> Result<usize, StoreError> {
    if let Some(e) = result.error() {
        return Err(StoreError::Backend(format!("D1 {op}: {e}")));
    }
    let meta = result
        .meta()
        .map_err(|e| StoreError::Backend(format!("D1 {op}: {e}")))?;
    Ok(meta.and_then(|m| m.changes).unwrap_or(0))
}

pub(super) fn metadata_json(client: &StoredClient) -> Result<JsValue, StoreError> {
    serde_json::to_string(&client.metadata)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| StoreError::Backend(format!("serialise metadata: {e}")))
}

/// A dynamic `WHERE` clause with numbered parameters.
#[derive(Default)]
pub(super) struct Conditions {
    pub(super) clauses: Vec<String>,
    pub(super) args: Vec<JsValue>,
}

impl Conditions {
    /// Adds a clause in which every `?` stands for the next parameter, bound to `value`
    /// (so the clause must hold no other `?`: write `char(63)` for a literal one).
    pub(super) fn add(&mut self, clause: &str, value: JsValue) {
        let n = self.args.len() + 1;
        self.clauses.push(clause.replace('?', &format!("?{n}")));
        self.args.push(value);
    }

    pub(super) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}
