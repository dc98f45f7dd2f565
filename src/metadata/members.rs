//! Typed readers over the submitted JSON object. Each error names the member (and index), so a
//! form can show it beside the field. `null` counts as absent, as many clients send it for unset
//! members.

use super::limits::Cap;
use crate::error::{quoted, ApiError};
use serde_json::{Map, Value};

/// Longest string array checked for duplicates by scanning instead of hashing: cheaper for the
/// handful of redirect URIs or grant types a registration usually has.
const SCAN_LIMIT: usize = 16;

/// Which RFC error code a member's problems are reported with.
#[derive(Clone, Copy)]
pub enum Code {
    Metadata,
    RedirectUri,
}

impl Code {
    pub fn error(self, member: &str, detail: impl std::fmt::Display) -> ApiError {
        match self {
            Code::Metadata => ApiError::invalid_metadata(member, detail),
            Code::RedirectUri => ApiError::invalid_redirect(member, detail),
        }
    }
}

pub struct Members<'a>(pub &'a Map<String, Value>);

impl<'a> Members<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A non-empty string.
    pub fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => {
                Err(ApiError::invalid_metadata(name, "must not be empty"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid_metadata(name, "must be a string")),
        }
    }

    /// An array of non-empty strings, each unique. `None` when absent.
    pub fn strings(&self, name: &str, code: Code) -> Result<Option<Vec<&'a str>>, ApiError> {
        self.strings_within(name, code, None)
    }

    /// As [`Members::strings`], refused before any item is read when longer than `cap`.
    pub fn capped_strings(
        &self,
        name: &str,
        code: Code,
        cap: Cap,
    ) -> Result<Option<Vec<&'a str>>, ApiError> {
        self.strings_within(name, code, Some(cap))
    }

    fn strings_within(
        &self,
        name: &str,
        code: Code,
        cap: Option<Cap>,
    ) -> Result<Option<Vec<&'a str>>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let items = value
            .as_array()
            .ok_or_else(|| code.error(name, "must be an array of strings"))?;
        if let Some(cap) = cap {
            cap.check(name, items.len(), code)?;
        }
        let mut out: Vec<&str> = Vec::with_capacity(items.len());
        // A set for the duplicate check of long arrays (a 64 KiB body can hold thousands of short
        // items); a scan of what is already kept for the usual few.
        let mut seen = (items.len() > SCAN_LIMIT)
            .then(|| std::collections::HashSet::with_capacity(items.len()));
        for (i, item) in items.iter().enumerate() {
            // The member's name is only formatted for an error.
            let member = || format!("{name}[{i}]");
            let s = item
                .as_str()
                .ok_or_else(|| code.error(&member(), "must be a string"))?;
            if s.is_empty() {
                return Err(code.error(&member(), "must not be empty"));
            }
            let repeated = match &mut seen {
                Some(set) => !set.insert(s),
                None => out.contains(&s),
            };
            if repeated {
                return Err(code.error(&member(), format!("duplicate value {}", quoted(s))));
            }
            out.push(s);
        }
        Ok(Some(out))
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::invalid_metadata(name, "must be true or false")),
        }
    }

    /// A non-negative integer (JSON number without fraction).
    pub fn unsigned(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                ApiError::invalid_metadata(name, "must be a non-negative integer (seconds)")
            }),
        }
    }

    /// A string that must be one of `allowed`, the wire strings of the value set `from_wire`
    /// reads (all of them, or a part: `SigningAlg::SIGNED_NAMES`).
    pub fn one_of<T>(
        &self,
        name: &str,
        allowed: &[&str],
        from_wire: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => match allowed.contains(&s).then(|| from_wire(s)).flatten() {
                Some(v) => Ok(Some(v)),
                None => Err(unsupported(name, s, allowed)),
            },
        }
    }
}

/// `unsupported value "x" (supported: a, b)`: out of line, one copy for every value set.
#[inline(never)]
pub fn unsupported(name: &str, s: &str, allowed: &[&str]) -> ApiError {
    ApiError::invalid_metadata(
        name,
        format!(
            "unsupported value {} (supported: {})",
            quoted(s),
            allowed.join(", ")
        ),
    )
}
