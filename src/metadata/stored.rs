//! Reading [`ClientMetadata`] back from its stored JSON (what `Serialize` wrote to D1 or KV).
//!
//! Not serde's derived `Deserialize`: with the flattened localized members it cost about 3 KB of
//! gzip in the Worker more than this (measured on issue 13's build). Each member is read by its
//! type ([`Read`]); the list of members is the struct's own, through `client_metadata!` (mod.rs),
//! so a new member needs nothing here unless its type is new.
//! The stored form is written by this server; a member of the wrong type is still an error (a
//! damaged row must not become a different client), never a panic.

use super::enums::{ResponseType, WireEnum};
use super::{ClientMetadata, RedirectUri};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Takes members out of the stored object, naming the one at fault.
pub(super) struct Stored(Map<String, Value>);

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
    /// A JSON number or boolean, read with `get`; `None` when absent.
    fn scalar<T>(
        &mut self,
        name: &str,
        get: fn(&Value) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>, String> {
        let v = self.take(name);
        v.map(|v| get(&v).ok_or_else(|| format!("{name} is not {what}")))
            .transpose()
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

/// A member's stored form, read by its type (`client_metadata!` reads every member this way).
pub(super) trait Read: Sized {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String>;
}

/// Required.
impl Read for String {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.required(name)
    }
}

impl Read for Option<String> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.string(name)
    }
}

/// Absent is empty.
impl Read for Vec<String> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.strings(name)
    }
}

/// Absent is none.
impl Read for Vec<RedirectUri> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.uris(name)
    }
}

/// A value of a closed set: required.
impl<T: WireEnum> Read for T {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.word(name, T::from_wire)
    }
}

impl<T: WireEnum> Read for Option<T> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.optional_word(name, T::from_wire)
    }
}

/// Values of a closed set: required, and may be empty.
impl<T: WireEnum> Read for Vec<T> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.words(name, T::from_wire)
    }
}

impl Read for Vec<ResponseType> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.words(name, |s| ResponseType::parse(s).ok())
    }
}

/// Any JSON value (`jwks`).
impl Read for Option<Value> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        Ok(m.take(name))
    }
}

impl Read for Option<u64> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.scalar(name, Value::as_u64, "a whole number")
    }
}

impl Read for Option<bool> {
    fn read(m: &mut Stored, name: &str) -> Result<Self, String> {
        m.scalar(name, Value::as_bool, "a boolean")
    }
}

impl ClientMetadata {
    /// The metadata a stored object holds: every member `Serialize` writes, and the localized
    /// variants (`client_name#fr`) as the members left over.
    pub fn from_stored(object: Map<String, Value>) -> Result<Self, String> {
        let mut m = Stored(object);
        let metadata = ClientMetadata::take_members(&mut m)?;
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
