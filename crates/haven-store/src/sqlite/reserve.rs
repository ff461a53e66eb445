//! Room kept for the audit log when the disk fills.
//!
//! Every read is audited before its data leaves, so a full disk would stop
//! reads too. The store keeps a reserve file (`haven.reserve`) of a few
//! megabytes beside the database. When a write fails for want of space, the
//! reserve is deleted and data writes are refused at once ("disk full", 503)
//! while audit entries, which are small, go on into the space it freed: people
//! can still read while an administrator frees space. Every few seconds a
//! refused write tries to make the reserve again; once that succeeds, space
//! is back and writes resume by themselves, without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often a refused write checks whether space came back.
const RETRY: Duration = Duration::from_secs(3);

pub(crate) struct Reserve {
    path: PathBuf,
    bytes: u64,
    full: AtomicBool,
    last_try: Mutex<Option<Instant>>,
}

impl Reserve {
    /// The reserve beside `db`, made now if there is room (a full disk at
    /// start-up is found by the first write).
    pub(crate) fn new(db: &Path, bytes: u64) -> Self {
        let r = Self {
            path: db.with_file_name("haven.reserve"),
            bytes,
            full: AtomicBool::new(false),
            last_try: Mutex::new(None),
        };
        if bytes > 0 && r.make().is_err() {
            let _ = std::fs::remove_file(&r.path);
            r.full.store(true, Ordering::Release);
        }
        r
    }

    /// Writes the reserve in full (real blocks, not a sparse file), durably.
    fn make(&self) -> std::io::Result<()> {
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == self.bytes) {
            return Ok(());
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&self.path)?;
        let block = vec![0u8; 1 << 20];
        let mut left = self.bytes;
        while left > 0 {
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            f.write_all(&block[..n])?;
            left -= n as u64;
        }
        f.sync_all()
    }

    /// A write failed for want of space: give the reserve to the audit log
    /// and refuse data writes from now on.
    pub(crate) fn on_full(&self) {
        if !self.full.swap(true, Ordering::AcqRel) {
            let _ = std::fs::remove_file(&self.path);
            *self.lock() = Some(Instant::now());
            tracing::error!(
                reserve = %self.path.display(),
                "the disk is full: data writes are refused until space is freed; reads and their audit go on"
            );
        }
    }

    /// Whether data writes are refused now. While they are, every few
    /// seconds one caller tries to make the reserve again; success means
    /// space is back.
    pub(crate) fn refuses(&self) -> bool {
        if !self.full.load(Ordering::Acquire) {
            return false;
        }
        let due = {
            let mut last = self.lock();
            let due = last.is_none_or(|t| t.elapsed() >= RETRY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due && (self.bytes == 0 || self.make().is_ok()) {
            self.full.store(false, Ordering::Release);
            tracing::warn!("space is back: writes resume");
            return false;
        }
        if due {
            let _ = std::fs::remove_file(&self.path);
        }
        true
    }

    /// A write failed for a reason SQLite may not have named (a failed
    /// COMMIT): checks whether the disk has room for a small file.
    pub(crate) fn probe(&self) {
        if self.full.load(Ordering::Acquire) {
            return;
        }
        let probe = self.path.with_file_name(".haven-space-probe");
        let wrote = (|| {
            let mut f = std::fs::File::create(&probe)?;
            f.write_all(&[0u8; 64 * 1024])?;
            f.sync_all()
        })();
        let _ = std::fs::remove_file(&probe);
        if let Err(e) = wrote
            && (e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28))
        {
            self.on_full();
        }
    }

    /// Whether the disk is known to be full (for readiness).
    pub(crate) fn is_full(&self) -> bool {
        self.full.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.last_try
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
