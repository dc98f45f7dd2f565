//! Reading [`ClientMetadata`] back from its stored JSON (what `Serialize` wrote to D1 or KV).
//!
//! Hand-written rather than derived: serde's derived `Deserialize`, with the flattened localized
//! members, cost about 3 KB of gzip in the Worker more than this (measured on issue 13's build).
//! The stored form is written by this server; a member of the wrong type is still an error (a
//! damaged row must not become a different client), never a panic.

use super::algorithms::{EncryptionAlg, EncryptionEnc, SigningAlg};
use super::enums::{ApplicationType, AuthMethod, GrantType, ResponseType, SubjectType};
use super::{ClientMetadata, RedirectUri};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Takes members out of the stored object, naming the one at fault.
struct Stored(Map<String, Value>);

impl Stored {
    /// The member, `None` when absent or `null`.
    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }
    fn string(&mut self, name: &str) -> Result<Option<String>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("{name} is not a string")),
        }
    }
    fn required(&mut self, name: &str) -> Result<String, String> {
        self.string(name)?
            .ok_or_else(|| format!("{name} is missing"))
    }
    /// An array of strings; absent is empty.
    fn strings(&mut self, name: &str) -> Result<Vec<String>, String> {
        self.list(name, false)
    }
    /// Redirect URIs; absent is none.
    fn uris(&mut self, name: &str) -> Result<Vec<RedirectUri>, String> {
        let uris = self.strings(name)?;
        Ok(uris.into_iter().map(RedirectUri::stored).collect())
    }
    /// An array of strings that may be required (it may still be empty).
    fn list(&mut self, name: &str, required: bool) -> Result<Vec<String>, String> {
        match self.take(name) {
            None if required => Err(format!("{name} is missing")),
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(format!("{name} has an item that is not a string")),
                })
                .collect(),
            Some(_) => Err(format!("{name} is not an array")),
        }
    }
    /// A closed-set value, read with its `from_wire`.
    fn word<T>(&mut self, name: &str, from_wire: fn(&str) -> Option<T>) -> Result<T, String> {
        self.optional_word(name, from_wire)?
            .ok_or_else(|| format!("{name} is missing"))
    }
    /// As [`Stored::word`], `None` when absent.
    fn optional_word<T>(
        &mut self,
        name: &str,
        from_wire: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, String> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => from_wire(&s)
                .map(Some)
                .ok_or_else(|| format!("{name} has an unknown value")),
        }
    }
    fn words<T>(&mut self, name: &str, from_wire: fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
        self.list(name, true)?
            .iter()
            .map(|s| from_wire(s).ok_or_else(|| format!("{name} has an unknown value")))
            .collect()
    }
}

impl ClientMetadata {
    /// The metadata a stored object holds: every member `Serialize` writes, and the localized
    /// variants (`client_name#fr`) as the members left over.
    pub fn from_stored(object: Map<String, Value>) -> Result<Self, String> {
        let mut m = Stored(object);
        let metadata = ClientMetadata {
            redirect_uris: m.uris("redirect_uris")?,
            token_endpoint_auth_method: m
                .word("token_endpoint_auth_method", AuthMethod::from_wire)?,
            grant_types: m.words("grant_types", GrantType::from_wire)?,
            response_types: m.words("response_types", |s| ResponseType::parse(s).ok())?,
            application_type: m.word("application_type", ApplicationType::from_wire)?,
            client_name: m.string("client_name")?,
            client_uri: m.string("client_uri")?,
            logo_uri: m.string("logo_uri")?,
            tos_uri: m.string("tos_uri")?,
            policy_uri: m.string("policy_uri")?,
            scope: m.required("scope")?,
            contacts: m.strings("contacts")?,
            jwks_uri: m.string("jwks_uri")?,
            jwks: m.take("jwks"),
            software_id: m.string("software_id")?,
            software_version: m.string("software_version")?,
            subject_type: m.optional_word("subject_type", SubjectType::from_wire)?,
            id_token_signed_response_alg: m
                .word("id_token_signed_response_alg", SigningAlg::from_wire)?,
            id_token_encrypted_response_alg: m
                .optional_word("id_token_encrypted_response_alg", EncryptionAlg::from_wire)?,
            id_token_encrypted_response_enc: m
                .optional_word("id_token_encrypted_response_enc", EncryptionEnc::from_wire)?,
            userinfo_signed_response_alg: m
                .optional_word("userinfo_signed_response_alg", SigningAlg::from_wire)?,
            userinfo_encrypted_response_alg: m
                .optional_word("userinfo_encrypted_response_alg", EncryptionAlg::from_wire)?,
            userinfo_encrypted_response_enc: m
                .optional_word("userinfo_encrypted_response_enc", EncryptionEnc::from_wire)?,
            request_object_signing_alg: m
                .optional_word("request_object_signing_alg", SigningAlg::from_wire)?,
            request_object_encryption_alg: m
                .optional_word("request_object_encryption_alg", EncryptionAlg::from_wire)?,
            request_object_encryption_enc: m
                .optional_word("request_object_encryption_enc", EncryptionEnc::from_wire)?,
            token_endpoint_auth_signing_alg: m
                .optional_word("token_endpoint_auth_signing_alg", SigningAlg::from_wire)?,
            default_max_age: match m.take("default_max_age") {
                None => None,
                Some(v) => Some(v.as_u64().ok_or("default_max_age is not a whole number")?),
            },
            require_auth_time: match m.take("require_auth_time") {
                None => None,
                Some(v) => Some(v.as_bool().ok_or("require_auth_time is not a boolean")?),
            },
            default_acr_values: m.strings("default_acr_values")?,
            initiate_login_uri: m.string("initiate_login_uri")?,
            request_uris: m.strings("request_uris")?,
            post_logout_redirect_uris: m.uris("post_logout_redirect_uris")?,
            localized: Default::default(),
        };
        // Inserted one by one: collecting into a BTreeMap sorts first, which cost 1.5 KB of wasm.
        let mut localized = std::collections::BTreeMap::new();
        for (k, v) in m.0 {
            match v {
                Value::String(s) if k.contains('#') => {
                    localized.insert(k, s);
                }
                _ => return Err(format!("{k} is not a member of client metadata")),
            }
        }
        Ok(ClientMetadata {
            localized,
            ..metadata
        })
    }
}

impl<'de> Deserialize<'de> for ClientMetadata {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let object = Map::deserialize(d)?;
        ClientMetadata::from_stored(object).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<ClientMetadata, String> {
        match v {
            Value::Object(m) => ClientMetadata::from_stored(m),
            _ => unreachable!(),
        }
    }

    fn minimal() -> Value {
        json!({
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "application_type": "native",
            "scope": "openid",
            "id_token_signed_response_alg": "RS256",
            "redirect_uris": ["http://127.0.0.1/cb"],
        })
    }

    #[test]
    fn reads_what_serialize_wrote_with_localized_members() {
        let mut v = minimal();
        v["client_name#fr"] = json!("Mon appli");
        v["client_name#de"] = json!("Meine App");
        v["default_max_age"] = json!(300);
        v["require_auth_time"] = json!(true);
        v["jwks"] = json!({"keys": []});
        v["response_types"] = json!([]);
        let m = read(v.clone()).unwrap();
        assert_eq!(m.localized["client_name#fr"], "Mon appli");
        assert_eq!(m.default_max_age, Some(300));
        assert_eq!(Value::Object(m.to_json()), v);
        let again: ClientMetadata = serde_json::from_str(&v.to_string()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn a_damaged_object_is_an_error_naming_the_member() {
        for (member, value, says) in [
            ("scope", json!(7), "scope is not a string"),
            ("grant_types", json!(null), "grant_types is missing"),
            (
                "grant_types",
                json!(["password"]),
                "grant_types has an unknown value",
            ),
            (
                "redirect_uris",
                json!("https://x"),
                "redirect_uris is not an array",
            ),
            (
                "contacts",
                json!([1]),
                "contacts has an item that is not a string",
            ),
            (
                "application_type",
                json!("desktop"),
                "application_type has an unknown value",
            ),
            (
                "default_max_age",
                json!(-1),
                "default_max_age is not a whole number",
            ),
            (
                "require_auth_time",
                json!("yes"),
                "require_auth_time is not a boolean",
            ),
            (
                "subject_type",
                json!("secret"),
                "subject_type has an unknown value",
            ),
            (
                "id_token_signed_response_alg",
                json!("HS256"),
                "id_token_signed_response_alg has an unknown value",
            ),
            (
                "userinfo_encrypted_response_enc",
                json!("A128KW"),
                "userinfo_encrypted_response_enc has an unknown value",
            ),
            (
                "x_member",
                json!("text"),
                "x_member is not a member of client metadata",
            ),
            (
                "client_name#fr",
                json!(1),
                "client_name#fr is not a member of client metadata",
            ),
        ] {
            let mut v = minimal();
            v[member] = value;
            assert_eq!(read(v).unwrap_err(), says, "{member}");
        }
        let mut v = minimal();
        v.as_object_mut()
            .unwrap()
            .remove("token_endpoint_auth_method");
        assert_eq!(
            read(v).unwrap_err(),
            "token_endpoint_auth_method is missing"
        );
    }
}
