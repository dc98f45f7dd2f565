//! [`ClientStore`] on Cloudflare D1: one statement (one round trip) per operation; updates and
//! deletes are compare-and-set on the registration token hash.

use crate::error::ApiError;
use crate::store::{ClientStore, StoredClient};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub struct D1Store {
    db: D1Database,
}

#[derive(Deserialize)]
struct Row {
    client_id: String,
    metadata: String,
    client_secret_hash: Option<String>,
    registration_token_hash: String,
    client_id_issued_at: i64,
    updated_at: i64,
}

fn d1_error(op: &str) -> impl Fn(worker::Error) -> ApiError + '_ {
    move |e| ApiError::Internal(format!("D1 {op}: {e}"))
}

fn text_or_null(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

impl D1Store {
    pub fn new(db: D1Database) -> Self {
        D1Store { db }
    }

    fn statement(
        &self,
        sql: &str,
        args: &[JsValue],
        op: &str,
    ) -> Result<D1PreparedStatement, ApiError> {
        self.db.prepare(sql).bind(args).map_err(d1_error(op))
    }

    /// Runs a write and returns how many rows it changed.
    async fn changes(&self, sql: &str, args: &[JsValue], op: &str) -> Result<usize, ApiError> {
        let result = self
            .statement(sql, args, op)?
            .run()
            .await
            .map_err(d1_error(op))?;
        if let Some(e) = result.error() {
            return Err(ApiError::Internal(format!("D1 {op}: {e}")));
        }
        let meta = result.meta().map_err(d1_error(op))?;
        Ok(meta.and_then(|m| m.changes).unwrap_or(0))
    }
}

fn metadata_json(client: &StoredClient) -> Result<JsValue, ApiError> {
    serde_json::to_string(&client.metadata)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| ApiError::Internal(format!("serialise metadata: {e}")))
}

impl ClientStore for D1Store {
    async fn insert(&self, client: &StoredClient) -> Result<(), ApiError> {
        let args = [
            JsValue::from_str(&client.client_id),
            metadata_json(client)?,
            text_or_null(client.client_secret_hash.as_deref()),
            JsValue::from_str(&client.registration_token_hash),
            JsValue::from_f64(client.client_id_issued_at as f64),
            JsValue::from_f64(client.updated_at as f64),
        ];
        let changed = self
            .changes(
                "INSERT INTO clients (client_id, metadata, client_secret_hash, \
                 registration_token_hash, client_id_issued_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &args,
                "insert",
            )
            .await?;
        if changed != 1 {
            return Err(ApiError::Internal(format!(
                "D1 insert changed {changed} rows"
            )));
        }
        Ok(())
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, ApiError> {
        let row: Option<Row> = self
            .statement(
                "SELECT client_id, metadata, client_secret_hash, registration_token_hash, \
                 client_id_issued_at, updated_at FROM clients WHERE client_id = ?1",
                &[JsValue::from_str(client_id)],
                "find",
            )?
            .first(None)
            .await
            .map_err(d1_error("find"))?;
        let Some(row) = row else { return Ok(None) };
        let metadata = serde_json::from_str(&row.metadata).map_err(|e| {
            ApiError::Internal(format!(
                "stored metadata of {} unreadable: {e}",
                row.client_id
            ))
        })?;
        Ok(Some(StoredClient {
            client_id: row.client_id,
            metadata,
            client_secret_hash: row.client_secret_hash,
            registration_token_hash: row.registration_token_hash,
            client_id_issued_at: row.client_id_issued_at,
            updated_at: row.updated_at,
        }))
    }

    async fn replace(
        &self,
        client: &StoredClient,
        expected_token_hash: &str,
    ) -> Result<bool, ApiError> {
        let args = [
            JsValue::from_str(&client.client_id),
            metadata_json(client)?,
            text_or_null(client.client_secret_hash.as_deref()),
            JsValue::from_str(&client.registration_token_hash),
            JsValue::from_f64(client.updated_at as f64),
            JsValue::from_str(expected_token_hash),
        ];
        let changed = self
            .changes(
                "UPDATE clients SET metadata = ?2, client_secret_hash = ?3, \
                 registration_token_hash = ?4, updated_at = ?5 \
                 WHERE client_id = ?1 AND registration_token_hash = ?6",
                &args,
                "replace",
            )
            .await?;
        Ok(changed == 1)
    }

    async fn delete(&self, client_id: &str, expected_token_hash: &str) -> Result<bool, ApiError> {
        let changed = self
            .changes(
                "DELETE FROM clients WHERE client_id = ?1 AND registration_token_hash = ?2",
                &[
                    JsValue::from_str(client_id),
                    JsValue::from_str(expected_token_hash),
                ],
                "delete",
            )
            .await?;
        Ok(changed == 1)
    }
}
