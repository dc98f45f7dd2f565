//! A signed-in person's own clients (docs/dashboard-sign-in.md): register one owned by them, list
//! and read theirs, update, delete, rotate the secret or re-issue the registration access token
//! without the token, and claim an anonymous client with its token. The same operations as the
//! admin's, on the clients whose `owner` is theirs only, with the person as the audit actor.
//! The session, its CSRF token and the origin are checked in [`crate::http`].

use super::*;
use crate::service::Registrant;
use crate::token::TokenHash;

/// The answer for a client that is not the person's: the same as for a client that does not
/// exist, so nobody learns which client ids are taken.
pub const NOT_YOURS: &str = "no client of yours with this client_id";

/// The policy class of clients registered by signed-in people: a `REGISTRATION_POLICY` profile
/// of this name gives them their own rules; without one they get the `anonymous` rules.
pub const SIGNED_IN_PROFILE: &str = "signed_in";

/// A signed-in person as the operations see them.
pub struct Person {
    /// [`crate::signin::session::Session::owner`].
    pub owner: TokenHash,
    /// `person:<sub>`, the audit actor and `registered_by`.
    pub actor: String,
}

impl Person {
    pub fn actor_for(sub: &str) -> String {
        format!("person:{sub}")
    }
}

/// `found` if it is `owner`'s client; with `active`, also not suspended: an owner may read or
/// delete a client an admin suspended, not change it (as RFC 7592 updates of it are refused).
pub(super) fn theirs(
    found: Option<StoredClient>,
    owner: &TokenHash,
    active: bool,
) -> Result<StoredClient, ApiError> {
    match found {
        Some(c) if c.owner.as_ref() == Some(owner) => {
            if active && c.status == ClientStatus::Suspended {
                return Err(ApiError::AccessDenied(
                    "this client is suspended; its registration cannot be changed".into(),
                ));
            }
            Ok(c)
        }
        _ => Err(ApiError::NotFound(NOT_YOURS)),
    }
}

impl<S: ClientStore> Registrar<'_, S> {
    /// Registers a client owned by `who`, under the `signed_in` profile (RFC 7591 rules, its
    /// policy, its quota).
    pub async fn register_owned(
        &self,
        who: &Person,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        // Signed-in registration is what modes `open` and `signed_in` allow; `token` asks for an
        // initial access token of everyone, and `disabled` registers nobody.
        use crate::config::RegistrationMode as Mode;
        let refusal = match self.config.registration_mode {
            Mode::Open | Mode::SignedIn => None,
            Mode::Token => Some("this server registers clients with an initial access token only"),
            Mode::Disabled => Some("registration is disabled on this server"),
        };
        if let Some(why) = refusal {
            let e = ApiError::AccessDenied(why.into());
            self.audit_refusal_of(&e, &who.actor).await;
            return Err(e);
        }
        let registrant = Registrant {
            class: CallerClass::Profile(SIGNED_IN_PROFILE.into()),
            actor: who.actor.clone(),
            owner: Some(who.owner.clone()),
        };
        self.register_with(&registrant, body).await
    }

    async fn owned(&self, who: &Person, client_id: &str) -> Result<StoredClient, ApiError> {
        theirs(self.store.find(client_id).await?, &who.owner, false)
    }

    async fn owned_active(&self, who: &Person, client_id: &str) -> Result<StoredClient, ApiError> {
        theirs(self.store.find(client_id).await?, &who.owner, true)
    }

    /// "My clients": theirs, newest first, with the admin list's paging and its `q` search.
    pub async fn owned_clients(
        &self,
        who: &Person,
        q: &Query,
    ) -> Result<Map<String, Value>, ApiError> {
        let filter = ClientFilter {
            q: q.text("q"),
            owner: Some(who.owner.clone()),
            ..ClientFilter::default()
        };
        self.client_page(&filter, q).await
    }

    pub async fn owned_client(&self, who: &Person, client_id: &str) -> Result<Value, ApiError> {
        Ok(client_summary(&self.owned(who, client_id).await?))
    }

    pub async fn update_owned(
        &self,
        who: &Person,
        client_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        self.update_as(client_id, body, Some((&who.owner, &who.actor)))
            .await
    }

    pub async fn delete_owned(&self, who: &Person, client_id: &str) -> Result<(), ApiError> {
        self.owned(who, client_id).await?;
        self.delete_as(client_id, &who.actor).await
    }

    pub async fn rotate_owned(&self, who: &Person, client_id: &str) -> Result<Value, ApiError> {
        let client = self.owned_active(who, client_id).await?;
        self.rotate_secret(&client, &who.actor).await
    }

    /// A new registration access token for the owner who lost theirs, returned once.
    pub async fn reissue_owned(&self, who: &Person, client_id: &str) -> Result<Value, ApiError> {
        self.owned_active(who, client_id).await?;
        self.reissue_token(client_id, &who.actor).await
    }

    /// Makes `who` the owner of a client nobody owns, proven by its registration access token
    /// (checked as RFC 7592 checks it: a wrong token and an unknown client look alike). A
    /// client someone else owns is refused; claiming one's own again changes nothing.
    pub async fn claim(
        &self,
        who: &Person,
        client_id: &str,
        token: Option<&str>,
    ) -> Result<Value, ApiError> {
        let (client, _) = self.authenticate(client_id, token).await?;
        match &client.owner {
            Some(o) if o == &who.owner => {}
            Some(_) => {
                return Err(ApiError::AccessDenied(
                    "this client is already owned by someone else".into(),
                ))
            }
            None => {
                self.change(
                    client_id,
                    AdminChange::Owner(who.owner.clone()),
                    AuditKind::ClientClaimed,
                    &who.actor,
                )
                .await?
            }
        }
        self.owned_client(who, client_id).await
    }
}
