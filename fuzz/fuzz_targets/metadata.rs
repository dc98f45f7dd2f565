//! Arbitrary bytes → serde_json → `ClientMetadata::from_request`, under the default
//! configuration and one with every grant type (implicit included) enabled.
//!
//! Beyond "no panic": a refusal is a 400 with an RFC 7591 §3.2.2 code; an accepted registration
//! is a fixed point (`from_request(to_json(m)) == m`), reads back from its storage form (as a
//! value and as JSON text), and
//! echoes no `null`; and every accepted redirect URI is, as a
//! WHATWG URL parser (the url crate, as browsers) reads it, without fragment (or user info in
//! http(s)), of no script or file scheme, and on a loopback host when it is plain http (no open
//! redirector); and no accepted registration holds what docs/api.md "Metadata rules" refuses
//! (`common::check_hostile_metadata`: control, bidi and invisible characters, user information,
//! fetched URLs on internal hosts, values and lists over their caps).
#![no_main]

#[path = "../../tests/common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use registrar::config::Config;
use registrar::metadata::ClientMetadata;
use serde_json::Value;
use std::sync::LazyLock;

static CONFIGS: LazyLock<[Config; 3]> = LazyLock::new(|| {
    [
        common::config_with(&[]),
        common::config_with(&[("GRANT_TYPES_SUPPORTED", common::ALL_GRANTS)]),
        common::config_with(&[
            ("ALLOW_PRIVATE_HOSTS", "true"),
            ("METADATA_LIMITS", r#"{"redirect_uris": 3, "metadata_bytes": 2048}"#),
        ]),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for config in CONFIGS.iter() {
        match ClientMetadata::from_request(&input, config) {
            Ok(m) => {
                common::check_redirects(&m);
                common::check_hostile_metadata(&m, config);
                let echoed = m.to_json();
                let nulls = common::null_paths(&Value::Object(echoed.clone()));
                assert!(nulls.is_empty(), "null echoed at {nulls:?}");
                let again = ClientMetadata::from_request(&echoed, config)
                    .unwrap_or_else(|e| panic!("echoed metadata refused: {e}\n{echoed:?}"));
                assert_eq!(again, m, "not idempotent");
                let stored: ClientMetadata = serde_json::from_value(Value::Object(echoed.clone()))
                    .expect("the storage form reads back");
                assert_eq!(stored, m, "the storage form reads back differently");
                // D1 and KV keep the metadata as JSON text.
                let text = serde_json::to_string(&m).expect("metadata serialises");
                let from_text: ClientMetadata =
                    serde_json::from_str(&text).expect("the stored text reads back");
                assert_eq!(
                    from_text, m,
                    "the stored text reads back differently: {text}"
                );
            }
            Err(e) => {
                assert_eq!(e.status(), 400, "{e}");
                assert!(
                    matches!(
                        e.code(),
                        "invalid_redirect_uri"
                            | "invalid_client_metadata"
                            | "invalid_software_statement"
                    ),
                    "{e}"
                );
            }
        }
    }
});
