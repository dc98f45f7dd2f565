//! RFC 7592 §2: read, update and delete a registration with its registration access token, and
//! the client information response they answer with.

use super::*;

impl<S: ClientStore> Registrar<'_, S> {
    /// RFC 7592 §2.1. The read is recorded at most once per client per
    /// [`crate::store::READ_EVENT_INTERVAL`]: a client polling its registration must not add a
    /// row to the audit log per request.
    pub async fn read<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        limits: &L,
    ) -> Result<Map<String, Value>, ApiError> {
        let (client, token) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        if client.read_due(self.now) {
            let event = self.event(AuditKind::ClientRead, Some(client_id), "client");
            self.store.record_read(client_id, self.now, &event).await?;
        }
        Ok(self.information(&client, None, &token))
    }

    /// RFC 7592 §2.2: the body replaces the registration. The write is conditional on the
    /// presented token still being current, so of two concurrent updates exactly one wins.
    /// `body` may already be refused (size, media type); that error is reported only after
    /// authentication, so strangers learn nothing from it.
    pub async fn update<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        body: Result<&[u8], ApiError>,
        limits: &L,
    ) -> Result<Map<String, Value>, ApiError> {
        let (current, presented) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        if current.status == ClientStatus::Suspended {
            return Err(ApiError::AccessDenied(
                "this client is suspended; its registration cannot be changed".into(),
            ));
        }
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
                    .as_ref()
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

        let class = CallerClass::from_stored(&current.policy_class);
        let metadata = self.validate(&request, &class, Some(&current.metadata))?;

        let secret = self.secret_after_update(&metadata, &current)?;
        let secret_to_return = secret.fresh.or(presented_secret);
        let next_token = if self.config.rotate_registration_token {
            Secret::generate()?
        } else {
            presented.clone()
        };
        let updated = StoredClient {
            client_id: client_id.to_string(),
            metadata,
            client_secret_hash: secret.hash,
            projected_secret: secret.projected,
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                client_id,
                &next_token,
            ),
            client_id_issued_at: current.client_id_issued_at,
            updated_at: self.now,
            ..current.clone()
        };
        let events = [self.event(AuditKind::ClientUpdated, Some(client_id), "client")];
        if !self.store.replace(&updated, &current, &events).await? {
            // Another update rotated the token, or a delete removed the client, meanwhile.
            return Err(ApiError::InvalidToken);
        }
        Ok(self.information(&updated, secret_to_return.as_ref(), &next_token))
    }

    /// The client secret hash (and its projected form) after an update to `metadata`, and a
    /// new secret to return once: a client that moves to a secret-based method without having
    /// a secret gets a new one; one that keeps a secret keeps it; one that leaves secret-based
    /// methods loses it.
    pub(crate) fn secret_after_update(
        &self,
        metadata: &ClientMetadata,
        current: &StoredClient,
    ) -> Result<SecretAfterUpdate, ApiError> {
        let uses_secret = metadata.token_endpoint_auth_method.uses_secret();
        Ok(match (uses_secret, &current.client_secret_hash) {
            (false, _) => SecretAfterUpdate::default(),
            (true, Some(hash)) => SecretAfterUpdate {
                hash: Some(hash.clone()),
                projected: current.projected_secret.clone(),
                fresh: None,
            },
            (true, None) => {
                let fresh = Secret::generate()?;
                let key = &self.config.hash_key;
                SecretAfterUpdate {
                    hash: Some(key.hash(Purpose::ClientSecret, &current.client_id, &fresh)),
                    projected: self.projected_secret(Some(&fresh)),
                    fresh: Some(fresh),
                }
            }
        })
    }

    /// The secret in the form the configured projection needs, kept beside its keyed hash;
    /// nothing without a projection (SECURITY.md: what it changes at rest).
    pub(crate) fn projected_secret(&self, secret: Option<&Secret>) -> Option<String> {
        if !crate::projection::PROJECTION_BUILT {
            return None;
        }
        self.config
            .projection
            .and(secret)
            .map(crate::projection::secret_digest)
    }

    /// RFC 7592 §2.3: authenticate (so the client's own bucket counts only its holder's
    /// requests), then one delete conditional on the token; a wrong token and an unknown client
    /// look alike.
    pub async fn delete<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        limits: &L,
    ) -> Result<(), ApiError> {
        let (client, _) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        let hash = client.registration_token_hash;
        let events = [self.event(AuditKind::ClientDeleted, Some(client_id), "client")];
        if self.store.delete(client_id, Some(&hash), &events).await? {
            Ok(())
        } else {
            Err(ApiError::InvalidToken)
        }
    }

    /// The client and the presented token, when it is the client's registration access token
    /// (RFC 7592 §2); a claim by a signed-in person checks it the same way.
    pub(crate) async fn authenticate(
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
}

/// The presented token, if there is one and the client id could be ours.
fn bearer_token(client_id: &str, token: Option<&str>) -> Result<Secret, ApiError> {
    match token {
        Some(t) if token::is_client_id_shaped(client_id) => Ok(Secret::from_presented(t)),
        _ => Err(ApiError::InvalidToken),
    }
}
