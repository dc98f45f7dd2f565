//! Rate limits: which bucket a request counts against, and the key of a client address.
//! The limiter itself is the Workers Rate Limiting binding in production (`glue`), a stand-in in
//! tests; the core only asks it.

use url::Host;

/// Which rate limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitBucket {
    /// `POST /register` by callers without the admin token, keyed by client network.
    RegisterByIp,
    /// `POST /register` with an initial access token, keyed by the token.
    RegisterByToken,
    /// RFC 7592 `GET`/`PUT`/`DELETE`, keyed by client network, before authentication.
    ManageByIp,
    /// RFC 7592 `GET`/`PUT`/`DELETE` of one client, counted once its token is verified (so a
    /// stranger who knows a `client_id` cannot use up the client's own bucket).
    ManageByClient,
}

/// A rate limiter (the Workers Rate Limiting binding in production).
#[allow(async_fn_in_trait)]
pub trait RateLimiter {
    /// Counts one request under `key` and says whether it is within the limit.
    async fn allow(&self, bucket: LimitBucket, key: &str) -> bool;
}

/// No limits: for tests, and when no limiter binding is configured.
pub struct NoLimits;

impl RateLimiter for NoLimits {
    async fn allow(&self, _: LimitBucket, _: &str) -> bool {
        true
    }
}

/// Default `RATE_LIMIT_IPV6_PREFIX`: one site's allocation (RFC 6177), so one host cannot take a
/// fresh bucket per request from the 2^64 addresses of its own /64.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The network a client address is limited as: an IPv4 address itself, an IPv6 address cut to
/// its first `v6_prefix` bits. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) counts as the
/// IPv4 address. Anything that is not an address (never sent by Cloudflare) is its own key.
/// (Parsed with the `url` crate's host parser, already in the module, rather than `std::net`'s.)
pub fn network_key(ip: &str, v6_prefix: u8) -> String {
    let ip = ip.trim();
    let host = if ip.contains(':') {
        Host::parse(&format!("[{ip}]"))
    } else {
        // Lower case first, as the url crate does before its host parser (which expects it).
        Host::parse(&ip.to_ascii_lowercase())
    };
    match host {
        Ok(Host::Ipv4(v4)) => v4.to_string(),
        Ok(Host::Ipv6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u32::from(v6_prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                format!("{:032x}/{bits}", u128::from(v6) & mask)
            }
        },
        _ => format!("raw:{ip}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_of_one_prefix_share_a_key() {
        let a = network_key("2001:db8:1:2::1", 64);
        assert_eq!(a, "20010db8000100020000000000000000/64");
        assert_eq!(network_key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64), a);
        assert_ne!(network_key("2001:db8:1:3::1", 64), a);
        // A shorter prefix groups more: a /56 holds 256 /64s.
        assert_eq!(
            network_key("2001:db8:1:2::1", 56),
            network_key("2001:db8:1:ff::1", 56)
        );
        assert_eq!(
            network_key("2001:db8::1", 128),
            "20010db8000000000000000000000001/128"
        );
    }

    #[test]
    fn ipv4_is_keyed_on_the_whole_address() {
        assert_eq!(network_key("203.0.113.9", 64), "203.0.113.9");
        assert_ne!(network_key("203.0.113.10", 64), "203.0.113.9");
        assert_eq!(network_key("::ffff:203.0.113.9", 64), "203.0.113.9");
    }

    #[test]
    fn non_addresses_are_their_own_key() {
        assert_eq!(network_key("unknown", 64), "raw:unknown");
        assert_eq!(network_key("1:2:3", 64), "raw:1:2:3");
        assert_eq!(network_key("NOT-AN-IP", 64), "raw:NOT-AN-IP");
    }
}
