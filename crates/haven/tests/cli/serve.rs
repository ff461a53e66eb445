//! `haven serve`: both databases, graceful shutdown, one server per SQLite
//! directory, the metrics listener and the outbox.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

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
