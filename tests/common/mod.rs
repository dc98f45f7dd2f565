//! Shared helpers for host integration tests.
#![allow(dead_code)]

use registrar::config::Config;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits on I/O (the memory store is synchronous underneath).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A configuration as the local wrangler.toml sets it, with `overrides` applied.
pub fn config_with(overrides: &[(&str, &str)]) -> Config {
    let base = [
        ("ISSUER", "https://registrar.example"),
        ("REGISTRAR_HMAC_KEY", "0123456789abcdef0123456789abcdef"),
    ];
    Config::from_vars(|name| {
        overrides
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("test configuration is valid")
}

pub fn config() -> Config {
    config_with(&[])
}
