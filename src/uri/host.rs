//! Which hosts a URL the authorization server fetches (`jwks_uri`, `request_uris`,
//! `sector_identifier_uri`) or sends users to on the client's behalf (`initiate_login_uri`) may
//! name: public ones only. A registration naming `https://169.254.169.254/` or `https://10.0.0.1/`
//! would otherwise turn the server into a proxy to its own network (SSRF).
//!
//! The host is classified as the URL parser reads it, so every spelling of an address counts
//! (`https://2130706433/`, `https://0x7f.1/` and `https://127.1/` are all 127.0.0.1). Names are
//! checked only by their form: a public name that resolves to a private address (DNS rebinding)
//! must still be refused by whoever fetches (SECURITY.md).

use std::net::{Ipv4Addr, Ipv6Addr};
use url::Host;

/// Why `host` is not a public host, or `None` when it is. The reason names the host as the URL
/// parser serialises it (an address, e.g. `[::ffff:a00:1]`; the url crate's serialiser rather than
/// std's keeps the Worker smaller) or its submitted name, quoted.
pub fn internal_reason(host: &Host<&str>) -> Option<String> {
    let shown = || host.to_string();
    match host {
        Host::Ipv4(ip) => ipv4_class(*ip).map(|class| format!("{} is {class}", shown())),
        Host::Ipv6(ip) => ipv6_class(ip).map(|class| format!("{} is {class}", shown())),
        Host::Domain(name) => {
            name_class(name).map(|class| format!("{} is {class}", crate::error::quoted(name)))
        }
    }
}

/// The class of a non-public IPv4 address (RFC 6890 special-purpose ranges a fetch must avoid).
pub fn ipv4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        (127, _) => "a loopback address",
        (0, _) => "an unspecified (this-network) address",
        (10, _) | (192, 168) => "a private address",
        (172, b) if (16..32).contains(&b) => "a private address",
        (169, 254) => "a link-local address",
        (100, b) if (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        _ if ip.is_broadcast() => "the broadcast address",
        (224..=239, _) => "a multicast address",
        (240..=255, _) => "a reserved address",
        _ => return None,
    })
}

/// The class of a non-public IPv6 address; addresses that embed an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by it.
pub fn ipv6_class(ip: &Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if let Some(v4) = embedded_ipv4(ip) {
        return ipv4_class(v4);
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "a private (unique local) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        _ => return None,
    })
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:0:0/96`), IPv4-compatible (`::/96`),
/// NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) IPv6 address.
fn embedded_ipv4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        [0x2002, hi, lo, ..] => Some(last(hi, lo)),
        _ => None,
    }
}

/// The class of a name that only resolves inside a network: `localhost` and `*.localhost`
/// (RFC 6761), single labels (search-domain names), `*.local` (mDNS), `*.internal`,
/// `*.home.arpa` (RFC 8375) and `*.localdomain`. Case-insensitive; a trailing dot is ignored.
pub fn name_class(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    // Empty labels (`app..example`, `intranet....`) and over-long ones are no DNS name at all;
    // resolvers treat them in different ways, so they are not public either.
    if name.len() > 253 || name.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Some("not a valid domain name (empty or over-long label)");
    }
    let is = |suffix: &str| {
        name == suffix
            || name
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.'))
    };
    Some(if is("localhost") {
        "a loopback name"
    } else if !name.contains('.') {
        "a single-label name (not a public domain)"
    } else if is("local") || is("internal") || is("home.arpa") || is("localdomain") {
        "a local-network name"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn reason(url: &str) -> Option<String> {
        let u = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        internal_reason(&u.host().expect("a host"))
    }

    #[test]
    fn internal_hosts_by_class() {
        for (url, class) in [
            ("https://127.0.0.1/", "loopback"),
            ("https://127.255.0.9/", "loopback"),
            ("https://2130706433/", "loopback"),
            ("https://0x7f.1/", "loopback"),
            ("https://127.1/", "loopback"),
            ("https://0.0.0.0/", "unspecified"),
            ("https://0.1.2.3/", "unspecified"),
            ("https://10.0.0.1/", "private"),
            ("https://172.16.0.1/", "private"),
            ("https://172.31.255.255/", "private"),
            ("https://192.168.1.1/", "private"),
            ("https://169.254.169.254/", "link-local"),
            ("https://100.64.0.1/", "shared"),
            ("https://100.127.255.254/", "shared"),
            ("https://255.255.255.255/", "broadcast"),
            ("https://224.0.0.1/", "multicast"),
            ("https://239.255.255.250/", "multicast"),
            ("https://240.0.0.1/", "reserved"),
            ("https://[::]/", "unspecified"),
            ("https://[::1]/", "loopback"),
            ("https://[fc00::1]/", "unique local"),
            ("https://[fd12:3456::1]/", "unique local"),
            ("https://[fe80::1]/", "link-local"),
            ("https://[fec0::1]/", "site-local"),
            ("https://[ff02::1]/", "multicast"),
            ("https://[::ffff:10.0.0.1]/", "private"),
            ("https://[::ffff:127.0.0.1]/", "loopback"),
            ("https://[::ffff:169.254.169.254]/", "link-local"),
            ("https://[::127.0.0.1]/", "loopback"),
            ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),
            ("https://[64:ff9b::10.1.2.3]/", "private"),
            ("https://[2002:c0a8:0101::1]/", "private"),
            ("https://localhost/", "loopback name"),
            ("https://LOCALHOST./", "loopback name"),
            ("https://app.localhost/", "loopback name"),
            ("https://intranet/", "single-label"),
            ("https://intranet./", "single-label"),
            ("https://printer.local/", "local-network"),
            ("https://metadata.google.internal/", "local-network"),
            ("https://nas.home.arpa/", "local-network"),
            ("https://box.localdomain/", "local-network"),
            ("https://Box.LocalDomain./", "local-network"),
            // Found by the metadata fuzz target: only one trailing dot is a root label.
            ("https://intranet..../", "not a valid domain name"),
            ("https://app..example/", "not a valid domain name"),
        ] {
            let r = reason(url).unwrap_or_else(|| panic!("{url} counted as public"));
            assert!(r.contains(class), "{url}: {r}");
        }
    }

    #[test]
    fn public_hosts() {
        for url in [
            "https://app.example/",
            "https://8.8.8.8/",
            "https://172.32.0.1/",
            "https://100.128.0.1/",
            "https://192.0.2.10/",
            "https://[2001:db8::1]/",
            "https://[2606:4700::1111]/",
            "https://local.example/",
            "https://localhost.example/",
            "https://internal.example.com/",
            "https://xn--bcher-kva.example/",
            "https://app.example./",
        ] {
            assert_eq!(reason(url), None, "{url}");
        }
    }

    #[test]
    fn the_reason_names_the_normalised_address() {
        assert_eq!(
            reason("https://2130706433/").as_deref(),
            Some("127.0.0.1 is a loopback address")
        );
        assert_eq!(
            reason("https://[::ffff:10.0.0.1]/").as_deref(),
            Some("[::ffff:a00:1] is a private address")
        );
        assert_eq!(
            reason("https://intranet/").as_deref(),
            Some("\"intranet\" is a single-label name (not a public domain)")
        );
    }
}
