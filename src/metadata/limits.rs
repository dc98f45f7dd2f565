//! How much one registration may hold (`METADATA_LIMITS`): entries per list member and the size
//! of the stored metadata as a whole, so an open registration stores a few KB at most.

use serde::Deserialize;

/// `METADATA_LIMITS`, a JSON object; members left out keep their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Parses `METADATA_LIMITS`; an error names the variable.
    pub fn parse(json: &str) -> Result<Self, String> {
        let limits: MetadataLimits =
            serde_json::from_str(json).map_err(|e| format!("METADATA_LIMITS: {e}"))?;
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
