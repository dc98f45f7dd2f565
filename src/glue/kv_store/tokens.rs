//! Initial access tokens on KV: `iat/<token hash>` and `iat-id/<id>`, expiring with the token.

use super::{iat_key, now_s, KvStore, MIN_TTL};
use crate::store::{ClientStore, InitialAccessToken, StoreError};
use crate::token::TokenHash;

impl KvStore {
    pub(super) async fn iat_by_id(
        &self,
        id: &str,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        let hash: Option<TokenHash> = self.get_json(&format!("iat-id/{id}"), "get iat id").await?;
        match hash {
            None => Ok(None),
            Some(h) => self.find_iat_by_hash(&h).await,
        }
    }

    pub(super) async fn put_iat(&self, r: &InitialAccessToken) -> Result<(), StoreError> {
        // Kept a minute past expiry (KV's shortest TTL), then KV removes it.
        let expiry = Some(r.expires_at.max(now_s() + MIN_TTL) + MIN_TTL);
        self.put_json(&iat_key(&r.token_hash), r, expiry, "put iat")
            .await?;
        self.put_json(
            &format!("iat-id/{}", r.id),
            &r.token_hash,
            expiry,
            "put iat id",
        )
        .await
    }
}
