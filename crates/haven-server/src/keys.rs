//! The live keyring and key rotation.
//!
//! Every instance holds the data keys in memory and re-reads them every few
//! seconds (and at once when it meets a ciphertext made with a key it does not
//! know), so `haven keys rotate` can add a key and re-encrypt while servers
//! keep serving. Rotation is resumable: each pass re-encrypts whatever is not
//! yet under the newest key, and a key is retired only when nothing uses it.

use haven_crypto::{Binding, CryptoError, Keyring, SecretKey, WrappedKey};
use haven_store::{DynStore, EncryptedColumn, StoredKey};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] haven_store::StoreError),
    #[error("{0}; is this the master key file that belongs to this database?")]
    Crypto(#[from] CryptoError),
    #[error("{0}")]
    Rotation(String),
}

/// The master key and the current keyring, shared by every request.
pub struct KeyringHandle {
    master: SecretKey,
    current: RwLock<Arc<Keyring>>,
}

impl std::fmt::Debug for KeyringHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringHandle").finish_non_exhaustive()
    }
}

async fn open(store: &DynStore, master: &SecretKey) -> Result<Keyring, KeyError> {
    let wrapped: Vec<WrappedKey> = store
        .data_keys()
        .await?
        .into_iter()
        .map(|k| WrappedKey {
            id: k.id,
            wrapped: k.wrapped,
        })
        .collect();
    Ok(Keyring::open(master, &wrapped)?)
}

impl KeyringHandle {
    /// Opens the keyring with `master`, creating the first data key when the
    /// database has none yet (the creation is audited).
    ///
    /// # Errors
    /// When a stored key does not unwrap with this master key (the wrong key
    /// file), or the database fails.
    pub async fn load(store: &DynStore, master: SecretKey) -> Result<Self, KeyError> {
        if store.data_keys().await?.is_empty() {
            match add_key(store, &master, 1, haven_domain::AuditAction::KeyCreated).await {
                // Another instance created it first: use theirs.
                Ok(()) | Err(KeyError::Store(haven_store::StoreError::Conflict { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        let keyring = open(store, &master).await?;
        Ok(Self {
            master,
            current: RwLock::new(Arc::new(keyring)),
        })
    }

    #[must_use]
    pub fn master(&self) -> &SecretKey {
        &self.master
    }

    /// The keyring as of the last reload.
    #[must_use]
    pub fn current(&self) -> Arc<Keyring> {
        self.current
            .read()
            .map_or_else(|p| p.into_inner().clone(), |k| k.clone())
    }

    /// Re-reads the data keys (a rotation may have added one).
    ///
    /// # Errors
    /// When the database fails or a key does not unwrap.
    pub async fn reload(&self, store: &DynStore) -> Result<(), KeyError> {
        let fresh = Arc::new(open(store, &self.master).await?);
        match self.current.write() {
            Ok(mut k) => *k = fresh,
            Err(p) => *p.into_inner() = fresh,
        }
        Ok(())
    }

    /// Encrypts with the active key.
    ///
    /// # Errors
    /// When there is no key.
    pub fn encrypt(&self, plain: &[u8], at: Binding<'_>) -> Result<Vec<u8>, CryptoError> {
        self.current().encrypt(plain, at)
    }

    /// Decrypts; a ciphertext under a key this instance has not seen yet
    /// triggers one reload.
    ///
    /// # Errors
    /// When the value does not decrypt even after a reload.
    pub async fn decrypt(
        &self,
        store: &DynStore,
        envelope: &[u8],
        at: Binding<'_>,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match self.current().decrypt(envelope, at) {
            Err(CryptoError::UnknownKey(_)) => {
                self.reload(store).await?;
                Ok(self.current().decrypt(envelope, at)?)
            }
            other => Ok(other?),
        }
    }
}

async fn add_key(
    store: &DynStore,
    master: &SecretKey,
    id: u32,
    action: haven_domain::AuditAction,
) -> Result<(), KeyError> {
    let wrapped = Keyring::wrap_new_key(master, id);
    let key = StoredKey {
        id,
        wrapped: wrapped.wrapped,
        created_at: haven_domain::now(),
        retired_at: None,
    };
    let audit = haven_domain::AuditEntry::new(action).on("data_key", id);
    store.add_data_key(&key, &audit).await?;
    Ok(())
}

/// What a rotation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub new_key: Option<u32>,
    pub active_key: u32,
    pub reencrypted: u64,
    pub retired: Vec<u32>,
}

/// Rotates data keys: optionally adds a new key, waits `settle` for running
/// instances to pick it up, re-encrypts every stored value not under the
/// newest key in batches of `batch`, then retires keys nothing uses.
///
/// # Errors
/// When the database fails or a value cannot be decrypted.
pub async fn rotate(
    store: &DynStore,
    keys: &KeyringHandle,
    add: bool,
    settle: Duration,
    batch: u32,
) -> Result<RotationReport, KeyError> {
    let mut report = RotationReport::default();
    if add {
        let next = store
            .data_keys()
            .await?
            .iter()
            .map(|k| k.id)
            .max()
            .unwrap_or(0)
            + 1;
        add_key(
            store,
            &keys.master,
            next,
            haven_domain::AuditAction::KeyRotated,
        )
        .await?;
        report.new_key = Some(next);
    }
    keys.reload(store).await?;
    let active = keys
        .current()
        .active_key_id()
        .ok_or(KeyError::Crypto(CryptoError::NoActiveKey))?;
    report.active_key = active;
    // Servers re-read keys every few seconds; until they have, they may still
    // write under the old key. Waiting first keeps the final pass final.
    tokio::time::sleep(settle).await;

    for column in EncryptedColumn::ALL {
        let (table, col) = column.binding();
        loop {
            let stale = store.ciphertexts_not_under(column, active, batch).await?;
            if stale.is_empty() {
                break;
            }
            let mut progressed = 0u64;
            for c in &stale {
                let at = Binding {
                    table,
                    column: col,
                    row: &c.row,
                };
                let plain = keys.decrypt(store, &c.bytes, at).await?;
                let fresh = keys.encrypt(&plain, at)?;
                if store
                    .replace_ciphertext(column, &c.row, &c.bytes, &fresh)
                    .await?
                {
                    progressed += 1;
                }
            }
            report.reencrypted += progressed;
            if progressed == 0 {
                return Err(KeyError::Rotation(format!(
                    "{table}.{col}: {} values changed during every attempt; run `haven keys rotate --resume` again",
                    stale.len()
                )));
            }
        }
    }

    for key in store.data_keys().await? {
        if key.id == active || key.retired_at.is_some() {
            continue;
        }
        let mut used = 0;
        for column in EncryptedColumn::ALL {
            used += store.count_ciphertexts_under(column, key.id).await?;
        }
        if used == 0 {
            store.retire_data_key(key.id, haven_domain::now()).await?;
            report.retired.push(key.id);
        }
    }
    Ok(report)
}

/// Seals the release purposes an older Haven stored in plaintext
/// (`consents.legacy_purpose`, migration 16) and empties the plaintext.
/// Runs at every start; after the first it finds nothing. Returns how many
/// it sealed.
///
/// # Errors
/// When the database fails or nothing can be encrypted.
pub async fn seal_legacy_consent_purposes(
    store: &DynStore,
    keys: &KeyringHandle,
) -> Result<u64, KeyError> {
    let mut sealed = 0u64;
    loop {
        let batch = store.legacy_consent_purposes(500).await?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        for (id, text) in batch {
            let row = id.to_string();
            let bytes = keys.encrypt(
                text.as_bytes(),
                Binding {
                    table: "consents",
                    column: "purpose",
                    row: &row,
                },
            )?;
            store.seal_consent_purpose(id, &bytes).await?;
            sealed += 1;
        }
    }
}
