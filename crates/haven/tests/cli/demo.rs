//! `haven demo` and `haven generate`: made-up accounts and data, never over
//! real data.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

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
