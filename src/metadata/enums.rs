//! Closed sets of metadata values. Each value is parsed from, and written as, its wire string.

use crate::error::quoted;

/// Defines a closed enum with its wire strings (`NAMES`), `as_str`, `from_wire` and serde as that
/// string.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire strings of [`Self::ALL`], in the same order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn from_wire(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl $crate::metadata::enums::WireEnum for $name {
            fn from_wire(s: &str) -> Option<Self> {
                $name::from_wire(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_wire(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {} {s:?}", stringify!($name)))
                })
            }
        }
    };
}

/// A closed set of values [`wire_enum!`] defines: read from its wire string.
pub trait WireEnum: Sized {
    fn from_wire(s: &str) -> Option<Self>;
}

/// Also for the audit event kinds (`store::AuditKind`).
pub(crate) use wire_enum;

wire_enum! {
    /// OAuth grant types Registrar knows (RFC 7591 §2, RFC 8628, RFC 8693, RFC 7523).
    GrantType {
        AuthorizationCode => "authorization_code",
        Implicit => "implicit",
        RefreshToken => "refresh_token",
        ClientCredentials => "client_credentials",
        DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
    }
}

wire_enum! {
    /// Token endpoint authentication methods offered. `client_secret_jwt` is absent on purpose:
    /// it needs the plain secret on the server, and Registrar keeps only a keyed hash.
    AuthMethod {
        None => "none",
        ClientSecretBasic => "client_secret_basic",
        ClientSecretPost => "client_secret_post",
        PrivateKeyJwt => "private_key_jwt",
    }
}

impl AuthMethod {
    /// Whether clients using this method are issued a `client_secret`.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

wire_enum! {
    /// OIDC Registration §2 `application_type`.
    ApplicationType {
        Web => "web",
        Native => "native",
    }
}

wire_enum! {
    /// OIDC Core §8 subject identifier types.
    SubjectType {
        Public => "public",
        Pairwise => "pairwise",
    }
}

/// A response type: one or more of `code`, `token`, `id_token`, space-separated in any order
/// (OAuth 2.0 Multiple Response Type Encoding Practices). Kept as registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ResponseType(String);

impl ResponseType {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut seen: Vec<&str> = Vec::new();
        for part in s.split(' ') {
            if !matches!(part, "code" | "token" | "id_token") {
                return Err(format!("unsupported value {}", quoted(s)));
            }
            if seen.contains(&part) {
                return Err(format!("{} repeated in {}", quoted(part), quoted(s)));
            }
            seen.push(part);
        }
        Ok(ResponseType(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn has(&self, part: &str) -> bool {
        self.0.split(' ').any(|p| p == part)
    }

    /// Needs the authorization_code grant (RFC 7591 §2.1).
    pub fn uses_code(&self) -> bool {
        self.has("code")
    }

    /// Returns tokens from the authorization endpoint, so needs the implicit grant.
    pub fn uses_implicit(&self) -> bool {
        self.has("token") || self.has("id_token")
    }

    /// Every response type Registrar can accept, for discovery.
    pub fn all(implicit: bool) -> Vec<&'static str> {
        if implicit {
            vec![
                "code",
                "token",
                "id_token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token",
            ]
        } else {
            vec!["code"]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types_round_trip_through_their_wire_strings() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::from_wire(g.as_str()), Some(*g));
        }
        assert_eq!(GrantType::from_wire("password"), None);
    }

    #[test]
    fn response_type_parts_are_order_free_but_not_repeated() {
        let rt = ResponseType::parse("id_token code").unwrap();
        assert!(rt.uses_code() && rt.uses_implicit());
        assert!(ResponseType::parse("code code").is_err());
        assert!(ResponseType::parse("code  token").is_err());
        assert!(ResponseType::parse("none").is_err());
    }
}
