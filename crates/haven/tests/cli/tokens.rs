//! `haven token create`: API tokens for integrations.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

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
