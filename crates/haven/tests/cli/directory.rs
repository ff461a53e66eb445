//! `haven directory import` and `export` on both databases.

use crate::support::*;
use std::path::Path;

/// `haven directory import` and `export` on both databases: every shared
/// HSDS fixture imports without a rejection, a bad file is reported row by
/// row with nothing of its records written, and the export imports again
/// into an empty directory with the same records.
#[test]
fn directory_import_and_export_round_trip_on_both_databases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let examples = root.join("data/hsds/spec-3.0/examples");
    let fixtures = [
        examples.join("organization_full.json"),
        examples.join("service_full.json"),
        examples.join("service_at_location_list.json"),
        examples.join("csv"),
        root.join("data/hsds/sample-1.1/all_resources"),
    ];
    let (pg1, pg2) = (postgres_url(), postgres_url());
    for (first, second) in [(None, None), (Some(pg1.as_str()), Some(pg2.as_str()))] {
        let (dir1, dir2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let cmd = |dir: &Path, url: Option<&str>| {
            let mut c = haven();
            c.arg("--data-dir").arg(dir);
            if let Some(u) = url {
                c.arg("--database-url").arg(u);
            }
            c
        };
        for f in &fixtures {
            let out = run(cmd(dir1.path(), first)
                .arg("directory")
                .arg("import")
                .arg(f));
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(out.status.success(), "{text}{}", stderr(&out));
            assert!(
                text.lines().next().unwrap().contains("; 0 rows rejected"),
                "{}: {text}",
                f.display()
            );
        }
        // A bad tabular package: a phone's extension that is not a number.
        let bad = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(examples.join("csv")).unwrap() {
            let e = e.unwrap();
            let mut text = std::fs::read_to_string(e.path()).unwrap();
            if e.file_name() == "phones.csv" {
                text = text.replace(",100,voice,", ",one hundred,voice,");
            }
            std::fs::write(bad.path().join(e.file_name()), text).unwrap();
        }
        let out = run(cmd(dir2.path(), second)
            .args(["directory", "import", "--dry-run"])
            .arg(bad.path()));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("phones.csv row 2 (id 1554f2e2-a373-45db-a3fa-9fc48a61c15e): extension: \"one hundred\" is not a number"), "{text}");
        assert!(
            text.contains("because phones.csv row 2 was rejected"),
            "{text}"
        );
        assert!(text.starts_with("would import"), "{text}");

        let export = dir1.path().join("export.json");
        let out = run(cmd(dir1.path(), first)
            .args(["directory", "export", "--out"])
            .arg(&export));
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(cmd(dir2.path(), second)
            .args(["directory", "import"])
            .arg(&export));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.lines().next().unwrap().contains("; 0 rows rejected"),
            "{text}"
        );
        let again = dir2.path().join("again.json");
        let out = run(cmd(dir2.path(), second)
            .args(["directory", "export", "--out"])
            .arg(&again));
        assert!(out.status.success());
        let read = |p: &Path| {
            let mut v: Vec<serde_json::Value> =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v.sort_by_key(|x| x["id"].as_str().unwrap().to_owned());
            v
        };
        let (a, b) = (read(&export), read(&again));
        assert!(a.len() >= 25, "{}", a.len());
        assert_eq!(
            a,
            b,
            "the export round-trips ({})",
            first.map_or("sqlite", |_| "postgres")
        );
    }
}
