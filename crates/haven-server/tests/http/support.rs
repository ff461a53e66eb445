//! What the HTTP tests share: an app on a test database, requests, sign-in
//! and the people, cases and organizations tests start from.
#![allow(dead_code)]

pub use haven_store::on_both;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing::{self, TestDb};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const LOGIN: &str = "sam.tester@example.test";
pub const PASSWORD: &str = "correct horse battery";

pub struct App {
    pub state: AppState,
    pub router: Router,
    pub db: TestDb,
    pub user: UserId,
    pub chain: haven_server::audit::AuditChain,
}

pub async fn app_on(db: TestDb, settings: Settings) -> App {
    let org = Organization {
        id: OrganizationId::new(),
        name: "Test Services".into(),
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
        display_name: "Sam Tester".into(),
        roles: vec![Role::VictimSpecialist],
        password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
        disabled: false,
        created_at: haven_domain::now(),
    };
    db.store
        .create_user(
            &user,
            &AuditEntry::new(AuditAction::UserCreated).on("user", user.id),
        )
        .await
        .unwrap();
    let keys = KeyringHandle::load(&db.store, haven_crypto::SecretKey::generate())
        .await
        .unwrap();
    let state = AppState::new(db.store.clone(), settings, HashCost::TEST, keys);
    let chain = state.audit.clone();
    App {
        router: haven_server::router(state.clone()),
        state,
        db,
        user: user.id,
        chain,
    }
}

pub async fn apps(settings: Settings) -> Vec<App> {
    let mut out = Vec::new();
    for db in testing::both().await {
        out.push(app_on(db, settings.clone()).await);
    }
    out
}

pub async fn send(app: &App, req: Request<Body>) -> Response<Body> {
    app.router.clone().oneshot(req).await.unwrap()
}

pub async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn post_form(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

/// Settings for tests about other things than the second factor.
pub fn no_mfa() -> Settings {
    Settings {
        require_mfa: false,
        ..Settings::default()
    }
}

pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs in and returns the `name=value` cookie pair.
pub async fn sign_in(app: &App) -> String {
    let res = send(
        app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    set.split(';').next().unwrap().to_owned()
}

pub fn csrf_from(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

pub fn sign_in_from(login: &str, password: &str, ip: [u8; 4]) -> Request<Body> {
    let mut req = post_form(
        "/sign-in",
        &form_encode(&[("login", login), ("password", password)]),
        None,
    );
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40000,
        ))));
    req
}

pub async fn sign_out(app: &App, cookie: &str) {
    let html = text(send(app, get("/", Some(cookie))).await).await;
    let res = send(
        app,
        post_form(
            "/sign-out",
            &form_encode(&[("csrf", &csrf_from(&html))]),
            Some(cookie),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Runs raw SQL against a test database, as an attacker with database access would.
pub async fn tamper(db: &TestDb, sql: &[&str]) {
    use sqlx::Connection;
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for q in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*q))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for q in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*q))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Every audit entry: the chain, then what is not chained yet (reads are
/// chained as they are written; actions' entries wait for the sealer).
pub trait AuditTrail {
    async fn audit_trail(&self) -> Vec<haven_store::AuditRow>;
}

impl AuditTrail for haven_store::DynStore {
    async fn audit_trail(&self) -> Vec<haven_store::AuditRow> {
        let mut rows = self.sealed_audit_after(0, 100_000).await.unwrap();
        rows.extend(self.unsealed_audit(100_000).await.unwrap());
        rows
    }
}

/// An app with a sealed audit chain of at least eight entries.
pub async fn audited_app(db: TestDb) -> App {
    let app = app_on(db, no_mfa()).await;
    for _ in 0..3 {
        let cookie = sign_in(&app).await;
        sign_out(&app, &cookie).await;
    }
    // Organization, user, its grant of a role that sees personal data, the
    // key, three sign-ins and sign-outs.
    let sealed = app.chain.seal_pending(&app.db.store, 4).await.unwrap();
    assert_eq!(sealed, 10, "{}: sealed in batches of 4", app.db.name);
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert_eq!(report.first_problem, None, "{}", app.db.name);
    assert_eq!(report.checked, 10);
    assert_eq!(report.unsealed, 0);
    assert_eq!(report.head.as_ref().map(|h| h.0), Some(10));
    app
}

pub fn cookie_of(res: &Response<Body>) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .expect("a cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

pub fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

pub fn secret_from(html: &str) -> Vec<u8> {
    let at = html
        .find("data-testid=\"totp-secret\">")
        .expect("secret shown")
        + "data-testid=\"totp-secret\">".len();
    let b32 = html[at..].split('<').next().unwrap();
    totp_secret(b32)
}

pub fn totp_secret(b32: &str) -> Vec<u8> {
    // RFC 4648 base32 without padding.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b32.trim().trim_end_matches('=').chars() {
        bits = (bits << 5) | alphabet.find(c).expect("base32") as u64;
        n += 5;
        if n >= 8 {
            out.push((bits >> (n - 8)) as u8);
            n -= 8;
        }
    }
    out
}

/// Enrols the test user through the pages; returns (full-session cookie,
/// secret, recovery codes, the time whose code confirmed enrolment).
pub async fn enrol(app: &App) -> (String, Vec<u8>, Vec<String>, u64) {
    let res = send(
        app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(
        location(&res),
        "/mfa/setup",
        "{}: a specialist must set up a second factor",
        app.db.name
    );
    let pending = cookie_of(&res);
    // Nothing else is reachable before that.
    assert_eq!(
        location(&send(app, get("/", Some(&pending))).await),
        "/mfa/setup"
    );

    let html = text(send(app, get("/mfa/setup", Some(&pending))).await).await;
    assert!(html.contains("<svg") && html.contains("QR code for your authenticator app"));
    let secret = secret_from(&html);
    let csrf = csrf_from(&html);
    let wrong = send(
        app,
        post_form(
            "/mfa/setup",
            &form_encode(&[("csrf", &csrf), ("code", "000000")]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let t = haven_server::features::account::mfa::now_unix();
    let code = haven_server::features::account::mfa::code_at(&secret, t).unwrap();
    let res = send(
        app,
        post_form(
            "/mfa/setup",
            &form_encode(&[("csrf", &csrf), ("code", &code)]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
    let full = cookie_of(&res);
    assert_ne!(
        full, pending,
        "the session token rotates after the second factor"
    );
    let html = text(res).await;
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        location(&send(app, get("/", Some(&pending))).await),
        "/sign-in",
        "the pre-factor token is dead"
    );
    assert_eq!(
        send(app, get("/", Some(&full))).await.status(),
        StatusCode::OK
    );
    (full, secret, codes, t)
}

/// Adds a user with `roles` in `org` and returns (id, signed-in cookie).
pub async fn person(
    app: &App,
    org: OrganizationId,
    login: &str,
    roles: &[Role],
) -> (UserId, String) {
    let u = User {
        id: UserId::new(),
        organization_id: org,
        login: LoginName::parse(login).unwrap(),
        display_name: format!("Person {login}"),
        roles: roles.to_vec(),
        password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
        disabled: false,
        created_at: haven_domain::now(),
    };
    app.db
        .store
        .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
        .await
        .unwrap();
    let res = send(
        app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", login), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(location(&res), "/", "{login}");
    (u.id, cookie_of(&res))
}

pub async fn csrf_of(app: &App, cookie: &str) -> String {
    csrf_from(&text(send(app, get("/", Some(cookie))).await).await)
}

pub fn api(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(json) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

pub async fn json(res: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(res).await).unwrap()
}

/// Makes a token through the account page and returns it.
pub async fn make_token(app: &App, cookie: &str, scopes: &[&str]) -> String {
    let csrf = csrf_of(app, cookie).await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("name", "Test integration"),
        ("days", "30"),
    ];
    for s in scopes {
        fields.push(("scopes", s));
    }
    let res = send(
        app,
        post_form("/account/tokens", &form_encode(&fields), Some(cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", app.db.name);
    let html = text(res).await;
    let at = html.find("data-testid=\"new-token\">").unwrap() + "data-testid=\"new-token\">".len();
    html[at..].split('<').next().unwrap().to_owned()
}

pub async fn register(
    app: &App,
    cookie: &str,
    name: &str,
    dob: &str,
    confirm: bool,
) -> Response<Body> {
    let csrf = csrf_of(app, cookie).await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("name", name),
        ("birth_date", dob),
        ("action", "register"),
    ];
    if confirm {
        fields.push(("confirm_duplicate", "1"));
    }
    send(
        app,
        post_form("/cases", &form_encode(&fields), Some(cookie)),
    )
    .await
}

// ---------------------------------------------------------------- case record (issue 4)

/// A read-write API token for a new person in `org` with `roles`.
pub async fn worker(
    app: &App,
    org: OrganizationId,
    login: &str,
    roles: &[Role],
) -> (UserId, String) {
    let (id, cookie) = person(app, org, login, roles).await;
    (
        id,
        make_token(app, &cookie, &["cases:read", "cases:write"]).await,
    )
}

pub async fn call(
    app: &App,
    method: &str,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res = send(app, api(method, path, Some(token), Some(body))).await;
    let status = res.status();
    let text = text(res).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

pub async fn app_org(app: &App) -> OrganizationId {
    app.db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id
}

// ---------------------------------------------------------------- relief (issue 5)

pub async fn law_enforcement_org(app: &App) -> OrganizationId {
    let o = Organization {
        id: OrganizationId::new(),
        name: format!("Task Force {}", OrganizationId::new()),
        kind: OrgKind::LawEnforcement,
        created_at: haven_domain::now(),
    };
    app.db
        .store
        .create_organization(&o, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    o.id
}

pub async fn add_to_team(app: &App, owner: &str, case: &str, user: UserId, role: &str) {
    let (s, b) = call(
        app,
        "POST",
        &format!("/api/v1/cases/{case}/team"),
        owner,
        serde_json::json!({"user_id": user.to_string(), "role": role, "remove": false}),
    )
    .await;
    assert!(s.is_success(), "{}: team {s} {b}", app.db.name);
}

pub fn outcome<'a>(evaluation: &'a serde_json::Value, pathway: &str) -> &'a serde_json::Value {
    evaluation["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["pathway"] == pathway)
        .unwrap_or_else(|| panic!("no {pathway} in {evaluation}"))
}

/// Signs in an existing person again (a fresh session cookie).
pub async fn person_cookie(app: &App, login: &str) -> String {
    let res = send(
        app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", login), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    cookie_of(&res)
}

// ---------------------------------------------------------------- directory and referrals (issue 6)

pub const HAVEN_SHELTER: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e06";
pub const HAVEN_SHELTER_ORG: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e01";

/// A Haven organization of `kind`.
pub async fn new_org(app: &App, name: &str, kind: haven_domain::OrgKind) -> OrganizationId {
    let o = haven_domain::Organization {
        id: OrganizationId::new(),
        name: name.into(),
        kind,
        created_at: haven_domain::now(),
    };
    app.db
        .store
        .create_organization(&o, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    o.id
}

/// The test shelter (confidential location in ZIP 10001, Spanish, housing,
/// 4 beds), answered in Haven by `provider` when given.
pub async fn seed_shelter(app: &App, provider: Option<OrganizationId>) {
    let batch = haven_domain::directory::import::from_json(include_str!(
        "../../../../tests/directory/haven-attributes.json"
    ))
    .unwrap();
    let report = haven_server::features::directory::import(&app.state, None, batch, false, None)
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    if let Some(p) = provider {
        assert!(
            app.db
                .store
                .link_directory_organization(
                    uuid::Uuid::parse_str(HAVEN_SHELTER_ORG).unwrap(),
                    Some(p),
                    &AuditEntry::new(AuditAction::DirectoryLinked)
                )
                .await
                .unwrap()
        );
    }
}

pub async fn text_contains(res: Response<Body>, needle: &str) -> bool {
    text(res).await.contains(needle)
}

/// A birth date `years` (and some weeks) ago, as YYYY-MM-DD: the age is
/// `years` whatever the local date.
pub fn born_years_ago(years: i32) -> String {
    let d = haven_domain::now().date() - time::Duration::days(40);
    d.replace_day(1)
        .unwrap()
        .replace_year(d.year() - years)
        .unwrap()
        .to_string()
}

/// A local time `days` days from now at `hour`:00, "YYYY-MM-DDTHH:MM".
pub fn local_in(days: i64, hour: u8) -> String {
    let d = haven_domain::now().date() + time::Duration::days(days);
    format!("{d}T{hour:02}:00")
}

pub fn interview_settings() -> Settings {
    Settings {
        require_mfa: false,
        recording_limit_bytes: 3 * 1024 * 1024,
        sms_inbound_token: Some(
            haven_server::features::notices::delivery::WebhookToken::new("provider-secret".into()),
        ),
        ..Settings::default()
    }
}

/// The project's local SMTP sink and SMS stub (`tests/sinks/sink.py`), on
/// free ports, stopped when dropped.
pub struct Sink {
    pub child: std::process::Child,
    pub smtp: u16,
    pub http: u16,
    pub _dir: tempfile::TempDir,
}

impl Sink {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/sinks/sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg("--ready-file")
            .arg(&ready)
            .spawn()
            .expect("python3 runs the test sink (tests/sinks/sink.py)");
        let mut ports = None;
        for _ in 0..200 {
            if let Ok(s) = std::fs::read_to_string(&ready) {
                ports = Some(s);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let Some(ports) = ports else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the test sink did not start");
        };
        let ports: Vec<u16> = ports
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        Self {
            child,
            smtp: ports[0],
            http: ports[1],
            _dir: dir,
        }
    }

    pub fn transports(&self) -> haven_server::features::notices::delivery::Transports {
        haven_server::features::notices::delivery::Transports::new(
            Some(haven_server::features::notices::delivery::MailConfig {
                url: format!("smtp://127.0.0.1:{}", self.smtp),
                password: None,
                from: "Haven <notices@haven.test>".into(),
            }),
            Some(haven_server::features::notices::delivery::SmsConfig {
                url: format!("http://127.0.0.1:{}/sms", self.http),
                token: Some("sms-provider-token".into()),
                from: "+15550000000".into(),
            }),
        )
        .unwrap()
    }

    /// A request to the stub's control API (blocking: it is local and quick).
    pub fn control(&self, method: &str, path: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.http)).unwrap();
        write!(s, "{method} {path} HTTP/1.0\r\nContent-Length: 0\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap_or("null")).unwrap()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A body that sends `parts` pieces of 64 KiB with `gap` before each.
pub fn trickle(parts: u32, gap: std::time::Duration) -> Body {
    let s = futures_util::stream::unfold(0, move |n| async move {
        if n == parts {
            return None;
        }
        tokio::time::sleep(gap).await;
        Some((
            Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![n as u8; 64 * 1024])),
            n + 1,
        ))
    });
    Body::from_stream(s)
}
