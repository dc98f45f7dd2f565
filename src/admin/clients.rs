//! Admin client operations: search, read, status, delete, update, and credentials issued anew
//! (secret rotation, registration access token re-issue).

use super::*;
use crate::token::TokenHash;

impl<S: ClientStore> Registrar<'_, S> {
    pub async fn admin_list_clients(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let status =
            match q.text("status") {
                None => None,
                Some(s) => Some(ClientStatus::parse(&s).ok_or_else(|| {
                    ApiError::InvalidRequest("status: active or suspended".into())
                })?),
            };
        let filter = ClientFilter {
            q: q.text("q"),
            client_id_prefix: q.text("client_id_prefix"),
            redirect_host: q.text("redirect_host"),
            software_id: q.text("software_id"),
            status,
            created_after: q.int("created_after")?,
            created_before: q.int("created_before")?,
            // The admin sees everyone's clients; "My clients" sets it (the owner's session).
            owner: None,
        };
        self.client_page(&filter, q).await
    }

    /// One page of the clients `filter` passes, newest first, at the query's `limit` and
    /// `cursor`: the admin list and "My clients".
    pub(super) async fn client_page(
        &self,
        filter: &ClientFilter,
        q: &Query,
    ) -> Result<Map<String, Value>, ApiError> {
        let limit = q.limit()?;
        let items = self
            .store
            .list_clients(filter, &q.after()?, limit + 1)
            .await?;
        Ok(page("clients", items, limit, client_summary, |c| {
            cursor(c.client_id_issued_at, &c.client_id)
        }))
    }

    async fn existing(&self, client_id: &str) -> Result<StoredClient, ApiError> {
        self.store
            .find(client_id)
            .await?
            .ok_or(ApiError::NotFound("no client with this client_id"))
    }

    pub async fn admin_get_client(&self, client_id: &str) -> Result<Value, ApiError> {
        Ok(client_summary(&self.existing(client_id).await?))
    }

    pub(super) async fn change(
        &self,
        client_id: &str,
        change: AdminChange,
        event: AuditKind,
        actor: &str,
    ) -> Result<(), ApiError> {
        let events = [self.event(event, Some(client_id), actor)];
        if self
            .store
            .admin_change(client_id, &change, self.now, &events)
            .await?
        {
            Ok(())
        } else {
            Err(ApiError::NotFound("no client with this client_id"))
        }
    }

    pub async fn admin_set_status(
        &self,
        client_id: &str,
        status: ClientStatus,
    ) -> Result<Value, ApiError> {
        let event = match status {
            ClientStatus::Suspended => AuditKind::ClientSuspended,
            ClientStatus::Active => AuditKind::ClientReactivated,
        };
        self.change(
            client_id,
            AdminChange::Status(status),
            event,
            self.admin_actor(),
        )
        .await?;
        self.admin_get_client(client_id).await
    }

    pub async fn admin_delete_client(&self, client_id: &str) -> Result<(), ApiError> {
        self.delete_as(client_id, self.admin_actor()).await
    }

    /// Deletes a client for the admin or its owner (`actor` in the audit log).
    pub(super) async fn delete_as(&self, client_id: &str, actor: &str) -> Result<(), ApiError> {
        let events = [self.event(AuditKind::ClientDeleted, Some(client_id), actor)];
        if self.store.delete(client_id, None, &events).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound("no client with this client_id"))
        }
    }

    /// Replaces a client's metadata (`PUT /admin/clients/{id}`): the RFC rules and the admin
    /// class policy, not the client's own class nor the RFC 7592 echo rules. The client keeps its
    /// class, status, secret and registration access token; a move to a secret-based method
    /// without a secret issues one, returned once as `client_secret`.
    pub async fn admin_update_client(
        &self,
        client_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        self.update_as(client_id, body, None).await
    }

    /// [`Self::admin_update_client`], or with `owner` (the owner's hash and audit actor) the
    /// owner's update: the client's own class policy and the rule of an RFC 7592 update (it may
    /// add only what anonymous registration may have), and only while the client is theirs.
    pub(super) async fn update_as(
        &self,
        client_id: &str,
        body: &[u8],
        owner: Option<(&TokenHash, &str)>,
    ) -> Result<Value, ApiError> {
        // The client, if the caller may update it (`owned::theirs` for an owner).
        let read = || async {
            match (self.store.find(client_id).await?, owner) {
                (Some(c), None) => Ok(c),
                (None, None) => Err(ApiError::NotFound("no client with this client_id")),
                (found, Some((o, _))) => super::owned::theirs(found, o, true),
            }
        };
        let mut current = read().await?;
        let request = parse_object(body)?;
        let base = if owner.is_some() {
            "/dashboard"
        } else {
            "/admin"
        };
        if let Some(member) = SERVER_ONLY_MEMBERS
            .iter()
            .chain(&["client_secret"])
            .find(|m| request.get(**m).is_some_and(|v| !v.is_null()))
        {
            return Err(ApiError::InvalidRequest(format!(
                "{member}: set by the server, not in an admin update (a new client secret: \
                 POST {base}/clients/{{id}}/client-secret)"
            )));
        }
        match request.get("client_id") {
            None | Some(Value::Null) => {}
            Some(Value::String(id)) if id == client_id => {}
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "client_id: does not match the client being updated".into(),
                ))
            }
        }
        let actor = owner.map_or(self.admin_actor(), |(_, a)| a);
        // Compare-and-set as an RFC 7592 update; a concurrent change (the client updating
        // itself, another admin call) is read again and the metadata applied over it.
        for _ in 0..ADMIN_UPDATE_ATTEMPTS {
            let metadata = match owner {
                None => self.validate(&request, &CallerClass::Admin, None)?,
                Some(_) => self.validate(
                    &request,
                    &CallerClass::from_stored(&current.policy_class),
                    Some(&current.metadata),
                )?,
            };
            let secret = self.secret_after_update(&metadata, &current)?;
            let fresh = secret.fresh;
            let updated = StoredClient {
                metadata,
                client_secret_hash: secret.hash,
                projected_secret: secret.projected,
                updated_at: self.now,
                ..current.clone()
            };
            let events = [self.event(AuditKind::ClientUpdated, Some(client_id), actor)];
            if self.store.replace(&updated, &current, &events).await? {
                let mut out = client_summary(&updated);
                if let Some(secret) = fresh {
                    out["client_secret"] = secret.expose().into();
                    out["client_secret_expires_at"] = 0.into();
                }
                return Ok(out);
            }
            current = read().await?;
        }
        Err(ApiError::Internal(format!(
            "update of {client_id}: the client changed during {ADMIN_UPDATE_ATTEMPTS} attempts"
        )))
    }

    /// A new client secret, returned once; the old one stops working.
    pub async fn admin_rotate_secret(&self, client_id: &str) -> Result<Value, ApiError> {
        let client = self.existing(client_id).await?;
        self.rotate_secret(&client, self.admin_actor()).await
    }

    /// [`Self::admin_rotate_secret`] of a client already read, by `actor`.
    pub(super) async fn rotate_secret(
        &self,
        client: &StoredClient,
        actor: &str,
    ) -> Result<Value, ApiError> {
        let client_id = client.client_id.as_str();
        if !client.metadata.token_endpoint_auth_method.uses_secret() {
            return Err(ApiError::InvalidRequest(format!(
                "this client authenticates with {}, which uses no client secret",
                client.metadata.token_endpoint_auth_method
            )));
        }
        let secret = Secret::generate()?;
        let hash = self
            .config
            .hash_key
            .hash(Purpose::ClientSecret, client_id, &secret);
        let projected = self.projected_secret(Some(&secret));
        self.change(
            client_id,
            AdminChange::SecretHash { hash, projected },
            AuditKind::ClientSecretRotated,
            actor,
        )
        .await?;
        Ok(json!({
            "client_id": client_id,
            "client_secret": secret.expose(),
            "client_secret_expires_at": 0,
        }))
    }

    /// A new registration access token (lost-token recovery), returned once.
    pub async fn admin_reissue_token(&self, client_id: &str) -> Result<Value, ApiError> {
        self.reissue_token(client_id, self.admin_actor()).await
    }

    /// [`Self::admin_reissue_token`] by `actor`.
    pub(super) async fn reissue_token(
        &self,
        client_id: &str,
        actor: &str,
    ) -> Result<Value, ApiError> {
        let token = Secret::generate()?;
        let hash = self
            .config
            .hash_key
            .hash(Purpose::RegistrationAccessToken, client_id, &token);
        self.change(
            client_id,
            AdminChange::TokenHash(hash),
            AuditKind::RegistrationTokenReissued,
            actor,
        )
        .await?;
        Ok(json!({
            "client_id": client_id,
            "registration_access_token": token.expose(),
            "registration_client_uri": self.registration_client_uri(client_id),
        }))
    }
}
