//! Admin initial access tokens (mint, list, revoke) and the audit log query.

use super::*;

impl<S: ClientStore> Registrar<'_, S> {
    pub async fn admin_mint_iat(&self, body: &[u8]) -> Result<Value, ApiError> {
        let req = parse_object(body)?;
        let label = match req.get("label") {
            Some(Value::String(l)) if !l.trim().is_empty() && l.chars().count() <= 200 => l.clone(),
            _ => {
                return Err(ApiError::InvalidRequest(
                    "label: a non-empty string of at most 200 characters".into(),
                ))
            }
        };
        let number = |name: &str, default: i64, max: i64| match req.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_i64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ApiError::InvalidRequest(format!("{name}: an integer from 1 to {max}"))
            }),
        };
        let expires_in = number("expires_in", DEFAULT_IAT_LIFETIME, MAX_IAT_LIFETIME)?;
        let max_uses = number("max_uses", 1, MAX_IAT_USES)?;
        let profile = match req.get("profile") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if is_profile_name(p) && self.config.policy.has_profile(p) => {
                Some(p.clone())
            }
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "profile: must name a profile of REGISTRATION_POLICY".into(),
                ))
            }
        };
        let id = token::random_id()?;
        let value = Secret::generate()?;
        let iat = InitialAccessToken {
            token_hash: self
                .config
                .hash_key
                .hash(Purpose::InitialAccessToken, "", &value),
            id: id.clone(),
            label,
            profile,
            created_at: self.now,
            expires_at: self.now + expires_in,
            max_uses,
            uses: 0,
            revoked_at: None,
        };
        let event = self
            .event(AuditKind::IatMinted, None, self.admin_actor())
            .with_detail(json!({ "iat_id": id }));
        self.store.insert_iat(&iat, &[event]).await?;
        let mut out = iat_json(&iat, self.now, &self.config.policy);
        out["token"] = value.expose().into();
        Ok(out)
    }

    pub async fn admin_list_iats(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let limit = q.limit()?;
        let items = self.store.list_iats(&q.after()?, limit + 1).await?;
        Ok(page(
            "initial_access_tokens",
            items,
            limit,
            |t| iat_json(t, self.now, &self.config.policy),
            |t| cursor(t.created_at, &t.id),
        ))
    }

    pub async fn admin_revoke_iat(&self, id: &str) -> Result<(), ApiError> {
        let event = self
            .event(AuditKind::IatRevoked, None, self.admin_actor())
            .with_detail(json!({ "iat_id": id }));
        if self.store.revoke_iat(id, self.now, &[event]).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound(
                "no active initial access token with this id",
            ))
        }
    }

    pub async fn admin_audit(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let filter = AuditFilter {
            client_id: q.text("client_id"),
            event: q.text("event"),
            actor: q.text("actor"),
            since: q.int("since")?,
            until: q.int("until")?,
        };
        let limit = q.limit()?;
        let before = q.after()?.map(|(id, _)| id);
        let items = self.store.list_audit(&filter, before, limit + 1).await?;
        Ok(page("events", items, limit, audit_json, |e| {
            cursor(e.id, "")
        }))
    }
}
