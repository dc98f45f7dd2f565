//! Redirect URI rules (RFC 7591 §2, OIDC Registration §2, RFC 8252 §7, RFC 9700 §2.1).
//!
//! A [`RedirectUri`] keeps the registered string, stored and echoed unchanged because the
//! authorization server compares redirect URIs byte for byte, and what the URL parser read from
//! it once (its host), so later rules (the pairwise subject's one host, the policy's host list,
//! the admin search by host) do not parse it again.

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

/// A redirect URI (or post-logout redirect URI) as registered, with the host the URL parser
/// reads from it. Serialises as the registered string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    raw: String,
    /// The host as the URL parser reads it (lower case for http and https); `None` for a URI
    /// without one (`com.example.app:/cb`), or a stored string that no longer parses.
    host: Option<Box<str>>,
    /// The scheme is http or https.
    web: bool,
}

impl RedirectUri {
    /// Validates `raw`: an absolute URI without fragment, of a scheme a redirect may use; and
    /// says what kind it is, for the per-client-type rules ([`check_for_client`]).
    pub fn parse(raw: &str) -> Result<(RedirectUri, UriKind), String> {
        let (url, kind) = classify(raw)?;
        Ok((RedirectUri::read(raw.to_string(), Some(&url)), kind))
    }

    /// A stored redirect URI, checked when it was registered: read as it is, its host parsed.
    pub fn stored(raw: String) -> RedirectUri {
        let url = Url::parse(&raw).ok();
        RedirectUri::read(raw, url.as_ref())
    }

    fn read(raw: String, url: Option<&Url>) -> RedirectUri {
        RedirectUri {
            host: url.and_then(Url::host_str).map(Box::from),
            web: url.is_some_and(|u| matches!(u.scheme(), "http" | "https")),
            raw,
        }
    }

    /// The registered string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The host the URL parser reads, of any scheme.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The host of an http(s) URI (lower case); `None` for private-use schemes.
    pub fn http_host(&self) -> Option<&str> {
        self.host().filter(|_| self.web)
    }

    /// The scheme, as the URL parser writes it (lower case).
    pub fn scheme(&self) -> String {
        let written = self.raw.split(':').next().unwrap_or_default();
        written.to_ascii_lowercase()
    }
}

impl std::ops::Deref for RedirectUri {
    type Target = str;
    fn deref(&self) -> &str {
        &self.raw
    }
}

impl PartialEq<str> for RedirectUri {
    fn eq(&self, other: &str) -> bool {
        self.raw == other
    }
}

impl PartialEq<String> for RedirectUri {
    fn eq(&self, other: &String) -> bool {
        self.raw == *other
    }
}

impl serde::Serialize for RedirectUri {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl From<RedirectUri> for serde_json::Value {
    fn from(uri: RedirectUri) -> Self {
        uri.raw.into()
    }
}

/// Parses `raw` as an absolute URI without fragment and says what kind it is.
fn classify(raw: &str) -> Result<(Url, UriKind), String> {
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
            let kind = match scheme {
                "https" => UriKind::Https {
                    loopback: written || resolves,
                },
                _ if written => UriKind::HttpLoopback,
                _ => UriKind::HttpOther,
            };
            Ok((url, kind))
        }
        _ => Ok((url, UriKind::PrivateUse)),
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

    fn classify(raw: &str) -> Result<UriKind, String> {
        RedirectUri::parse(raw).map(|(_, kind)| kind)
    }

    #[test]
    fn keeps_the_string_and_the_host_read_once() {
        let (uri, _) = RedirectUri::parse("https://App.EXAMPLE:8443/Cb?x=1").unwrap();
        assert_eq!(uri.as_str(), "https://App.EXAMPLE:8443/Cb?x=1");
        assert_eq!(uri.http_host(), Some("app.example"));
        assert_eq!(
            serde_json::to_value(&uri).unwrap(),
            "https://App.EXAMPLE:8443/Cb?x=1"
        );
        assert_eq!(RedirectUri::stored(uri.as_str().into()), uri);
        let (custom, _) = RedirectUri::parse("Com.Example.App:/cb").unwrap();
        assert_eq!((custom.host(), custom.http_host()), (None, None));
        assert_eq!(custom.scheme(), "com.example.app");
        let (hosted, _) = RedirectUri::parse("com.example.app://Host/cb").unwrap();
        assert_eq!((hosted.host(), hosted.http_host()), (Some("Host"), None));
        assert_eq!(RedirectUri::stored("not a uri".into()).host(), None);
    }

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
