//! An in-memory store for host tests, with the same compare-and-set semantics as D1.

use super::{ClientStore, StoredClient};
use crate::error::ApiError;
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct MemoryStore {
    clients: RefCell<HashMap<String, StoredClient>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything stored, for tests that look for leaked secrets.
    pub fn dump(&self) -> Vec<StoredClient> {
        self.clients.borrow().values().cloned().collect()
    }
}

impl ClientStore for MemoryStore {
    async fn insert(&self, client: &StoredClient) -> Result<(), ApiError> {
        let mut clients = self.clients.borrow_mut();
        if clients.contains_key(&client.client_id) {
            return Err(ApiError::Internal("client_id collision".into()));
        }
        clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, ApiError> {
        Ok(self.clients.borrow().get(client_id).cloned())
    }

    async fn replace(
        &self,
        client: &StoredClient,
        expected_token_hash: &str,
    ) -> Result<bool, ApiError> {
        let mut clients = self.clients.borrow_mut();
        match clients.get_mut(&client.client_id) {
            Some(current) if current.registration_token_hash == expected_token_hash => {
                *current = client.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, client_id: &str, expected_token_hash: &str) -> Result<bool, ApiError> {
        let mut clients = self.clients.borrow_mut();
        match clients.get(client_id) {
            Some(current) if current.registration_token_hash == expected_token_hash => {
                clients.remove(client_id);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
