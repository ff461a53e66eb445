//! The database files' permissions on disk.

/// Finding 10: the database files were world-readable (0644).
#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("haven-data");
    let target = haven_store::DatabaseTarget::parse(None, &data).unwrap();
    let store = haven_store::open(&target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    let db = data.join(haven_store::SQLITE_FILE_NAME);
    for p in [
        db.clone(),
        data.join("haven.db-wal"),
        data.join("haven.db-shm"),
    ] {
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    let backup = dir.path().join("backup.db");
    store.backup_to(&backup).await.unwrap();
    assert_eq!(mode(&backup), 0o600, "the backup");
    store.close().await;
    // A database an older Haven left readable is restricted at the next open.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = haven_store::open(&target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data), 0o700);
    store.close().await;
}
