//! Classifying URIs as they are written and as the URL parser reads them: user information,
//! loopback hosts, a written authority, and (in [`host`]) which hosts are internal. Shared by
//! metadata validation (redirect and fetched URIs), CIMD's URL rules and the configuration's
//! `ISSUER` check, so it depends on none of them (issue 15).

pub mod host;

use url::{Host, Url};

/// The error description of a URL with user information.
pub const USER_INFO_REFUSED: &str = "user information (user:pass@) is not allowed";

/// Whether the authority of an http(s) URI, as written, holds an `@`: user information, even an
/// empty one (`https://@host/`, `https://:pw@host/`), which the URL parser drops silently and a
/// reader takes for the host (`https://accounts.example@evil.example/`).
pub fn has_user_info(raw: &str) -> bool {
    raw.split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .is_some_and(|authority| authority.contains('@'))
}

/// Whether an http(s) URI names `127.0.0.1`, `[::1]` or `localhost`, the loopback hosts of
/// RFC 8252 §7.3, as written: `http://127.1/` means the same host to a resolver, but the
/// authorization server compares the registered string, so only these spellings count.
pub fn is_loopback(raw: &str) -> bool {
    let Some((_, rest)) = raw.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6
            .split(']')
            .next()
            .map_or("", |h| &authority[..h.len() + 2]),
        None => authority.split(':').next().unwrap_or(""),
    };
    ["127.0.0.1", "[::1]", "localhost"]
        .iter()
        .any(|l| host.eq_ignore_ascii_case(l))
}

/// Whether an http(s) URI was written with `//` and an authority, as stored: the url crate
/// accepts and repairs `https:host`, `https:/host`, `https:///host` and backslashes.
pub fn has_written_authority(raw: &str, url: &Url) -> bool {
    let after_scheme = &raw[url.scheme().len() + 1..];
    let written = after_scheme
        .strip_prefix("//")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['/', '\\']));
    written && !raw.contains('\\') && url.host().is_some()
}

/// Whether the host the URL names is a loopback address, however it was spelled.
pub fn resolves_to_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}
