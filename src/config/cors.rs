//! `CORS_ALLOW_ORIGIN`: which browser origins may call the API and discovery.

use url::Url;

/// Which origins may read API responses in a browser. Credentials are never allowed, so `*` is
/// safe for an API authenticated by bearer tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsPolicy {
    Any,
    /// Space-separated origins such as `https://app.example https://admin.example`.
    Origins(Vec<String>),
}

impl CorsPolicy {
    pub(super) fn parse(value: &str) -> Result<Self, String> {
        if value == "*" {
            return Ok(CorsPolicy::Any);
        }
        let origins: Vec<String> = value.split_whitespace().map(str::to_string).collect();
        for o in &origins {
            let url = Url::parse(o).map_err(|e| format!("CORS_ALLOW_ORIGIN: {o:?}: {e}"))?;
            if url.origin().ascii_serialization() != *o {
                return Err(format!(
                    "CORS_ALLOW_ORIGIN: {o:?} is not an origin (scheme://host[:port], no path or trailing slash)"
                ));
            }
        }
        Ok(CorsPolicy::Origins(origins))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`: the origin itself
    /// when listed; with a single configured origin, that origin (browsers compare it anyway).
    pub fn allow_origin<'a>(&'a self, origin: Option<&'a str>) -> Option<&'a str> {
        match self {
            CorsPolicy::Any => Some("*"),
            CorsPolicy::Origins(list) => match origin {
                Some(o) if list.iter().any(|l| l == o) => Some(o),
                _ if list.len() == 1 => Some(&list[0]),
                _ => None,
            },
        }
    }

    pub fn varies_by_origin(&self) -> bool {
        !matches!(self, CorsPolicy::Any)
    }
}
