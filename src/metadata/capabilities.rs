//! What validation needs to know of the server: the values it supports and the operator's
//! limits. Validation takes this, not the whole configuration, so `metadata` does not depend on
//! `config` (issue 15: dependencies flow one way; `config` builds it).

use super::enums::GrantType;
use super::limits::MetadataLimits;

#[derive(Clone, Copy, Debug)]
pub struct Capabilities<'a> {
    /// `SCOPES_SUPPORTED`: every scope token a client may ask for.
    pub scopes_supported: &'a [String],
    /// `DEFAULT_SCOPE`: the scope of a client that asks for none.
    pub default_scope: &'a str,
    /// `GRANT_TYPES_SUPPORTED`: the grants a client may register (implicit only when listed).
    pub grant_types_supported: &'a [GrantType],
    /// `METADATA_LIMITS`: entries per list member and bytes of stored metadata.
    pub metadata_limits: &'a MetadataLimits,
    /// `ALLOW_PRIVATE_HOSTS` (local development): fetched URLs may name any host.
    pub allow_private_hosts: bool,
}

impl Capabilities<'_> {
    /// The implicit grant, and the response types that return tokens from the authorization
    /// endpoint, are allowed only when the operator lists it (RFC 9700 discourages it).
    pub fn implicit_enabled(&self) -> bool {
        self.grant_types_supported.contains(&GrantType::Implicit)
    }
}
