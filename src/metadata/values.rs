//! The members whose values come from closed sets or the server's configuration: the token
//! endpoint auth method, grant and response types (and how they imply each other), scope, the
//! encryption pairs, and the members Registrar recognises but refuses.

use super::urls::{fetched_url, Fetched};
use super::*;

/// Members we recognise but cannot honour yet: refused clearly rather than silently dropped.
pub(super) fn refuse_unsupported_members(
    m: &Members,
    caps: &Capabilities<'_>,
) -> Result<(), ApiError> {
    if m.has("software_statement") {
        return Err(ApiError::invalid_software_statement(
            "software statements are not accepted by this server",
        ));
    }
    if m.has("sector_identifier_uri") {
        // The server would fetch it: the host rules of fetched URLs apply already, so they hold
        // the day it is accepted.
        fetched_url(m, "sector_identifier_uri", Fetched::Sector, caps)?;
        return Err(ApiError::invalid_metadata(
            "sector_identifier_uri",
            "not supported yet: this server cannot fetch and check it",
        ));
    }
    Ok(())
}

pub(super) fn auth_method(m: &Members) -> Result<AuthMethod, ApiError> {
    const MEMBER: &str = "token_endpoint_auth_method";
    match m.string(MEMBER)? {
        None => Ok(AuthMethod::ClientSecretBasic),
        Some("client_secret_jwt") => Err(ApiError::invalid_metadata(
            MEMBER,
            "client_secret_jwt is not offered (client secrets are stored hashed); use private_key_jwt",
        )),
        Some(s) => AuthMethod::from_wire(s).ok_or_else(|| unsupported(MEMBER, s, AuthMethod::NAMES)),
    }
}

/// Parses both lists, fills defaults from each other, and checks they agree
/// (RFC 7591 §2.1; OIDC Registration §2).
pub(super) fn grants_and_response_types(
    m: &Members,
    caps: &Capabilities<'_>,
) -> Result<(Vec<GrantType>, Vec<ResponseType>), ApiError> {
    let grants = match m.strings("grant_types", Code::Metadata)? {
        None => None,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, g) in list.iter().enumerate() {
                let member = format!("grant_types[{i}]");
                let grant = GrantType::from_wire(g).ok_or_else(|| {
                    ApiError::invalid_metadata(&member, format!("unsupported value {}", quoted(g)))
                })?;
                if !caps.grant_types_supported.contains(&grant) {
                    let why = if grant == GrantType::Implicit {
                        "the implicit grant is disabled on this server (RFC 9700)".to_string()
                    } else {
                        format!("{} is not enabled on this server", quoted(g))
                    };
                    return Err(ApiError::invalid_metadata(&member, why));
                }
                out.push(grant);
            }
            Some(out)
        }
    };
    let response_types = match m.strings("response_types", Code::Metadata)? {
        None => None,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, r) in list.iter().enumerate() {
                let member = format!("response_types[{i}]");
                let rt =
                    ResponseType::parse(r).map_err(|e| ApiError::invalid_metadata(&member, e))?;
                if rt.uses_implicit() && !caps.implicit_enabled() {
                    return Err(ApiError::invalid_metadata(
                        &member,
                        format!("{} returns tokens from the authorization endpoint, which needs the implicit grant; it is disabled on this server (RFC 9700)", quoted(r)),
                    ));
                }
                out.push(rt);
            }
            Some(out)
        }
    };

    let grants = grants.unwrap_or_else(|| match &response_types {
        None => vec![GrantType::AuthorizationCode],
        Some(rts) => {
            let mut g = Vec::new();
            if rts.iter().any(ResponseType::uses_code) {
                g.push(GrantType::AuthorizationCode);
            }
            if rts.iter().any(ResponseType::uses_implicit) {
                g.push(GrantType::Implicit);
            }
            g
        }
    });
    let response_types = response_types.unwrap_or_else(|| {
        if grants.contains(&GrantType::AuthorizationCode) {
            vec![ResponseType::parse("code").expect("code is a response type")]
        } else {
            Vec::new()
        }
    });

    if grants.is_empty() {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "must not be empty",
        ));
    }
    for (i, rt) in response_types.iter().enumerate() {
        if rt.uses_code() && !grants.contains(&GrantType::AuthorizationCode) {
            return Err(ApiError::invalid_metadata(
                &format!("response_types[{i}]"),
                format!(
                    "{:?} needs grant_types to include authorization_code",
                    rt.as_str()
                ),
            ));
        }
        if rt.uses_implicit() && !grants.contains(&GrantType::Implicit) {
            return Err(ApiError::invalid_metadata(
                &format!("response_types[{i}]"),
                format!("{:?} needs grant_types to include implicit", rt.as_str()),
            ));
        }
    }
    if grants.contains(&GrantType::AuthorizationCode)
        && !response_types.iter().any(ResponseType::uses_code)
    {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "authorization_code needs a response type containing \"code\" in response_types",
        ));
    }
    if grants.contains(&GrantType::Implicit)
        && !response_types.iter().any(ResponseType::uses_implicit)
    {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "implicit needs a response type containing \"token\" or \"id_token\" in response_types",
        ));
    }
    if grants == [GrantType::RefreshToken] {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "refresh_token needs another grant type that obtains the first tokens",
        ));
    }
    Ok((grants, response_types))
}

/// RFC 6749 §3.3 scope tokens (NQCHAR), each supported by this server.
pub(super) fn scope(m: &Members, caps: &Capabilities<'_>) -> Result<String, ApiError> {
    let Some(scope) = m.string("scope")? else {
        return Ok(caps.default_scope.to_string());
    };
    let mut seen = Vec::new();
    for token in scope.split(' ') {
        if token.is_empty() {
            return Err(ApiError::invalid_metadata(
                "scope",
                "scope values must be separated by single spaces",
            ));
        }
        if !token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!("{} is not a valid scope token", quoted(token)),
            ));
        }
        if !caps.scopes_supported.iter().any(|s| s == token) {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!(
                    "unsupported value {} (supported: {})",
                    quoted(token),
                    caps.scopes_supported.join(" ")
                ),
            ));
        }
        if seen.contains(&token) {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!("{} repeated", quoted(token)),
            ));
        }
        seen.push(token);
    }
    Ok(scope.to_string())
}

/// `<prefix>_alg` / `<prefix>_enc`: enc needs alg; alg alone gets the default enc.
/// Encrypting to the client also needs its public keys (`has_keys`).
pub(super) fn encryption_pair(
    m: &Members,
    (alg_member, enc_member): (&str, &str),
    has_keys: bool,
) -> Result<(Option<EncryptionAlg>, Option<EncryptionEnc>), ApiError> {
    let alg = m.one_of(alg_member, EncryptionAlg::NAMES, EncryptionAlg::from_wire)?;
    let enc = m.one_of(enc_member, EncryptionEnc::NAMES, EncryptionEnc::from_wire)?;
    match (alg, enc) {
        (None, None) => Ok((None, None)),
        (None, Some(_)) => Err(ApiError::invalid_metadata(
            enc_member,
            format!("needs {alg_member}"),
        )),
        (Some(_), _) if !has_keys => Err(ApiError::invalid_metadata(
            alg_member,
            "encrypting to the client needs its public keys in jwks or jwks_uri",
        )),
        (Some(alg), enc) => Ok((Some(alg), Some(enc.unwrap_or(EncryptionEnc::DEFAULT)))),
    }
}
