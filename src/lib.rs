//! Registrar: OAuth 2.0 Dynamic Client Registration (RFC 7591), its management protocol
//! (RFC 7592) and OpenID Connect Dynamic Client Registration 1.0, as a Cloudflare Worker.
//!
//! Everything but [`glue`] is plain Rust, tested on the host:
//! - [`metadata`]: the submitted JSON → validated [`metadata::ClientMetadata`], defaults applied;
//! - [`token`]: client ids, secrets, keyed hashes, constant-time checks;
//! - [`service`]: register / read / update / delete over a [`store::ClientStore`];
//! - [`http`]: routes, status codes, headers, CORS; [`discovery`]: RFC 8414 / OIDC metadata;
//! - [`as_api`]: what an authorization server asks (client lookup, authentication, the
//!   authorization request check);
//! - [`projection`]: clients written into an authorization server library's own storage;
//! - [`error`]: the one error type and its wire form; [`config`]: what the operator allows.
//!
//! `glue` (wasm32 only) adapts `worker::Request`, D1 and the response types.

pub mod admin;
pub mod as_api;
pub mod base64url;
pub mod cimd;
pub mod config;
pub mod discovery;
pub mod error;
pub mod http;
pub mod metadata;
pub mod policy;
pub mod projection;
pub mod ratelimit;
pub mod service;
pub mod signin;
pub mod store;
pub mod token;
pub mod uri;

#[cfg(target_arch = "wasm32")]
mod glue;
