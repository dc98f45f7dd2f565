//! The URL members: redirect URIs (with the per-client-type rules of redirect_uri.rs), the
//! post-logout redirects, web URLs shown to people, and the URLs the authorization server
//! fetches (public hosts only, src/uri/host.rs); the pairwise subject's one-host rule.

use super::*;

/// `redirect_uris` and the `application_type` they are checked against.
pub(super) fn redirect_uris(
    m: &Members,
    required: bool,
    implicit: bool,
    limits: &MetadataLimits,
) -> Result<(Vec<RedirectUri>, ApplicationType), ApiError> {
    let uris = m
        .capped_strings(
            "redirect_uris",
            Code::RedirectUri,
            cap(limits.redirect_uris, "redirect_uris"),
        )?
        .unwrap_or_default();
    if required && uris.is_empty() {
        return Err(ApiError::invalid_redirect(
            "redirect_uris",
            "at least one redirect URI is required for the authorization_code and implicit grants",
        ));
    }
    let (uris, kinds): (Vec<RedirectUri>, Vec<UriKind>) = uris
        .iter()
        .enumerate()
        .map(|(i, u)| {
            RedirectUri::parse(u)
                .map_err(|e| ApiError::invalid_redirect(&format!("redirect_uris[{i}]"), e))
        })
        .collect::<Result<_, _>>()?;

    let app = match m.string("application_type")? {
        Some(s) => ApplicationType::from_wire(s)
            .ok_or_else(|| unsupported("application_type", s, ApplicationType::NAMES))?,
        None if redirect_uri::looks_native(&kinds) => ApplicationType::Native,
        None => ApplicationType::Web,
    };
    for (i, kind) in kinds.iter().enumerate() {
        redirect_uri::check_for_client(*kind, app, implicit)
            .map_err(|e| ApiError::invalid_redirect(&format!("redirect_uris[{i}]"), e))?;
    }
    Ok((uris, app))
}

/// OIDC RP-Initiated Logout §3.1: the same rules as redirect URIs, reported as metadata errors.
pub(super) fn post_logout_redirect_uris(
    m: &Members,
    app: ApplicationType,
    limits: &MetadataLimits,
) -> Result<Vec<RedirectUri>, ApiError> {
    const MEMBER: &str = "post_logout_redirect_uris";
    let uris = m
        .capped_strings(
            MEMBER,
            Code::Metadata,
            cap(limits.post_logout_redirect_uris, MEMBER),
        )?
        .unwrap_or_default();
    let mut out = Vec::with_capacity(uris.len());
    for (i, u) in uris.iter().enumerate() {
        let member = format!("post_logout_redirect_uris[{i}]");
        let (uri, kind) =
            RedirectUri::parse(u).map_err(|e| ApiError::invalid_metadata(&member, e))?;
        redirect_uri::check_for_client(kind, app, false)
            .map_err(|e| ApiError::invalid_metadata(&member, e))?;
        out.push(uri);
    }
    Ok(out)
}

/// An absolute http(s) URL: informational links shown to users. At most
/// [`text::MAX_URL_BYTES`], no control, invisible or bidi character, no user information.
pub(super) fn check_web_url(member: &str, raw: &str) -> Result<url::Url, ApiError> {
    if let Some(problem) = text::url_problem(raw) {
        return Err(ApiError::invalid_metadata(member, problem));
    }
    let url = url::Url::parse(raw)
        .map_err(|e| ApiError::invalid_metadata(member, format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || !uri::has_written_authority(raw, &url) {
        return Err(ApiError::invalid_metadata(
            member,
            "must be an http or https URL",
        ));
    }
    if uri::has_user_info(raw) {
        return Err(ApiError::invalid_metadata(member, uri::USER_INFO_REFUSED));
    }
    Ok(url)
}

/// What a URL the authorization server fetches or sends users to is for: the rules differ a
/// little (OIDC Registration §2).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Fetched {
    /// `jwks_uri`: no fragment; http on loopback with `ALLOW_PRIVATE_HOSTS`.
    Keys,
    /// `request_uris[i]`: a fragment is allowed (a hash of the request object); http on
    /// loopback with `ALLOW_PRIVATE_HOSTS`.
    Request,
    /// `initiate_login_uri`: https only, always.
    Login,
    /// `sector_identifier_uri`: https only (refused afterwards until it is supported).
    Sector,
}

/// A URL the authorization server fetches (`jwks_uri`, `request_uris`, `sector_identifier_uri`)
/// or sends users to for the client (`initiate_login_uri`): https on a public host. With
/// `ALLOW_PRIVATE_HOSTS=true` (local development) any host, and for `jwks_uri` and
/// `request_uris` also http on loopback as written (`127.0.0.1`, `[::1]`, `localhost`).
fn check_fetched_url(
    member: &str,
    raw: &str,
    kind: Fetched,
    caps: &Capabilities<'_>,
) -> Result<(), ApiError> {
    let url = check_web_url(member, raw)?;
    if kind != Fetched::Request && raw.contains('#') {
        return Err(ApiError::invalid_metadata(member, "fragment not allowed"));
    }
    let dev = caps.allow_private_hosts;
    let http_ok = dev && matches!(kind, Fetched::Keys | Fetched::Request);
    match url.scheme() {
        "https" => {}
        "http" if http_ok && uri::is_loopback(raw) => {}
        _ if matches!(kind, Fetched::Login | Fetched::Sector) => {
            return Err(ApiError::invalid_metadata(
                member,
                "must be an https URL (OIDC Registration §2)",
            ))
        }
        _ => {
            return Err(ApiError::invalid_metadata(
                member,
                "must be an https URL (http only on loopback, with ALLOW_PRIVATE_HOSTS=true for local development)",
            ))
        }
    }
    if dev {
        return Ok(());
    }
    match url.host().as_ref().and_then(uri::host::internal_reason) {
        None => Ok(()),
        Some(why) => Err(ApiError::invalid_metadata(
            member,
            format!(
                "must name a public host; {why} (ALLOW_PRIVATE_HOSTS=true allows it for local development)"
            ),
        )),
    }
}

pub(super) fn web_url(m: &Members, member: &str) -> Result<Option<String>, ApiError> {
    let v = m.string(member)?;
    v.map(|u| check_web_url(member, u).map(|_| u.to_string()))
        .transpose()
}

pub(super) fn fetched_url(
    m: &Members,
    member: &str,
    kind: Fetched,
    caps: &Capabilities<'_>,
) -> Result<Option<String>, ApiError> {
    let v = m.string(member)?;
    v.map(|u| check_fetched_url(member, u, kind, caps).map(|()| u.to_string()))
        .transpose()
}

/// OIDC Registration §2: request_uris may carry a fragment (a hash of the request object).
pub(super) fn request_uris(m: &Members, caps: &Capabilities<'_>) -> Result<Vec<String>, ApiError> {
    const MEMBER: &str = "request_uris";
    let limit = cap(caps.metadata_limits.request_uris, MEMBER);
    let uris = m
        .capped_strings(MEMBER, Code::Metadata, limit)?
        .unwrap_or_default();
    for (i, u) in uris.iter().enumerate() {
        check_fetched_url(&format!("{MEMBER}[{i}]"), u, Fetched::Request, caps)?;
    }
    Ok(owned(Some(uris)))
}

/// OIDC Core §8.1: without a sector identifier, pairwise subjects are computed per redirect host,
/// so all redirect URIs must share one host.
pub(super) fn check_pairwise_hosts(redirect_uris: &[RedirectUri]) -> Result<(), ApiError> {
    let mut hosts: Vec<String> = redirect_uris
        .iter()
        .map(|u| u.host().map_or_else(|| u.scheme(), str::to_string))
        .collect();
    hosts.sort();
    hosts.dedup();
    if hosts.len() > 1 {
        return Err(ApiError::invalid_metadata(
            "subject_type",
            "pairwise with redirect_uris on several hosts needs sector_identifier_uri, which this server does not support yet",
        ));
    }
    Ok(())
}
