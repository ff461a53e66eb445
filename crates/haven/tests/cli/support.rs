//! What the binary's tests share: running `haven`, a server started and
//! stopped, and a minimal HTTP client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn haven() -> Command {
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

pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run haven")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A minimal HTTP/1.1 GET, enough for health checks.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
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

pub struct Server {
    child: Child,
}

impl Server {
    pub fn start(mut cmd: Command, addr: SocketAddr) -> Self {
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
    pub fn terminate(mut self) -> (bool, String, String) {
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

pub trait WaitTimeout {
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

pub fn serve_cmd(data_dir: &Path, addr: SocketAddr, db_url: Option<&str>) -> Command {
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

pub fn postgres_url() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(haven_store::testing::fresh_postgres_database())
}
