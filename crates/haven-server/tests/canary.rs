//! The canary test: personal data written through the web pages appears in
//! plaintext nowhere: not in the SQLite file, not in a PostgreSQL dump, not in
//! the logs. Its own test binary, so that it owns the process's log
//! subscriber from the first line logged.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing;
use http_body_util::BodyExt;
use tower::ServiceExt;

const LOGIN: &str = "canary.tester@example.test";
const PASSWORD: &str = "correct horse battery";

async fn body(res: axum::response::Response) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn form(path: &str, body: String, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A log sink for the canary test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pg_dump_binary() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return std::path::Path::new(&dir).join("pg_dump");
    }
    for dir in std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL client tools are installed")
        .flatten()
    {
        let p = dir.path().join("bin/pg_dump");
        if p.exists() {
            return p;
        }
    }
    panic!("pg_dump not found: the test command installs PostgreSQL");
}

#[tokio::test]
async fn canary_personal_data_is_nowhere_in_plaintext_database_dump_or_logs() {
    const CANARY_NAME: &str = "Zyxwvut Quokkabelle";
    const CANARY_DOB: &str = "1987-06-05";
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber in this test binary");
    for db in testing::both().await {
        let org = Organization {
            id: OrganizationId::new(),
            name: "Canary NGO".into(),
            kind: OrgKind::Ngo,
            created_at: haven_domain::now(),
        };
        db.store
            .create_organization(&org, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        let user = User {
            id: UserId::new(),
            organization_id: org.id,
            login: LoginName::parse(LOGIN).unwrap(),
            display_name: "Canary Tester".into(),
            roles: vec![Role::VictimSpecialist],
            password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
            disabled: false,
            created_at: haven_domain::now(),
        };
        db.store
            .create_user(&user, &AuditEntry::new(AuditAction::UserCreated))
            .await
            .unwrap();
        let keys = KeyringHandle::load(&db.store, haven_crypto::SecretKey::generate())
            .await
            .unwrap();
        let settings = Settings {
            require_mfa: false,
            ..Settings::default()
        };
        let router = haven_server::router(AppState::new(
            db.store.clone(),
            settings,
            HashCost::TEST,
            keys,
        ));
        let send = |req| router.clone().oneshot(req);

        let res = send(form(
            "/sign-in",
            format!("login={}&password={}", enc(LOGIN), enc(PASSWORD)),
            None,
        ))
        .await
        .unwrap();
        let cookie = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let home = body(send(get("/", &cookie)).await.unwrap()).await;
        let marker = "name=\"csrf\" value=\"";
        let at = home.find(marker).unwrap() + marker.len();
        let csrf = home[at..].split('"').next().unwrap().to_owned();
        let res = send(form(
            "/cases",
            format!("csrf={csrf}&name={}&dob={CANARY_DOB}", enc(CANARY_NAME)),
            Some(&cookie),
        ))
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", db.name);
        let case_url = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let page = body(send(get(&case_url, &cookie)).await.unwrap()).await;
        assert!(
            page.contains(CANARY_NAME),
            "{}: the data is really there",
            db.name
        );
        let app = &db;
        let needles: [&[u8]; 3] = [b"Zyxwvut", b"Quokkabelle", b"1987-06-05"];
        let dump: Vec<u8> = match &app.target {
            haven_store::DatabaseTarget::Sqlite { path } => {
                let mut all = std::fs::read(path).unwrap();
                for side in ["-wal", "-shm"] {
                    if let Ok(b) = std::fs::read(format!("{}{side}", path.display())) {
                        all.extend(b);
                    }
                }
                all
            }
            haven_store::DatabaseTarget::Postgres { url } => {
                let out = std::process::Command::new(pg_dump_binary())
                    .arg("--dbname")
                    .arg(url)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "pg_dump: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout.len() > 1000);
                out.stdout
            }
        };
        // A positive control: plain, non-personal text is found, so the
        // search would find the canary if it were there.
        assert!(
            dump.windows(10).any(|w| w == b"Canary NGO"),
            "{}: the dump was searched",
            app.name
        );
        for n in needles {
            assert!(
                !dump.windows(n.len()).any(|w| w == n),
                "{}: {} in the database in plaintext",
                app.name,
                String::from_utf8_lossy(n)
            );
        }
    }
    let logged = logs.0.lock().unwrap().clone();
    assert!(logged.len() > 1000, "the logs were captured");
    assert!(
        String::from_utf8_lossy(&logged).contains("route=/cases"),
        "requests were logged"
    );
    for n in ["Zyxwvut", "Quokkabelle", "1987-06-05", "sam.tester"] {
        assert!(
            !String::from_utf8_lossy(&logged).contains(n),
            "{n} in the logs"
        );
    }
}
