//! `haven directory import` with a county 211's HSDS 1.x datapackage as it
//! is published (a zip, every quirk of a real export: see
//! crates/haven-domain/tests/fixtures/hsds1-county/EXPECTED.md), on both
//! databases, and a dry run that touches nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn haven(dir: &Path, url: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_haven"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HAVEN_") && k != "HAVEN_TEST_POSTGRES_URL" {
            c.env_remove(k);
        }
    }
    c.arg("--data-dir").arg(dir);
    if let Some(u) = url {
        c.arg("--database-url").arg(u);
    }
    c.stdin(Stdio::null());
    c
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../haven-domain/tests/fixtures")
        .join(name)
}

fn imports_the_published_zip(url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let o = haven(dir.path(), url)
        .args(["directory", "import"])
        .arg(fixture("hsds1-county.zip"))
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("imported 25 organizations, 35 locations, 42 services; 3 rows rejected"),
        "{text}"
    );
    // The summary groups by reason, names the publisher's own files, and
    // the whole list is in the report file.
    assert!(text.contains("services.csv row 44"), "{text}");
    assert!(text.contains("no status: imported as active"), "{text}");
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(full["rejected"].as_array().unwrap().len(), 3);
    assert!(full["warnings"].as_array().unwrap().len() >= 30);
    // The folder as published reads the same.
    let o = haven(dir.path(), url)
        .args(["directory", "import"])
        .arg(fixture("hsds1-county"))
        .output()
        .unwrap();
    assert!(
        out(&o).contains("imported 25 organizations, 35 locations, 42 services; 3 rows rejected"),
        "{}",
        out(&o)
    );
    // Exported, every web address has its scheme (HSDS `uri`).
    let o = haven(dir.path(), url)
        .args(["directory", "export"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let export = String::from_utf8_lossy(&o.stdout);
    assert!(export.contains("https://www.newriverfoodbank.org"));
    assert!(
        !export.contains("\"www."),
        "a URL without a scheme was exported"
    );
}

#[test]
fn a_published_211_zip_imports_on_sqlite() {
    imports_the_published_zip(None);
}

#[test]
fn a_published_211_zip_imports_on_postgres() {
    let url = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(haven_store::testing::fresh_postgres_database());
    imports_the_published_zip(Some(&url));
}

/// `--dry-run` on a machine with no database yet writes nothing at all:
/// no database, no key file.
#[test]
fn a_dry_run_creates_no_database_and_no_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = haven(dir.path(), None)
        .args(["directory", "import", "--dry-run"])
        .arg(fixture("hsds1-county.zip"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("would import 25 organizations, 35 locations, 42 services"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A folder with nothing HSDS in it is an error, not "imported 0".
#[test]
fn nothing_recognizable_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("readme.txt"), "not a directory").unwrap();
    let o = haven(dir.path(), None)
        .args(["directory", "import", "--dry-run"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(out(&o).contains("Nothing to import"), "{}", out(&o));
}
