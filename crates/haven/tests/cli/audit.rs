//! `haven audit verify` and `haven audit seal`: the chain and its
//! checkpoint.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;

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
