//! Black-box tests of the `haven` binary: configuration errors, serving on
//! both databases, graceful shutdown, demo, backup and restore.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn haven() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_haven"));
    // Tests must not pick up a developer's configuration.
    for (k, _) in std::env::vars() {
        if k.starts_with("HAVEN_") && k != "HAVEN_TEST_POSTGRES_URL" {
            c.env_remove(k);
        }
    }
    c.env("HAVEN_LOG_LEVEL", "info");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run haven")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A minimal HTTP/1.1 GET, enough for health checks.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split(' ').nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

struct Server {
    child: Child,
}

impl Server {
    fn start(mut cmd: Command, addr: SocketAddr) -> Self {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn haven");
        let mut server = Self { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((200, _)) = http_get(addr, "/readyz") {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut err = String::new();
                server
                    .child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("haven exited early ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "haven did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and returns (exit success, stdout, stderr).
    fn terminate(mut self) -> (bool, String, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let out = self.child.wait_with_output_timeout();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

trait WaitTimeout {
    fn wait_with_output_timeout(&mut self) -> Output;
}

impl WaitTimeout for Child {
    fn wait_with_output_timeout(&mut self) -> Output {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.kill();
                panic!("haven did not stop within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        self.stdout.take().map(|mut s| s.read_to_end(&mut stdout));
        self.stderr.take().map(|mut s| s.read_to_end(&mut stderr));
        Output {
            status: self.wait().unwrap(),
            stdout,
            stderr,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

fn serve_cmd(data_dir: &Path, addr: SocketAddr, db_url: Option<&str>) -> Command {
    let mut cmd = haven();
    cmd.arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(url) = db_url {
        cmd.arg("--database-url").arg(url);
    }
    cmd
}

fn postgres_url() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(haven_store::testing::fresh_postgres_database())
}

#[test]
fn serves_on_both_databases_and_stops_gracefully() {
    let pg = postgres_url();
    for url in [None, Some(pg.as_str())] {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let server = Server::start(serve_cmd(dir.path(), addr, url), addr);
        let (status, body) = http_get(addr, "/readyz").unwrap();
        assert_eq!(status, 200);
        assert!(
            body.contains(if url.is_some() { "postgres" } else { "sqlite" }),
            "{body}"
        );
        let (status, body) = http_get(addr, "/sign-in").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("Sign in to Haven"));
        if url.is_none() {
            assert!(
                dir.path().join("haven.db").exists(),
                "created in the data directory"
            );
        }
        let (ok, _out, err) = server.terminate();
        assert!(ok, "clean exit on SIGTERM: {err}");
        assert!(err.contains("shutdown requested"), "{err}");
        assert!(
            err.contains("request_id="),
            "requests are logged with ids: {err}"
        );
    }
}

/// A sign-in takes about 100 ms (Argon2id at production cost): long enough to
/// be in flight when SIGTERM arrives. It must still get its full answer.
#[test]
fn in_flight_requests_finish_after_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let server = Server::start(serve_cmd(dir.path(), addr, None), addr);
    let in_flight = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = "login=nobody%40example.test&password=whatever+it+is";
        write!(
            s,
            "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
        buf
    });
    std::thread::sleep(Duration::from_millis(30));
    let (ok, _, err) = server.terminate();
    let answer = in_flight.join().unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the in-flight sign-in was answered: {answer:.80}"
    );
    assert!(answer.contains("</html>"), "and answered in full");
    assert!(ok, "{err}");
    assert!(
        err.contains("route=/sign-in"),
        "the request was logged: {err}"
    );
    for secret in ["nobody", "whatever"] {
        assert!(
            !err.contains(secret),
            "logs hold no sign-in names or passwords: {err}"
        );
    }
}

#[test]
fn a_second_server_on_the_same_sqlite_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let _server = Server::start(serve_cmd(dir.path(), addr, None), addr);
    let out = run(&mut serve_cmd(dir.path(), free_addr(), None));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("another Haven server is using"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn metrics_are_served_on_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, metrics) = (free_addr(), free_addr());
    let mut cmd = serve_cmd(dir.path(), addr, None);
    cmd.arg("--metrics-listen").arg(metrics.to_string());
    let _server = Server::start(cmd, addr);
    http_get(addr, "/healthz").unwrap();
    let (status, body) = http_get(metrics, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("haven_http_requests_total"), "{body}");
    assert!(body.contains("route=\"/healthz\""));
    assert_eq!(
        http_get(addr, "/metrics").unwrap().0,
        404,
        "not on the public listener"
    );
}

#[test]
fn demo_prints_accounts_and_refuses_real_data() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut cmd = haven();
    cmd.args(["demo", "--listen", &addr.to_string()])
        .arg("--data-dir")
        .arg(dir.path().join("demo"));
    let server = Server::start(cmd, addr);
    let (_, page) = http_get(addr, "/sign-in").unwrap();
    assert!(page.contains("every person and case here is fictional"));
    let (ok, out, _) = server.terminate();
    assert!(ok);
    assert!(
        out.contains("specialist@demo.haven.test") && out.contains("haven-demo"),
        "{out}"
    );

    // A data directory with a real account is not turned into a demo.
    let real = dir.path().join("real");
    let org = run(haven()
        .args(["add-org", "Real Org", "--kind", "ngo"])
        .arg("--data-dir")
        .arg(&real));
    assert!(org.status.success(), "{}", stderr(&org));
    let org_id = String::from_utf8_lossy(&org.stdout).trim().to_owned();
    let mut add = haven()
        .args([
            "add-user",
            "real@example.test",
            "--name",
            "Real Person",
            "--org",
            &org_id,
            "--roles",
            "administrator",
        ])
        .arg("--data-dir")
        .arg(&real)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let out = run(haven()
        .args(["demo", "--listen", &free_addr().to_string()])
        .arg("--data-dir")
        .arg(&real));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not demo accounts"),
        "{}",
        stderr(&out)
    );
}

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

#[test]
fn the_master_key_is_created_once_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(haven().args(["keys", "init"]).arg("--data-dir").arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let key = data.join("master.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 44, "32 bytes of base64");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let again = run(haven().args(["keys", "init"]).arg("--data-dir").arg(&data));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("never replaces a master key"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    // Without its key file, a database with keys is not served.
    std::fs::rename(&key, dir.path().join("moved.key")).unwrap();
    let out = run(&mut serve_cmd(&data, free_addr(), None));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("master key file") && stderr(&out).contains("missing"),
        "{}",
        stderr(&out)
    );
    assert!(!key.exists(), "no new key was invented");

    // The wrong key file is refused too.
    std::fs::write(&key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    let out = run(&mut serve_cmd(&data, free_addr(), None));
    assert!(
        stderr(&out).contains("does not unwrap") || stderr(&out).contains("could not be unwrapped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn audit_verify_reports_intact_and_tampered_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let addr = free_addr();
    let server = Server::start(serve_cmd(&data, addr, None), addr);
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).unwrap();
        let body = "login=nobody%40example.test&password=x";
        write!(s, "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
    }
    let (ok, _, err) = server.terminate();
    assert!(ok, "{err}");

    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text} {}", stderr(&out));
    assert!(
        text.contains("checked 4 entries") && text.contains("intact; head is entry 4"),
        "key + 3 failures, sealed at shutdown: {text}"
    );

    let db = data.join("haven.db");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            sqlx::query("UPDATE audit_log SET action = 'sign_in.succeeded' WHERE chain_seq = 3")
                .execute(&mut c)
                .await
                .unwrap();
        });
    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("AUDIT LOG TAMPERED: entry 3") && text.contains("was edited"),
        "{text}"
    );
}

/// Issue 22, finding 3: the server leaves a keyed checkpoint of the chain's
/// head beside the master key; a removed tail is found against it, and
/// `haven audit seal` never chains removed-and-cleared entries again.
#[test]
fn audit_verify_and_seal_hold_the_chain_to_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let addr = free_addr();
    let server = Server::start(serve_cmd(&data, addr, None), addr);
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).unwrap();
        let body = "login=nobody%40example.test&password=x";
        write!(s, "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
    }
    let (ok, _, err) = server.terminate();
    assert!(ok, "{err}");
    let checkpoint = data.join("audit-checkpoint.json");
    let text = std::fs::read_to_string(&checkpoint).expect("a checkpoint beside the master key");
    assert!(text.contains("\"seq\":4"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&checkpoint).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only Haven's user reads it: {mode:o}");
    }
    let sql = |q: &str| {
        let db = data.join("haven.db");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                    .await
                    .unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(q.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap();
            });
    };
    // The tail removed: the chain still verifies on its own, not against
    // the checkpoint.
    sql("DELETE FROM audit_log WHERE chain_seq = 4");
    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("entries at the end were removed"), "{text}");
    // Entries removed and the rest cleared for the sealer: it refuses.
    sql(
        "DELETE FROM audit_log WHERE chain_seq = 2; UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, hash = NULL WHERE chain_seq > 2",
    );
    let out = run(haven().args(["audit", "seal"]).arg("--data-dir").arg(&data));
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr(&out).contains("tampered"), "{}", stderr(&out));
    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn keys_rotate_re_encrypts_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // The demo encrypts the certifier's TOTP secret and its fictional case:
    // the person's name and profile, the trafficking profile, the screening,
    // three needs, a plan item and the relief facts; and the full records of
    // the demo directory's two confidential shelters.
    let addr = free_addr();
    let mut cmd = haven();
    cmd.args(["demo", "--listen", &addr.to_string()])
        .arg("--data-dir")
        .arg(&data);
    let (ok, _, err) = Server::start(cmd, addr).terminate();
    assert!(ok, "{err}");

    let out = run(haven()
        .args(["keys", "rotate", "--settle-seconds", "0"])
        .arg("--data-dir")
        .arg(&data));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("added data key 2"), "{text}");
    assert!(
        // Three more than before issue 7: the demo's second person (name,
        // profile) and her case (profile).
        text.contains("re-encrypted 15 values under key 2"),
        "{text}"
    );
    assert!(text.contains("retired data key 1"), "{text}");

    let out = run(haven()
        .args(["keys", "rotate", "--resume", "--settle-seconds", "0"])
        .arg("--data-dir")
        .arg(&data));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("re-encrypted 0 values under key 2") && !text.contains("added"),
        "{text}"
    );

    // The rotation is in the audit log, and the log is intact.
    let out = run(haven().args(["audit", "seal"]).arg("--data-dir").arg(&data));
    assert!(out.status.success());
    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}

#[test]
fn generate_fills_an_empty_database_with_signed_in_benchmark_accounts_and_refuses_a_used_one() {
    let pg = postgres_url();
    for url in [None, Some(pg.as_str())] {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("manifest.json");
        let mut cmd = haven();
        cmd.arg("--data-dir").arg(dir.path());
        if let Some(u) = url {
            cmd.arg("--database-url").arg(u);
        }
        let args = [
            "generate",
            "--persons",
            "300",
            "--events-per-case",
            "3",
            "--sessions",
            "2",
            "--manifest",
        ];
        let out = run(cmd.args(args).arg(&manifest));
        assert!(out.status.success(), "{url:?}: {}", stderr(&out));
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("\"persons\": 300") && text.contains("\"events\": 900"),
            "{text}"
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&manifest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The sessions work: a specialist's caseload lists their cases.
        let session = text
            .split("\"session\": \"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let addr = free_addr();
        let server = Server::start(serve_cmd(dir.path(), addr, url), addr);
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "GET /cases HTTP/1.1\r\nHost: {addr}\r\nCookie: haven_session={session}\r\nConnection: close\r\n\r\n").unwrap();
        let mut page = String::new();
        s.read_to_string(&mut page).unwrap();
        assert!(
            page.starts_with("HTTP/1.1 200"),
            "{}",
            &page[..page.len().min(300)]
        );
        assert!(
            page.contains("Cases found: 100"),
            "{url:?}: 100 cases per specialist"
        );
        let _ = server.terminate();
        // A database with accounts is never filled.
        let mut again = haven();
        again.arg("--data-dir").arg(dir.path());
        if let Some(u) = url {
            again.arg("--database-url").arg(u);
        }
        let out = run(again.args(args).arg(dir.path().join("m2.json")));
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("needs an empty database"),
            "{}",
            stderr(&out)
        );
    }
}

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

#[test]
fn outbox_test_messages_are_sent_by_a_running_server_to_the_sink() {
    let pg = postgres_url();
    for url in [None, Some(pg.as_str())] {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("sink.ready");
        let mut sink = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/sinks/sink.py"
            ))
            .arg("--ready-file")
            .arg(&ready)
            .spawn()
            .expect("python3 runs the test sink");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the sink did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let ports = std::fs::read_to_string(&ready).unwrap();
        let (smtp, http) = ports.trim().split_once(' ').unwrap();
        let http: SocketAddr = format!("127.0.0.1:{http}").parse().unwrap();
        let outbox = |args: &[&str]| {
            let mut cmd = haven();
            cmd.arg("--data-dir").arg(dir.path());
            if let Some(u) = url {
                cmd.arg("--database-url").arg(u);
            }
            run(cmd.arg("outbox").args(args))
        };
        let out = outbox(&["status"]);
        assert!(out.status.success(), "{url:?}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("the outbox is empty"));
        let out = outbox(&["test", "--to", "not an address"]);
        assert!(!out.status.success(), "{url:?}");
        assert!(
            stderr(&out).contains("is not an email address"),
            "{}",
            stderr(&out)
        );
        let out = outbox(&["test", "--to", "ops@example.test", "--count", "3"]);
        assert!(out.status.success(), "{url:?}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("queued 3 test messages"));
        let status = String::from_utf8_lossy(&outbox(&["status"]).stdout).into_owned();
        assert!(
            status.contains("pending") && status.contains("3 messages"),
            "{status}"
        );

        let addr = free_addr();
        let mut cmd = serve_cmd(dir.path(), addr, url);
        cmd.env("HAVEN_SMTP_URL", format!("smtp://127.0.0.1:{smtp}"));
        let server = Server::start(cmd, addr);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, body) = http_get(http, "/count").unwrap();
            if body.contains("\"count\": 3") {
                break;
            }
            assert!(Instant::now() < deadline, "{url:?}: not sent: {body}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = server.terminate();
        let (_, got) = http_get(http, "/messages").unwrap();
        assert!(
            got.contains("ops@example.test") && got.contains("Haven delivery test 3 of 3"),
            "{got}"
        );
        let status = String::from_utf8_lossy(&outbox(&["status"]).stdout).into_owned();
        assert!(
            status.starts_with("sent")
                && status.contains("3 messages")
                && status.contains("3 attempts"),
            "{status}"
        );
        let _ = sink.kill();
        let _ = sink.wait();
    }
}

/// Issue 23: an operator makes an API token for an integration without a
/// browser; it works once the server runs, within its scopes, and bad input
/// is refused clearly.
#[test]
fn token_create_prints_a_working_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let org = run(haven()
        .args(["add-org", "Integration Org", "--kind", "ngo"])
        .arg("--data-dir")
        .arg(&data));
    assert!(org.status.success(), "{}", stderr(&org));
    let org_id = String::from_utf8_lossy(&org.stdout).trim().to_owned();
    let mut add = haven()
        .args([
            "add-user",
            "sync@example.test",
            "--name",
            "Sync Job",
            "--org",
            &org_id,
            "--roles",
            "administrator",
        ])
        .arg("--data-dir")
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    for (args, says) in [
        (
            vec!["--user", "nobody@example.test", "--scopes", "admin:read"],
            "no account",
        ),
        (
            vec![
                "--user",
                "sync@example.test",
                "--scopes",
                "admin:everything",
            ],
            "is not a scope",
        ),
        (
            vec![
                "--user",
                "sync@example.test",
                "--scopes",
                "admin:read",
                "--expires",
                "900",
            ],
            "between 1 and 366",
        ),
    ] {
        let out = run(haven()
            .args(["token", "create"])
            .args(&args)
            .arg("--data-dir")
            .arg(&data));
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let out = run(haven()
        .args([
            "token",
            "create",
            "--user",
            "sync@example.test",
            "--scopes",
            "admin:read",
            "--expires",
            "7",
        ])
        .arg("--data-dir")
        .arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(token.starts_with("hvn_") && token.len() > 40, "{token}");
    assert!(stderr(&out).contains("shown once"));

    let addr = free_addr();
    let server = Server::start(serve_cmd(&data, addr, None), addr);
    let call = |path: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
        buf
    };
    let users = call("/api/v1/users");
    assert!(
        users.starts_with("HTTP/1.1 200") && users.contains("sync@example.test"),
        "{users}"
    );
    let cases = call("/api/v1/cases");
    assert!(
        cases.ends_with("\"cases\":[]}"),
        "outside its scopes, no case: {cases}"
    );
    let (ok, _, err) = server.terminate();
    assert!(ok, "{err}");
    // Making it was audited.
    let db = data.join("haven.db");
    let made: i64 = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'api_token.created'")
                .fetch_one(&mut c)
                .await
                .unwrap()
        });
    assert_eq!(made, 1);
}
