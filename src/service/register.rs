//! RFC 7591 §3.1: who is registering (mode, initial access token), registration itself, and the
//! metadata check behind `POST /metadata/validate`.

use super::*;

impl<S: ClientStore> Registrar<'_, S> {
    /// Decides who is registering, by mode and bearer token (docs/protected-registration.md).
    /// A refusal comes with the audit actor: `anonymous`, or `iat:<id>` for a usable token whose
    /// profile is no longer configured.
    pub async fn registrant(&self, bearer: Option<&str>) -> Result<Registrant, (ApiError, String)> {
        let anonymous = |e: ApiError| (e, "anonymous".to_string());
        if self.is_admin(bearer) {
            return Ok(Registrant {
                class: CallerClass::Admin,
                actor: "admin".into(),
                owner: None,
            });
        }
        if self.config.registration_mode == RegistrationMode::Disabled {
            return Err(anonymous(ApiError::AccessDenied(
                "registration is disabled on this server".into(),
            )));
        }
        let Some(presented) = bearer else {
            return match self.config.registration_mode {
                RegistrationMode::Open => Ok(Registrant {
                    class: CallerClass::Anonymous,
                    actor: "anonymous".into(),
                    owner: None,
                }),
                RegistrationMode::SignedIn => Err(anonymous(ApiError::InvalidBearer(
                    "sign in to the dashboard to register on this server, or send an initial access token",
                ))),
                _ => Err(anonymous(ApiError::InvalidBearer(
                    "an initial access token is required to register on this server",
                ))),
            };
        };
        let hash = self.config.hash_key.hash(
            Purpose::InitialAccessToken,
            "",
            &Secret::from_presented(presented),
        );
        let found = self
            .store
            .find_iat_by_hash(&hash)
            .await
            .map_err(|e| anonymous(e.into()))?;
        match found {
            // Minted for a profile the operator has since removed: its class is gone, and its
            // holder must not register under other rules than the ones it was minted for.
            Some(t)
                if t.usable_at(self.now)
                    && self.config.policy.is_removed_profile(t.profile.as_deref()) =>
            {
                Err((
                    ApiError::InvalidBearer(IAT_PROFILE_REMOVED),
                    format!("iat:{}", t.id),
                ))
            }
            Some(t) if t.usable_at(self.now) => Ok(Registrant {
                class: CallerClass::Profile(
                    t.profile.clone().unwrap_or_else(|| DEFAULT_PROFILE.into()),
                ),
                actor: format!("iat:{}", t.id),
                owner: None,
            }),
            _ => Err(anonymous(ApiError::InvalidBearer(INVALID_IAT))),
        }
    }

    /// RFC 7591 §3.1 for a caller: refusals are written to the audit log.
    pub async fn register(
        &self,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        let (actor, result) = match self.registrant(bearer).await {
            Ok(who) => (who.actor.clone(), self.register_as(&who, body).await),
            Err((e, actor)) => (actor, Err(e)),
        };
        self.audit_refusal(&result, &actor).await;
        result
    }

    /// A refused registration's audit event (not for our own faults).
    async fn audit_refusal(&self, result: &Result<Map<String, Value>, ApiError>, actor: &str) {
        if let Err(e) = result {
            self.audit_refusal_of(e, actor).await;
        }
    }

    /// [`Self::audit_refusal`] of the error `e`.
    pub(crate) async fn audit_refusal_of(&self, e: &ApiError, actor: &str) {
        if matches!(e, ApiError::Internal(_)) {
            return;
        }
        let event = self
            .event(AuditKind::RegistrationRefused, None, actor)
            .with_detail(json!({ "error": e.code(), "error_description": e.description() }));
        // The refusal stands even if it cannot be logged; the log failure is not the caller's
        // fault, so it is not reported to them.
        let _ = self.store.append_audit(&[event]).await;
    }

    /// [`Self::register_as`] for a registrant decided elsewhere (a signed-in person), with its
    /// refusals in the audit log as [`Self::register`] writes them.
    pub(crate) async fn register_with(
        &self,
        who: &Registrant,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        let result = self.register_as(who, body).await;
        self.audit_refusal(&result, &who.actor).await;
        result
    }

    /// RFC 7591 §3.1: validate, apply the caller's policy, issue credentials, store, and answer
    /// with everything registered.
    async fn register_as(
        &self,
        who: &Registrant,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        let request = parse_object(body)?;
        let metadata = self.validate(&request, &who.class, None)?;
        let token::NewCredentials {
            client_id,
            secret,
            access_token,
        } = token::new_credentials(metadata.token_endpoint_auth_method.uses_secret())?;
        let key = &self.config.hash_key;
        let client = StoredClient {
            client_secret_hash: secret
                .as_ref()
                .map(|s| key.hash(Purpose::ClientSecret, &client_id, s)),
            projected_secret: self.projected_secret(secret.as_ref()),
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                &client_id,
                &access_token,
            ),
            client_id,
            metadata,
            client_id_issued_at: self.now,
            updated_at: self.now,
            status: ClientStatus::Active,
            registered_by: who.actor.clone(),
            policy_class: who.class.as_stored(),
            version: 0,
            last_read_at: None,
            last_used_at: None,
            owner: who.owner.clone(),
        };
        let mut events = vec![self.event(
            AuditKind::ClientRegistered,
            Some(&client.client_id),
            &who.actor,
        )];
        if who.actor.starts_with("iat:") {
            events.push(self.event(AuditKind::IatUsed, Some(&client.client_id), &who.actor));
        }
        let max_clients = self.config.policy.class(&who.class).max_clients;
        self.store.insert(&client, max_clients, &events).await?;
        Ok(self.information(&client, secret.as_ref(), &access_token))
    }

    /// The RFC rules, then the policy of the caller's class; for a client updating itself
    /// (`current`: what it has now) also the rule that it may add only what anonymous
    /// registration may have ([`crate::policy::Policy::apply_update`]).
    pub(crate) fn validate(
        &self,
        request: &Map<String, Value>,
        class: &CallerClass,
        current: Option<&ClientMetadata>,
    ) -> Result<ClientMetadata, ApiError> {
        let mut metadata = ClientMetadata::from_request(request, self.config)?;
        let scope_requested = request.get("scope").is_some_and(|v| !v.is_null());
        let (policy, default_scope) = (&self.config.policy, &self.config.default_scope);
        match current {
            None => policy.apply(class, &mut metadata, scope_requested, default_scope)?,
            Some(current) => policy.apply_update(
                class,
                &mut metadata,
                current,
                scope_requested,
                default_scope,
            )?,
        }
        Ok(metadata)
    }

    /// `POST /metadata/validate`: every error of `request` under the anonymous policy, found by
    /// validating, setting aside the member (or array item) an error names, and validating again
    /// until it passes or nothing more can be set aside; with `cimd`, the rules of a client ID
    /// metadata document too (`url`: where it was fetched, which its `client_id` must equal).
    /// Returns the errors, and the metadata registration would store (of the request with the
    /// faulty members set aside) with its warnings.
    #[inline(never)]
    pub fn check(
        &self,
        request: &Map<String, Value>,
        cimd: bool,
        url: Option<&str>,
    ) -> (Vec<FieldError>, Option<(ClientMetadata, Vec<FieldError>)>) {
        const REDIRECT: &str = "redirect_uris";
        let mut errors = if cimd {
            cimd::check_document(url, request)
        } else {
            Vec::new()
        };
        // A member the document rules already faulted is not reported twice.
        let document_errors = errors.len();
        let mut work = request.clone();
        // The array items set aside so far, by member and original index.
        let mut removed: Vec<(String, usize)> = Vec::new();
        let mut placeholder = false;
        for _ in 0..100 {
            let e = match self.validate(&work, &CallerClass::Anonymous, None) {
                Ok(m) => {
                    let w = warnings::warnings(&work, &m);
                    return (errors, Some((m, w)));
                }
                Err(e) => e,
            };
            let detail = e.detail();
            let named = e.member().unwrap_or("");
            let split = named
                .bytes()
                .position(|b| b == b'[' || b == b'.')
                .unwrap_or(named.len());
            let base = &named[..split];
            // `member[i]` exactly: that item is set aside, and named by its original index.
            let item = named[split..]
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .filter(|_| work.get(base).is_some_and(Value::is_array));
            if base == REDIRECT && placeholder {
                break;
            }
            let mut member = named.to_string();
            if let Some(i) = item {
                // The original index of the i-th item left: i plus the items set aside before it.
                let mut original = i;
                loop {
                    let before = removed
                        .iter()
                        .filter(|(m, r)| m == base && *r <= original)
                        .count();
                    if i + before == original {
                        break;
                    }
                    original = i + before;
                }
                removed.push((base.to_string(), original));
                member = format!("{base}[{original}]");
            }
            // An error about redirect URIs that were all set aside follows from those errors.
            let present = work.get(base).is_some_and(|v| !v.is_null());
            let emptied =
                base == REDIRECT && !present && request.get(base).is_some_and(|v| !v.is_null());
            let error = FieldError {
                member,
                error: e.code(),
                description: detail,
            };
            let repeated = errors[..document_errors]
                .iter()
                .any(|d| d.member == error.member);
            if !emptied && !repeated {
                errors.push(error);
            }
            // Set aside by `null`, which means absent (no map removal compiled in for this).
            let stand_in = match (item, work.get_mut(base)) {
                (Some(i), Some(Value::Array(items))) if i < items.len() => {
                    items.remove(i);
                    if !items.is_empty() {
                        continue;
                    }
                    Value::Null
                }
                _ if present => Value::Null,
                // Required and absent: a stand-in lets the other members be checked.
                _ if base == REDIRECT => {
                    placeholder = true;
                    Value::Array(vec!["https://placeholder.invalid/cb".into()])
                }
                _ => break,
            };
            work.insert(base.into(), stand_in);
        }
        (errors, None)
    }
}
