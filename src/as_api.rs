//! The authorization server API (`/as/v1/`, docs/authorization-server.md): what an
//! authorization server asks the registry while serving its own endpoints. Look a client up,
//! authenticate it with its secret, and check an authorization request's client, redirect URI,
//! response type and scope. Authorisation (`AS_API_TOKEN`) is checked in [`crate::http`].
//!
//! Lookups write no audit event; a use is recorded as `last_used_at`, at most hourly.

use crate::cimd::DocumentSource;
use crate::error::{ApiError, AuthorizationError, UNKNOWN_CLIENT};
use crate::metadata::enums::ApplicationType;
use crate::service::{parse_object, Registrar};
use crate::store::{ClientStatus, ClientStore, StoredClient};
use crate::token::{self, Purpose, Secret, TokenHash};
use serde_json::{Map, Value};

/// One description for an unknown client, a wrong secret and a client without a secret, so the
/// answer does not tell which.
pub const BAD_CLIENT_CREDENTIALS: &str = "the client is unknown or the client secret is wrong";
/// Given only to a caller that presented the right secret.
pub const CLIENT_SUSPENDED: &str = "the client is suspended";

/// Verified in place of a missing hash, so an unknown client or one without a secret costs the
/// same keyed hash as a wrong secret. No secret hashes to it (it is not base64url of 32 bytes).
const DUMMY_HASH: &str = "not-a-hash-of-anything-00000000000000000000";

impl<S: ClientStore> Registrar<'_, S> {
    /// Whether `bearer` is `AS_API_TOKEN`.
    pub fn is_as_api(&self, bearer: Option<&str>) -> bool {
        self.bearer_is(
            self.config.as_api_token.as_ref(),
            Purpose::AsApiToken,
            bearer,
        )
    }

    async fn as_lookup(&self, client_id: &str) -> Result<Option<StoredClient>, ApiError> {
        if !token::is_client_id_shaped(client_id) {
            return Ok(None);
        }
        Ok(self.store.find(client_id).await?)
    }

    /// Records the use at most hourly (the stored time tells whether one is due).
    async fn as_record_use(&self, client: &StoredClient) -> Result<(), ApiError> {
        if client.use_due(self.now) {
            self.store.record_use(&client.client_id, self.now).await?;
        }
        Ok(())
    }

    /// Whether `client_id` names a client metadata document this configuration serves.
    #[cfg(any(feature = "cimd", not(target_arch = "wasm32")))]
    fn is_document_client(&self, client_id: &str) -> bool {
        self.config.cimd.is_some() && client_id.starts_with("https:")
    }

    /// `GET /as/v1/clients/{client_id}`; with `CIMD = "on"` also for a URL `client_id`.
    pub async fn as_get_client<D: DocumentSource>(
        &self,
        #[allow(unused_variables)] docs: &D,
        client_id: &str,
    ) -> Result<Value, ApiError> {
        // Compiled only where CIMD is built: its code would otherwise stay in the default wasm.
        #[cfg(any(feature = "cimd", not(target_arch = "wasm32")))]
        if self.is_document_client(client_id) {
            return self
                .cimd_client(docs, client_id)
                .await
                .map(|c| c.to_json())
                .map_err(ApiError::ClientDocument);
        }
        let client = self
            .as_lookup(client_id)
            .await?
            .ok_or(ApiError::InvalidClient(404, UNKNOWN_CLIENT))?;
        self.as_record_use(&client).await?;
        Ok(as_client_json(&client))
    }

    /// `POST /as/v1/clients/{client_id}/authenticate` with `{"client_secret"}`. The secret is
    /// always checked with one keyed hash (against a dummy when there is nothing to check), and
    /// suspension is told only to a caller with the right secret.
    pub async fn as_authenticate(&self, client_id: &str, body: &[u8]) -> Result<Value, ApiError> {
        let request = parse_object(body)?;
        let presented = match request.get("client_secret") {
            Some(Value::String(s)) => Secret::from_presented(s),
            _ => {
                return Err(ApiError::InvalidRequest(
                    "client_secret: required, a string".into(),
                ))
            }
        };
        let client = self.as_lookup(client_id).await?;
        let stored = client.as_ref().and_then(|c| c.client_secret_hash.as_ref());
        let key = &self.config.hash_key;
        let dummy = TokenHash::from_stored(DUMMY_HASH.into());
        let matches = key.verify(
            Purpose::ClientSecret,
            client_id,
            &presented,
            stored.unwrap_or(&dummy),
        ) && stored.is_some();
        let client = match client {
            Some(c) if matches => c,
            _ => return Err(ApiError::InvalidClient(401, BAD_CLIENT_CREDENTIALS)),
        };
        if client.status == ClientStatus::Suspended {
            return Err(ApiError::InvalidClient(401, CLIENT_SUSPENDED));
        }
        self.as_record_use(&client).await?;
        Ok(as_client_json(&client))
    }

    /// `POST /as/v1/clients/{client_id}/authorization-check` with `{"redirect_uri",
    /// "response_type", "scope"?}`: the redirect URI that matched and the scope to grant.
    pub async fn as_authorization_check<D: DocumentSource>(
        &self,
        #[allow(unused_variables)] docs: &D,
        client_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        use AuthorizationError as E;
        let refuse = |e, d: &str| ApiError::Authorization(e, d.to_string());
        let request =
            parse_object(body).map_err(|e| refuse(E::InvalidRequest, &e.description()))?;
        let text = |name: &str, required: bool| match request.get(name) {
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            None | Some(Value::Null) if !required => Ok(None),
            _ => Err(refuse(
                E::InvalidRequest,
                &format!(
                    "{name}: {}a string",
                    if required { "required, " } else { "" }
                ),
            )),
        };
        let redirect_uri = text("redirect_uri", true)?.unwrap_or_default();
        let response_type = text("response_type", true)?.unwrap_or_default();
        let scope = text("scope", false)?;

        #[allow(unused_mut)]
        let mut document: Option<crate::cimd::DocumentClient> = None;
        #[cfg(any(feature = "cimd", not(target_arch = "wasm32")))]
        if self.is_document_client(client_id) {
            let found = self.cimd_client(docs, client_id).await;
            document = Some(found.map_err(|e| refuse(E::InvalidClient, &e))?);
        }
        let client = if document.is_some() {
            None
        } else {
            match self.as_lookup(client_id).await? {
                None => return Err(refuse(E::InvalidClient, UNKNOWN_CLIENT)),
                Some(c) if c.status == ClientStatus::Suspended => {
                    return Err(refuse(E::InvalidClient, CLIENT_SUSPENDED))
                }
                Some(c) => Some(c),
            }
        };
        let m = match (&client, &document) {
            (Some(c), _) => &c.metadata,
            (None, Some(d)) => &d.metadata,
            (None, None) => return Err(refuse(E::InvalidClient, UNKNOWN_CLIENT)),
        };
        let native = m.application_type == ApplicationType::Native;
        let Some(registered_uri) = m
            .redirect_uris
            .iter()
            .find(|r| redirect_uri_matches(r, redirect_uri, native))
        else {
            return Err(refuse(
                E::InvalidRequest,
                "redirect_uri: not registered for this client",
            ));
        };
        if !m
            .response_types
            .iter()
            .any(|r| same_response_type(r.as_str(), response_type))
        {
            return Err(refuse(
                E::UnauthorizedClient,
                "response_type: not registered for this client",
            ));
        }
        let granted = match scope.filter(|s| !s.trim().is_empty()) {
            None => m.scope.clone(),
            Some(requested) => {
                let granted = grant_scope(requested, &m.scope);
                if granted.is_empty() {
                    return Err(refuse(
                        E::InvalidScope,
                        "scope: none of the requested scopes is registered for this client",
                    ));
                }
                granted
            }
        };
        if let Some(client) = &client {
            self.as_record_use(client).await?;
        }
        let mut body = Map::new();
        body.insert("redirect_uri".into(), registered_uri.clone().into());
        body.insert("scope".into(), granted.into());
        Ok(Value::Object(body))
    }
}

/// What the AS API shows of a client: its metadata as RFC 7592 returns it, without the secret,
/// the registration access token or any hash, and its state.
pub fn as_client_json(c: &StoredClient) -> Value {
    let uses_secret = c.metadata.token_endpoint_auth_method.uses_secret();
    let mut client = c.metadata.to_json();
    client.insert("client_id".into(), c.client_id.clone().into());
    client.insert("client_id_issued_at".into(), c.client_id_issued_at.into());
    let has_secret = uses_secret && c.client_secret_hash.is_some();
    if has_secret {
        client.insert("client_secret_expires_at".into(), 0.into());
    }
    let mut body = Map::new();
    body.insert("client".into(), Value::Object(client));
    body.insert("status".into(), c.status.as_str().into());
    body.insert("client_id_issued_at".into(), c.client_id_issued_at.into());
    body.insert("updated_at".into(), c.updated_at.into());
    body.insert(
        "token_endpoint_auth_method".into(),
        c.metadata.token_endpoint_auth_method.as_str().into(),
    );
    body.insert("has_secret".into(), has_secret.into());
    if has_secret {
        // The secret does not expire (RFC 7591 §3.2.1: 0 means never).
        body.insert("client_secret_expires_at".into(), 0.into());
    }
    Value::Object(body)
}

/// Whether a requested redirect URI matches a registered one: byte for byte, except that for a
/// native client a loopback IP literal's port may differ (RFC 8252 §7.3). `localhost` gets no
/// such allowance (RFC 8252 §8.3), nor does any web client.
pub fn redirect_uri_matches(registered: &str, requested: &str, native: bool) -> bool {
    if registered == requested {
        return true;
    }
    native
        && matches!(
            (loopback_without_port(registered), loopback_without_port(requested)),
            (Some(a), Some(b)) if a == b
        )
}

/// `http://127.0.0.1[:port]<rest>` or `http://[::1][:port]<rest>` as (host, rest), where rest is
/// empty or starts with `/` or `?`; `None` for anything else.
fn loopback_without_port(uri: &str) -> Option<(&'static str, &str)> {
    let rest = uri.strip_prefix("http://")?;
    let host = ["127.0.0.1", "[::1]"]
        .into_iter()
        .find(|h| rest.starts_with(h))?;
    let mut rest = &rest[host.len()..];
    if let Some(port) = rest.strip_prefix(':') {
        let end = port
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(port.len());
        port[..end].parse::<u16>().ok()?;
        rest = &port[end..];
    }
    (rest.is_empty() || rest.starts_with(['/', '?'])).then_some((host, rest))
}

/// Response types are equal as sets of their space-separated parts (`code id_token` is
/// `id_token code`); a repeated part makes them differ.
pub fn same_response_type(registered: &str, requested: &str) -> bool {
    // Without sorting (which would add a sort to the wasm): registered parts never repeat
    // (`ResponseType::parse`), so equal counts and every requested part registered, each once,
    // is set equality.
    let count = |s: &str| s.split(' ').count();
    count(registered) == count(requested)
        && requested.split(' ').enumerate().all(|(i, part)| {
            registered.split(' ').any(|r| r == part)
                && !requested.split(' ').skip(i + 1).any(|r| r == part)
        })
}

/// The requested scopes that are registered, in the order requested, each once.
pub fn grant_scope(requested: &str, registered: &str) -> String {
    let registered: Vec<&str> = registered.split_whitespace().collect();
    let mut granted: Vec<&str> = Vec::new();
    for s in requested.split_whitespace() {
        if registered.contains(&s) && !granted.contains(&s) {
            granted.push(s);
        }
    }
    granted.join(" ")
}
