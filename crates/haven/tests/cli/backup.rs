//! `haven backup` and `haven restore` on SQLite.

use crate::support::*;

#[test]
fn backup_and_restore_round_trip_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let org = run(haven()
        .args(["add-org", "Backed Up Org", "--kind", "ngo"])
        .arg("--data-dir")
        .arg(&live));
    assert!(org.status.success(), "{}", stderr(&org));

    // Back up while a server is running.
    let addr = free_addr();
    let server = Server::start(serve_cmd(&live, addr, None), addr);
    let copy = dir.path().join("copy.db");
    let out = run(haven()
        .arg("backup")
        .arg(&copy)
        .arg("--data-dir")
        .arg(&live));
    assert!(out.status.success(), "{}", stderr(&out));

    // Restoring over a running server is refused.
    let out = run(haven()
        .arg("restore")
        .arg(&copy)
        .arg("--yes")
        .arg("--data-dir")
        .arg(&live));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("another Haven server"),
        "{}",
        stderr(&out)
    );
    drop(server);

    // Restore into a fresh directory and find the organization there.
    let restored = dir.path().join("restored");
    let out = run(haven()
        .arg("restore")
        .arg(&copy)
        .arg("--data-dir")
        .arg(&restored));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(haven()
        .arg("restore")
        .arg(&copy)
        .arg("--data-dir")
        .arg(&restored));
    assert!(stderr(&out).contains("--yes"), "no silent overwrite");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let names = rt.block_on(async {
        let target = haven_store::DatabaseTarget::parse(None, &restored).unwrap();
        let store = haven_store::open(&target, &Default::default())
            .await
            .unwrap();
        store
            .list_organizations()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect::<Vec<_>>()
    });
    assert_eq!(names, vec!["Backed Up Org".to_owned()]);

    // Junk is not restored.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, not even close to one").unwrap();
    let out = run(haven()
        .arg("restore")
        .arg(&junk)
        .arg("--yes")
        .arg("--data-dir")
        .arg(&restored));
    assert!(!out.status.success());

    // PostgreSQL is backed up with its own tools.
    let out = run(haven().args([
        "backup",
        "/tmp/x.db",
        "--database-url",
        "postgres://u@127.0.0.1:1/d",
    ]));
    assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
}
