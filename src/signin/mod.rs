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

/// Whether this build has dashboard sign-in: a Worker built without the `signin` feature refuses
/// its settings (`config`) and has no `/dashboard/...` endpoints but the session answer, so the
/// code behind them is left out of its wasm. The host build (tests) always has it.
pub const SIGNIN_BUILT: bool = !cfg!(all(target_arch = "wasm32", not(feature = "signin")));
