//! Initial access tokens as stored, and the one rule of a token's state.

use crate::token::TokenHash;

/// An initial access token as stored (the value itself never is). Its serde form is its D1 row
/// and its KV value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InitialAccessToken {
    pub id: String,
    pub token_hash: TokenHash,
    pub label: String,
    pub profile: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

/// Where an initial access token stands at a given time ([`InitialAccessToken::state_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IatState {
    Revoked,
    Expired,
    /// Used `max_uses` times.
    Exhausted,
    Usable,
}

impl InitialAccessToken {
    /// The one rule of a token's state, in this order: revoked, expired (`expires_at <= now`),
    /// used up (`uses >= max_uses`), else usable. The service checks a presented token with it,
    /// the admin API shows it, and the in-memory and KV stores check it again when a client is
    /// inserted through the token. D1 writes the same rule in SQL: the `iat_valid` trigger
    /// (revoked, expired) and the `iat_uses` CHECK (used up) of migrations/0002, and the
    /// scheduled clean-up's `expires_at <= now`.
    pub fn state_at(&self, now: i64) -> IatState {
        if self.revoked_at.is_some() {
            IatState::Revoked
        } else if self.expired_at(now) {
            IatState::Expired
        } else if self.uses >= self.max_uses {
            IatState::Exhausted
        } else {
            IatState::Usable
        }
    }

    /// Whether a registration at `now` may use the token ([`InitialAccessToken::state_at`]).
    pub fn usable_at(&self, now: i64) -> bool {
        self.state_at(now) == IatState::Usable
    }

    /// Whether the token has expired by `now` (the clean-up removes it).
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at <= now
    }
}
