//! The client projection's namespace on Workers KV (`OAUTH_KV`, the AS Worker's own binding).
//! Built only with the `projection` feature.

use crate::projection::{KvPage, ProjectionKv};
use serde::{Deserialize, Serialize};
use worker::kv::KvStore;

pub struct KvNamespace(pub KvStore);

/// The key metadata the projection writes: `{"registrar": "<tag>"}`.
#[derive(Serialize, Deserialize)]
struct Tag {
    registrar: String,
}

fn failed(op: &'static str) -> impl Fn(worker::kv::KvError) -> String {
    move |e| format!("OAUTH_KV {op}: {e}")
}

impl ProjectionKv for KvNamespace {
    async fn put(&self, key: &str, value: &str, tag: &str) -> Result<(), String> {
        self.0
            .put_bytes(key, value.as_bytes())
            .map_err(failed("put"))?
            .metadata(Tag {
                registrar: tag.into(),
            })
            .map_err(failed("put"))?
            .execute()
            .await
            .map_err(failed("put"))
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.0.delete(key).await.map_err(failed("delete"))
    }

    async fn list(&self, prefix: &str, cursor: Option<String>) -> Result<KvPage, String> {
        let mut list = self.0.list().prefix(prefix.to_string());
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        let page = list.execute().await.map_err(failed("list"))?;
        let keys = page
            .keys
            .into_iter()
            .map(|k| {
                let tag = k
                    .metadata
                    .and_then(|m| serde_json::from_value::<Tag>(m).ok())
                    .map(|t| t.registrar);
                (k.name, tag)
            })
            .collect();
        let cursor = page.cursor.filter(|_| !page.list_complete);
        Ok(KvPage { keys, cursor })
    }
}
