//! The master key file: created once, read at every start, never in the
//! database. Losing it makes encrypted fields unreadable, so Haven refuses to
//! invent a new one for a database that already has keys.

use anyhow::{Context, Result, bail};
use haven_crypto::SecretKey;
use haven_server::KeyringHandle;
use haven_store::DynStore;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Reads the master key file.
pub fn read_master(path: &Path) -> Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the master key file {}", path.display()))?;
    SecretKey::from_base64(&text).with_context(|| format!("master key file {}", path.display()))
}

/// Writes a new master key file readable only by its owner. Never overwrites.
pub fn write_new_master(path: &Path) -> Result<SecretKey> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let key = SecretKey::generate();
    let mut f = std::fs::File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the master key file {}", path.display()))?;
    f.write_all(key.to_base64().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    Ok(key)
}

/// Loads the keys for a server. A brand-new installation (no key file, no
/// keys in the database) gets a new master key; anything else must match.
pub async fn load(path: &Path, store: &DynStore) -> Result<KeyringHandle> {
    let master = if path.exists() {
        read_master(path)?
    } else if store.data_keys().await?.is_empty() {
        let key = write_new_master(path)?;
        tracing::warn!(path = %path.display(), "created a new master key: back it up, apart from the database");
        key
    } else {
        bail!(
            "the database has encryption keys but the master key file {} is missing; \
             restore it from your backup (without it, encrypted data cannot be read)",
            path.display()
        );
    };
    Ok(KeyringHandle::load(store, master).await?)
}

/// `haven keys init`: creates the master key file and the first data key.
pub async fn init(path: &Path, store: &DynStore) -> Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; Haven never replaces a master key",
            path.display()
        );
    }
    if !store.data_keys().await?.is_empty() {
        bail!(
            "the database already has data keys, made with another master key; restore that key file instead"
        );
    }
    let master = write_new_master(path)?;
    KeyringHandle::load(store, master).await?;
    Ok(())
}
