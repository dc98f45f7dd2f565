//! How much one registration may hold (`METADATA_LIMITS`): entries per list member and the size
//! of the stored metadata as a whole, so an open registration stores a few KB at most.

/// `METADATA_LIMITS`, a JSON object; members left out keep their default.
/// Parsed by hand rather than with a serde derive (about 1 KB less gzip in the Worker): unknown
/// members are refused, members left out keep their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataLimits {
    pub redirect_uris: usize,
    pub post_logout_redirect_uris: usize,
    pub request_uris: usize,
    pub contacts: usize,
    pub default_acr_values: usize,
    /// Keys in an inline `jwks`.
    pub jwks_keys: usize,
    /// Localized members (`client_name#fr`, `logo_uri#de`, …) in all.
    pub translations: usize,
    /// Bytes of the stored metadata's JSON (what the response echoes and the store keeps).
    pub metadata_bytes: usize,
}

/// The smallest `metadata_bytes` accepted: below it even a minimal registration is refused.
pub const MIN_METADATA_BYTES: usize = 1024;

impl Default for MetadataLimits {
    fn default() -> Self {
        MetadataLimits {
            redirect_uris: 20,
            post_logout_redirect_uris: 20,
            request_uris: 20,
            contacts: 10,
            default_acr_values: 10,
            jwks_keys: 10,
            translations: 30,
            metadata_bytes: 8192,
        }
    }
}

impl MetadataLimits {
    /// Parses `METADATA_LIMITS`: a JSON object of non-negative integers; an error names the
    /// variable (and the member).
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("METADATA_LIMITS: {e}"))?;
        let map = value
            .as_object()
            .ok_or("METADATA_LIMITS: must be a JSON object")?;
        let mut limits = MetadataLimits::default();
        for (key, v) in map {
            let slot = match key.as_str() {
                "redirect_uris" => &mut limits.redirect_uris,
                "post_logout_redirect_uris" => &mut limits.post_logout_redirect_uris,
                "request_uris" => &mut limits.request_uris,
                "contacts" => &mut limits.contacts,
                "default_acr_values" => &mut limits.default_acr_values,
                "jwks_keys" => &mut limits.jwks_keys,
                "translations" => &mut limits.translations,
                "metadata_bytes" => &mut limits.metadata_bytes,
                other => return Err(format!("METADATA_LIMITS: unknown member {other:?}")),
            };
            *slot = v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| format!("METADATA_LIMITS: {key} must be a non-negative integer"))?;
        }
        if limits.metadata_bytes < MIN_METADATA_BYTES {
            return Err(format!(
                "METADATA_LIMITS: metadata_bytes must be at least {MIN_METADATA_BYTES}"
            ));
        }
        Ok(limits)
    }
}

/// A list member's cap and the `METADATA_LIMITS` member that sets it, for error descriptions.
#[derive(Debug, Clone, Copy)]
pub struct Cap {
    pub max: usize,
    pub setting: &'static str,
}

impl Cap {
    /// Refuses a list of `len` entries when over the cap, naming `member` (before any entry is
    /// read: a long list costs no more than a short one).
    pub fn check(
        self,
        member: &str,
        len: usize,
        code: super::members::Code,
    ) -> Result<(), crate::error::ApiError> {
        if len > self.max {
            return Err(code.error(member, self));
        }
        Ok(())
    }
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at most {} entries (METADATA_LIMITS.{})",
            self.max, self.setting
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The commented example in wrangler.toml is the defaults, spelled out.
    #[test]
    fn the_wrangler_toml_example_is_the_defaults() {
        let toml = include_str!("../../wrangler.toml");
        let start = toml
            .find("# METADATA_LIMITS = '''")
            .expect("wrangler.toml shows METADATA_LIMITS");
        let json: String = toml[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("# '''"))
            .map(|l| l.trim_start_matches('#'))
            .collect();
        assert_eq!(MetadataLimits::parse(&json), Ok(MetadataLimits::default()));
    }
}
