//! Redirect URI rules (RFC 7591 §2, OIDC Registration §2, RFC 8252 §7, RFC 9700 §2.1).
//!
//! The URI is parsed only to classify it; the registered string is stored and echoed unchanged,
//! because the authorization server compares redirect URIs byte for byte.

use super::enums::ApplicationType;
use crate::uri::{
    has_user_info, has_written_authority, is_loopback, resolves_to_loopback, USER_INFO_REFUSED,
};
use url::Url;

/// What a syntactically acceptable redirect URI is, for the per-client-type rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriKind {
    Https {
        loopback: bool,
    },
    HttpLoopback,
    HttpOther,
    /// A private-use (custom) scheme such as `com.example.app:/cb` (RFC 8252 §7.1).
    PrivateUse,
}

/// Schemes that can run code or read local files in a user agent; never a redirect target.
const DANGEROUS_SCHEMES: &[&str] = &["javascript", "data", "vbscript", "file", "blob", "about"];

/// Registered schemes of other protocols: not private-use schemes an app can claim
/// (RFC 8252 §7.1), so not redirect targets either. `urn` covers the retired out-of-band
/// `urn:ietf:wg:oauth:2.0:oob`.
const OTHER_PROTOCOL_SCHEMES: &[&str] = &[
    "ftp", "ws", "wss", "urn", "mailto", "tel", "sms", "ldap", "ssh", "telnet", "news", "nntp",
];

/// Parses `raw` as an absolute URI without fragment and says what kind it is.
pub fn classify(raw: &str) -> Result<UriKind, String> {
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(problem) = super::text::url_problem(raw) {
        return Err(problem);
    }
    if raw.contains('#') {
        return Err("fragment not allowed".into());
    }
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URI ({e})"))?;
    let scheme = url.scheme();
    if DANGEROUS_SCHEMES.contains(&scheme) {
        return Err(format!("the {scheme}: scheme is not allowed"));
    }
    if OTHER_PROTOCOL_SCHEMES.contains(&scheme) {
        return Err(format!(
            "the {scheme}: scheme is not a redirect target; use https, http on loopback, or a private-use scheme such as com.example.app:/callback"
        ));
    }
    match scheme {
        "http" | "https" => {
            // The url crate repairs `https:/host`, `https:///host` and `https:\\host` into
            // `https://host/`; we store the raw string, so insist it was written with exactly
            // two slashes and an authority in the first place.
            if !has_written_authority(raw, &url) {
                return Err("an http(s) URI needs a host after exactly two slashes".into());
            }
            if has_user_info(raw) {
                return Err(USER_INFO_REFUSED.into());
            }
            // http is allowed only for loopback as written; but anything a browser resolves to
            // loopback (127.1, 127.0.0.2, sub.localhost) counts as loopback where loopback is
            // forbidden (implicit).
            let written = is_loopback(raw);
            let resolves = resolves_to_loopback(&url);
            Ok(match scheme {
                "https" => UriKind::Https {
                    loopback: written || resolves,
                },
                _ if written => UriKind::HttpLoopback,
                _ => UriKind::HttpOther,
            })
        }
        _ => Ok(UriKind::PrivateUse),
    }
}

/// Whether a redirect of this kind is allowed for the client type.
/// `implicit` is set when the client uses the implicit grant (tokens in the front channel).
pub fn check_for_client(
    kind: UriKind,
    app: ApplicationType,
    implicit: bool,
) -> Result<(), &'static str> {
    match (app, kind) {
        (ApplicationType::Web, UriKind::Https { loopback: true }) if implicit => {
            Err("web clients using implicit must not redirect to localhost")
        }
        (ApplicationType::Web, UriKind::Https { .. }) => Ok(()),
        (ApplicationType::Web, UriKind::HttpLoopback) if implicit => {
            Err("web clients using implicit must use https")
        }
        (ApplicationType::Web, UriKind::HttpLoopback) => Ok(()),
        (ApplicationType::Web, UriKind::HttpOther) => {
            Err("http is allowed only on loopback (127.0.0.1, [::1], localhost); use https")
        }
        (ApplicationType::Web, UriKind::PrivateUse) => {
            Err("web clients must use https; custom schemes are for application_type native")
        }
        (ApplicationType::Native, UriKind::HttpOther) => {
            Err("native clients may use http only on loopback (127.0.0.1, [::1], localhost)")
        }
        (ApplicationType::Native, _) => Ok(()),
    }
}

/// A client whose redirects are all custom schemes or http loopback is a native app
/// (editors and MCP clients register such redirects without saying `application_type`).
pub fn looks_native(kinds: &[UriKind]) -> bool {
    !kinds.is_empty()
        && kinds
            .iter()
            .all(|k| matches!(k, UriKind::PrivateUse | UriKind::HttpLoopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind() {
        assert_eq!(
            classify("https://app.example/cb"),
            Ok(UriKind::Https { loopback: false })
        );
        assert_eq!(
            classify("https://localhost/cb"),
            Ok(UriKind::Https { loopback: true })
        );
        assert_eq!(classify("http://[::1]:8080/cb"), Ok(UriKind::HttpLoopback));
        assert_eq!(classify("http://127.0.0.1/cb"), Ok(UriKind::HttpLoopback));
        assert_eq!(classify("http://127.0.0.2/cb"), Ok(UriKind::HttpOther));
        assert_eq!(classify("http://127.1/cb"), Ok(UriKind::HttpOther));
        assert_eq!(classify("http://LOCALHOST:3000"), Ok(UriKind::HttpLoopback));
        assert_eq!(classify("http://[::1]"), Ok(UriKind::HttpLoopback));
        assert_eq!(classify("http://[::2]:80/"), Ok(UriKind::HttpOther));
        assert!(classify("urn:ietf:wg:oauth:2.0:oob").is_err());
        assert!(classify("wss://app.example/cb").is_err());
        // Spellings the url crate repairs are refused: the raw string is what gets stored.
        assert!(classify("https:///127.0.0.1/cb").is_err());
        assert!(classify("https:\\\\app.example/cb").is_err());
        assert!(classify("https://app.example\\cb").is_err());
        // Resolves to loopback, so it is loopback where loopback is forbidden.
        assert_eq!(
            classify("https://127.1/cb"),
            Ok(UriKind::Https { loopback: true })
        );
        assert_eq!(
            classify("https://app.localhost/cb"),
            Ok(UriKind::Https { loopback: true })
        );
        assert_eq!(classify("com.example.app:/cb"), Ok(UriKind::PrivateUse));
    }

    /// Hosts are parsed ASCII-only (idna_adapter 1.0, for a smaller module): an internationalized
    /// name is accepted in its A-label form and refused as a U-label.
    #[test]
    fn internationalized_hosts_only_as_a_labels() {
        assert_eq!(
            classify("https://xn--bcher-kva.example/cb"),
            Ok(UriKind::Https { loopback: false })
        );
        assert!(classify("https://bücher.example/cb").is_err());
    }

    #[test]
    fn refuses_user_information_however_written() {
        for raw in [
            "https://user:pass@app.example/cb",
            "https://user@app.example/cb",
            "https://@app.example/cb",
            "https://:pw@app.example/cb",
            "https://accounts.example@evil.example/",
            "http://127.0.0.1@evil.example/cb",
        ] {
            assert!(has_user_info(raw), "{raw}");
            assert_eq!(classify(raw), Err(USER_INFO_REFUSED.to_string()), "{raw}");
        }
        for raw in [
            "https://app.example/@me",
            "https://app.example/cb?u=a@b",
            "https://app.example/#@",
        ] {
            assert!(!has_user_info(raw), "{raw}");
        }
    }

    #[test]
    fn refuses_authorityless_http() {
        assert!(classify("https:/app.example/cb").is_err());
        assert!(classify("https:app.example").is_err());
    }
}
