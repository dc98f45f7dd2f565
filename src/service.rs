//! The registration operations (RFC 7591 §3, RFC 7592 §2) over any [`ClientStore`].
//! Inputs are plain values (body bytes, presented token, time); outputs are JSON members or an
//! [`ApiError`]; HTTP concerns stay in [`crate::http`].

use crate::config::Config;
use crate::error::ApiError;
use crate::metadata::ClientMetadata;
use crate::store::{ClientStore, StoredClient};
use crate::token::{self, Purpose, Secret};
use serde_json::{Map, Value};

/// Members of a client information response that an update request must not carry
/// (RFC 7592 §2.2).
pub const SERVER_ONLY_MEMBERS: &[&str] = &[
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

pub struct Registrar<'a, S> {
    pub config: &'a Config,
    pub store: &'a S,
    /// The issuer this request is served under; registration URIs are built on it.
    pub issuer: String,
    /// Unix seconds.
    pub now: i64,
}

/// Parses a request body that must be a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidRequest(
            "the request body is empty; send the client metadata as a JSON object".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::InvalidRequest(format!("malformed JSON: {e}"))),
    }
}

impl<S: ClientStore> Registrar<'_, S> {
    pub fn registration_client_uri(&self, client_id: &str) -> String {
        format!("{}/register/{client_id}", self.issuer)
    }

    /// RFC 7591 §3.1: validate, issue credentials, store, and answer with everything registered.
    pub async fn register(&self, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
        let request = parse_object(body)?;
        let metadata = ClientMetadata::from_request(&request, self.config)?;
        let client_id = token::new_client_id()?;
        let secret = if metadata.token_endpoint_auth_method.uses_secret() {
            Some(Secret::generate()?)
        } else {
            None
        };
        let access_token = Secret::generate()?;
        let key = &self.config.hash_key;
        let client = StoredClient {
            client_secret_hash: secret
                .as_ref()
                .map(|s| key.hash(Purpose::ClientSecret, &client_id, s)),
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                &client_id,
                &access_token,
            ),
            client_id,
            metadata,
            client_id_issued_at: self.now,
            updated_at: self.now,
        };
        self.store.insert(&client).await?;
        Ok(self.information(&client, secret.as_ref(), &access_token))
    }

    /// RFC 7592 §2.1.
    pub async fn read(
        &self,
        client_id: &str,
        token: Option<&str>,
    ) -> Result<Map<String, Value>, ApiError> {
        let (client, token) = self.authenticate(client_id, token).await?;
        Ok(self.information(&client, None, &token))
    }

    /// RFC 7592 §2.2: the body replaces the registration. The write is conditional on the
    /// presented token still being current, so of two concurrent updates exactly one wins.
    /// `body` may already be refused (size, media type); that error is reported only after
    /// authentication, so strangers learn nothing from it.
    pub async fn update(
        &self,
        client_id: &str,
        token: Option<&str>,
        body: Result<&[u8], ApiError>,
    ) -> Result<Map<String, Value>, ApiError> {
        let (current, presented) = self.authenticate(client_id, token).await?;
        let request = parse_object(body?)?;
        let key = &self.config.hash_key;

        if let Some(member) = SERVER_ONLY_MEMBERS
            .iter()
            .find(|m| request.get(**m).is_some_and(|v| !v.is_null()))
        {
            return Err(ApiError::InvalidRequest(format!(
                "{member}: must not be sent in an update (RFC 7592 §2.2)"
            )));
        }
        match request.get("client_id") {
            Some(Value::String(id)) if id == client_id => {}
            Some(Value::String(_)) => {
                return Err(ApiError::InvalidRequest(
                    "client_id: does not match the client being updated".into(),
                ))
            }
            _ => {
                return Err(ApiError::InvalidRequest(
                    "client_id: required in an update, equal to the registered client_id".into(),
                ))
            }
        }
        let presented_secret = match request.get("client_secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let secret = Secret::from_presented(s);
                let matches = current
                    .client_secret_hash
                    .as_deref()
                    .is_some_and(|h| key.verify(Purpose::ClientSecret, client_id, &secret, h));
                if !matches {
                    return Err(ApiError::InvalidRequest(
                        "client_secret: does not match the client's current secret".into(),
                    ));
                }
                Some(secret)
            }
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "client_secret: must be a string".into(),
                ))
            }
        };

        let metadata = ClientMetadata::from_request(&request, self.config)?;

        // A client that moves to a secret-based method without having a secret gets a new one;
        // one that keeps a secret keeps it; one that leaves secret-based methods loses it.
        let (client_secret_hash, secret_to_return) = match (
            metadata.token_endpoint_auth_method.uses_secret(),
            current.client_secret_hash.clone(),
        ) {
            (false, _) => (None, None),
            (true, Some(hash)) => (Some(hash), presented_secret),
            (true, None) => {
                let fresh = Secret::generate()?;
                (
                    Some(key.hash(Purpose::ClientSecret, client_id, &fresh)),
                    Some(fresh),
                )
            }
        };
        let next_token = if self.config.rotate_registration_token {
            Secret::generate()?
        } else {
            presented.clone()
        };
        let updated = StoredClient {
            client_id: client_id.to_string(),
            metadata,
            client_secret_hash,
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                client_id,
                &next_token,
            ),
            client_id_issued_at: current.client_id_issued_at,
            updated_at: self.now,
        };
        if !self
            .store
            .replace(&updated, &current.registration_token_hash)
            .await?
        {
            // Another update rotated the token, or a delete removed the client, meanwhile.
            return Err(ApiError::InvalidToken);
        }
        Ok(self.information(&updated, secret_to_return.as_ref(), &next_token))
    }

    /// RFC 7592 §2.3: one conditional delete; a wrong token and an unknown client look alike.
    pub async fn delete(&self, client_id: &str, token: Option<&str>) -> Result<(), ApiError> {
        let token = bearer_token(client_id, token)?;
        let hash = self
            .config
            .hash_key
            .hash(Purpose::RegistrationAccessToken, client_id, &token);
        if self.store.delete(client_id, &hash).await? {
            Ok(())
        } else {
            Err(ApiError::InvalidToken)
        }
    }

    async fn authenticate(
        &self,
        client_id: &str,
        token: Option<&str>,
    ) -> Result<(StoredClient, Secret), ApiError> {
        let token = bearer_token(client_id, token)?;
        let client = self
            .store
            .find(client_id)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if !self.config.hash_key.verify(
            Purpose::RegistrationAccessToken,
            client_id,
            &token,
            &client.registration_token_hash,
        ) {
            return Err(ApiError::InvalidToken);
        }
        Ok((client, token))
    }

    /// The client information response (RFC 7591 §3.2.1, RFC 7592 §3).
    fn information(
        &self,
        client: &StoredClient,
        secret: Option<&Secret>,
        access_token: &Secret,
    ) -> Map<String, Value> {
        let mut body = client.metadata.to_json();
        body.insert("client_id".into(), client.client_id.clone().into());
        body.insert(
            "client_id_issued_at".into(),
            client.client_id_issued_at.into(),
        );
        if client.metadata.token_endpoint_auth_method.uses_secret() {
            if let Some(secret) = secret {
                body.insert("client_secret".into(), secret.expose().into());
            }
            // The secret does not expire (RFC 7591 §3.2.1: 0 means never).
            body.insert("client_secret_expires_at".into(), 0.into());
        }
        body.insert(
            "registration_access_token".into(),
            access_token.expose().into(),
        );
        body.insert(
            "registration_client_uri".into(),
            self.registration_client_uri(&client.client_id).into(),
        );
        body
    }
}

/// The presented token, if there is one and the client id could be ours.
fn bearer_token(client_id: &str, token: Option<&str>) -> Result<Secret, ApiError> {
    match token {
        Some(t) if token::is_client_id_shaped(client_id) => Ok(Secret::from_presented(t)),
        _ => Err(ApiError::InvalidToken),
    }
}
