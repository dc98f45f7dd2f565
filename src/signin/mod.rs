//! Dashboard sign-in with the operator's OpenID Provider (docs/dashboard-sign-in.md).
//!
//! The authorization code flow with PKCE, `state` and `nonce` ([`flow`]), the provider's
//! discovery document ([`provider`]), ID token checks ([`id_token`] over [`jws`]; the signature
//! itself is verified with WebCrypto in the glue, which this core hands the key and the bytes),
//! and the signed cookies that carry a sign-in in progress and a session ([`seal`],
//! [`session`]). Pure: no fetch, no clock and no randomness of its own; the caller passes them in.
//! The endpoints that run the flow are HTTP's (`crate::http::signin`).

pub mod flow;
pub mod id_token;
pub mod jws;
pub mod provider;
pub mod seal;
pub mod session;
pub mod settings;

pub use settings::SignInSettings;
