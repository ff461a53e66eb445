//! Help and configuration: every command documented, bad settings named
//! with their source, secrets read from files.

use crate::support::*;

#[test]
fn help_documents_every_command() {
    let out = run(haven().arg("--help"));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve",
        "demo",
        "migrate",
        "backup",
        "restore",
        "add-org",
        "add-user",
        "outbox",
        "--config",
        "--data-dir",
        "--database-url",
    ] {
        assert!(text.contains(cmd), "--help mentions {cmd}");
    }
    let out = run(haven().args(["serve", "--help"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--metrics-listen"));
}

#[test]
fn an_unknown_database_scheme_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(haven().current_dir(dir.path()).args([
        "migrate",
        "--database-url",
        "mysql://db/haven",
    ]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown database URL scheme \"mysql\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no SQLite file appeared"
    );
}

#[test]
fn an_unusable_data_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = run(haven()
        .arg("migrate")
        .arg("--data-dir")
        .arg(file.join("data")));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("cannot create the data directory") && err.contains("a-file"),
        "{err}"
    );
}

#[test]
fn an_unreachable_postgres_is_a_clear_error() {
    let out = run(haven().args([
        "migrate",
        "--database-url",
        "postgres://haven:topsecret@127.0.0.1:1/haven",
    ]));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://127.0.0.1:1/haven"),
        "{err}"
    );
    assert!(!err.contains("topsecret"), "passwords never printed: {err}");
}

#[test]
fn bad_configuration_names_the_key_and_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haven.toml");

    std::fs::write(&cfg, "listen = \"not an address\"\n").unwrap();
    let err = stderr(&run(haven().arg("--config").arg(&cfg).arg("migrate")));
    assert!(
        err.contains("listen in") && err.contains("haven.toml"),
        "{err}"
    );

    std::fs::write(&cfg, "[session]\nidle_timeout_minutes = \"soon\"\n").unwrap();
    let err = stderr(&run(haven().arg("--config").arg(&cfg).arg("migrate")));
    assert!(
        err.contains("haven.toml") && err.contains("idle_timeout_minutes"),
        "{err}"
    );

    std::fs::write(&cfg, "colour = \"blue\"\n").unwrap();
    let err = stderr(&run(haven().arg("--config").arg(&cfg).arg("migrate")));
    assert!(
        err.contains("haven.toml") && err.contains("colour"),
        "unknown keys are refused: {err}"
    );

    // ./haven.toml is read when no file is named.
    let err = stderr(&run(haven().arg("migrate").current_dir(dir.path())));
    assert!(
        err.contains("haven.toml") && err.contains("colour"),
        "{err}"
    );
    std::fs::remove_file(&cfg).unwrap();

    let err = stderr(&run(haven()
        .env("HAVEN_SESSION_IDLE_TIMEOUT_MINUTES", "abc")
        .arg("migrate")
        .current_dir(dir.path())));
    assert!(
        err.contains("environment variable HAVEN_SESSION_IDLE_TIMEOUT_MINUTES"),
        "{err}"
    );

    let err = stderr(&run(haven()
        .env("HAVEN_DATABASE_SQLITE_READERS", "0")
        .arg("migrate")
        .current_dir(dir.path())));
    assert!(
        err.contains("HAVEN_DATABASE_SQLITE_READERS") && err.contains("out of range (1 to 64)"),
        "{err}"
    );
    std::fs::write(&cfg, "[database]\nsqlite_readers = 2\n").unwrap();
    let out = run(haven()
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(&cfg).unwrap();

    let err = stderr(&run(haven()
        .env("HAVEN_LOG_FORMAT", "xml")
        .arg("migrate")
        .current_dir(dir.path())));
    assert!(
        err.contains("HAVEN_LOG_FORMAT") && err.contains("text or json"),
        "{err}"
    );

    let err = stderr(&run(haven()
        .arg("--config")
        .arg(dir.path().join("missing.toml"))
        .arg("migrate")));
    assert!(
        err.contains("cannot read the configuration file") && err.contains("missing.toml"),
        "{err}"
    );
}

#[test]
fn secrets_are_read_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("db-url");
    std::fs::write(
        &secret,
        "postgres://haven:filesecret@127.0.0.1:1/fromfile\n",
    )
    .unwrap();
    let out = run(haven()
        .env("HAVEN_DATABASE_URL_FILE", &secret)
        .arg("migrate"));
    let err = stderr(&out);
    assert!(
        err.contains("127.0.0.1:1/fromfile"),
        "the URL came from the file: {err}"
    );
    assert!(!err.contains("filesecret"));

    let cfg = dir.path().join("haven.toml");
    std::fs::write(
        &cfg,
        format!(
            "database_url_file = {:?}\n",
            dir.path().join("nope").display().to_string()
        ),
    )
    .unwrap();
    let err = stderr(&run(haven().arg("--config").arg(&cfg).arg("migrate")));
    assert!(
        err.contains("database_url_file in") && err.contains("cannot read"),
        "{err}"
    );
}
