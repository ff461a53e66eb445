//! In-process HTTP tests of the server, each run on SQLite and PostgreSQL.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing::{self, TestDb};
use http_body_util::BodyExt;
use tower::ServiceExt;

const LOGIN: &str = "sam.tester@example.test";
const PASSWORD: &str = "correct horse battery";

struct App {
    state: AppState,
    router: Router,
    db: TestDb,
    user: UserId,
    chain: haven_server::audit::AuditChain,
}

async fn app_on(db: TestDb, settings: Settings) -> App {
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

async fn apps(settings: Settings) -> Vec<App> {
    let mut out = Vec::new();
    for db in testing::both().await {
        out.push(app_on(db, settings.clone()).await);
    }
    out
}

async fn send(app: &App, req: Request<Body>) -> Response<Body> {
    app.router.clone().oneshot(req).await.unwrap()
}

async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post_form(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

/// Settings for tests about other things than the second factor.
fn no_mfa() -> Settings {
    Settings {
        require_mfa: false,
        ..Settings::default()
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
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
async fn sign_in(app: &App) -> String {
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

fn csrf_from(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for app in apps(no_mfa()).await {
        for path in ["/healthz", "/sign-in", "/nowhere", "/"] {
            let res = send(&app, get(path, None)).await;
            let h = res.headers();
            let csp = h
                .get(header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .to_str()
                .unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}");
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{path}: no inline script"
            );
            assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
            assert_eq!(h.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
            assert_eq!(h.get(header::CACHE_CONTROL).unwrap(), "no-store", "{path}");
            assert!(h.get("x-request-id").is_some(), "{path}");
            assert!(
                h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
                "no HSTS without TLS"
            );
        }
    }
    for app in apps(Settings {
        hsts: true,
        ..no_mfa()
    })
    .await
    {
        let res = send(&app, get("/healthz", None)).await;
        assert!(
            res.headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
    }
}

#[tokio::test]
async fn health_and_readiness() {
    for app in apps(no_mfa()).await {
        let res = send(&app, get("/healthz", None)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = send(&app, get("/readyz", None)).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        let body = text(res).await;
        assert!(
            body.contains("\"ready\"") && body.contains(app.db.name),
            "{body}"
        );

        // A database that went away makes Haven not ready, but still alive.
        app.db.store.close().await;
        let res = send(&app, get("/readyz", None)).await;
        assert_eq!(
            res.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            app.db.name
        );
        assert!(text(res).await.contains("database unreachable"));
        assert_eq!(
            send(&app, get("/healthz", None)).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn pages_need_a_session_and_sign_in_starts_one() {
    for app in apps(no_mfa()).await {
        let res = send(&app, get("/", None)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");

        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", "SAM.TESTER@example.test"), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}: logins ignore case",
            app.db.name
        );
        let set = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(set.starts_with("haven_session="), "{set}");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap();

        let res = send(&app, get("/", Some(cookie))).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        let html = text(res).await;
        assert!(
            html.contains("Welcome, Sam Tester") && html.contains("Test Services"),
            "{}",
            app.db.name
        );
        assert!(html.contains("Victim assistance specialist"));
        assert!(
            html.contains("href=\"#main\"") && html.contains("id=\"main\""),
            "skip link and target"
        );
        assert!(html.contains("id=\"quick-exit\""));

        // A signed-in person asking for the sign-in page goes home.
        let res = send(&app, get("/sign-in", Some(cookie))).await;
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    for app in apps(no_mfa()).await {
        let wrong = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", "nope nope nope")]),
                None,
            ),
        )
        .await;
        let unknown = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[
                    ("login", "nobody@example.test"),
                    ("password", "nope nope nope"),
                ]),
                None,
            ),
        )
        .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status(), wrong.status());
        assert!(wrong.headers().get(header::SET_COOKIE).is_none());
        let (a, b) = (text(wrong).await, text(unknown).await);
        assert!(a.contains("The email or password is not right"));
        // Same page apart from the echoed login.
        assert_eq!(
            a.replace(LOGIN, "X"),
            b.replace("nobody@example.test", "X"),
            "{}",
            app.db.name
        );

        let empty = send(&app, post_form("/sign-in", "login=&password=", None)).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let junk = send(&app, post_form("/sign-in", "%%%", None)).await;
        assert!(
            junk.status().is_client_error(),
            "malformed forms are a 4xx, never a 500"
        );
    }
}

#[tokio::test]
async fn sign_out_needs_the_session_token_and_ends_the_session() {
    for app in apps(no_mfa()).await {
        let cookie = sign_in(&app).await;
        let html = text(send(&app, get("/", Some(&cookie))).await).await;
        let csrf = csrf_from(&html);

        let res = send(&app, post_form("/sign-out", "csrf=forged", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            send(&app, get("/", Some(&cookie))).await.status(),
            StatusCode::OK,
            "still signed in"
        );

        let res = send(
            &app,
            post_form("/sign-out", &form_encode(&[("csrf", &csrf)]), Some(&cookie)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(
            res.headers()
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(
            send(&app, get("/", Some(&cookie))).await.status(),
            StatusCode::SEE_OTHER,
            "{}",
            app.db.name
        );
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    for app in apps(no_mfa()).await {
        let req = Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from(form_encode(&[
                ("login", LOGIN),
                ("password", PASSWORD),
            ])))
            .unwrap();
        let res = send(&app, req).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.headers().get(header::SET_COOKIE).is_none());
    }
}

#[tokio::test]
async fn signing_in_again_replaces_the_session() {
    for app in apps(no_mfa()).await {
        let first = sign_in(&app).await;
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                Some(&first),
            ),
        )
        .await;
        let second = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_ne!(first, second);
        assert_eq!(
            send(&app, get("/", Some(&first))).await.status(),
            StatusCode::SEE_OTHER,
            "old session ended"
        );
        assert_eq!(
            send(&app, get("/", Some(&second))).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.db
                .store
                .delete_sessions_for_user(app.user, None)
                .await
                .unwrap(),
            1,
            "{}",
            app.db.name
        );
    }
}

#[tokio::test]
async fn idle_sessions_expire_and_say_so() {
    let mut settings = no_mfa();
    settings.session.idle_timeout = time::Duration::milliseconds(1);
    for app in apps(settings.clone()).await {
        let cookie = sign_in(&app).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let res = send(&app, get("/", Some(&cookie))).await;
        assert_eq!(
            res.headers().get(header::LOCATION).unwrap(),
            "/sign-in?expired=1"
        );
        let html = text(send(&app, get("/sign-in?expired=1", None)).await).await;
        assert!(html.contains("Your session ended"));
        assert_eq!(
            app.db
                .store
                .delete_sessions_for_user(app.user, None)
                .await
                .unwrap(),
            0,
            "expired session deleted"
        );
    }
}

#[tokio::test]
async fn language_switch_is_remembered_and_only_redirects_locally() {
    for app in apps(no_mfa()).await {
        let res = send(&app, get("/language/es?next=/sign-in", None)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");
        let set = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        let cookie = set.split(';').next().unwrap();
        assert_eq!(cookie, "haven_lang=es");
        let html = text(send(&app, get("/sign-in", Some(cookie))).await).await;
        assert!(html.contains("<html lang=\"es\">") && html.contains("Iniciar sesión en Haven"));

        for evil in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let res = send(&app, get(&format!("/language/en?next={evil}"), None)).await;
            assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/", "{evil}");
        }
        assert_eq!(
            send(&app, get("/language/xx", None)).await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}

#[tokio::test]
async fn not_found_is_a_page_for_people_and_json_for_the_api() {
    for app in apps(no_mfa()).await {
        let res = send(&app, get("/no/such/page", None)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(text(res).await.contains("Page not found"));
        let res = send(&app, get("/api/nothing", None)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = serde_json::from_str(&text(res).await).unwrap();
        assert_eq!(body["status"], 404);
        assert_eq!(body["code"], "not_found");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn old_password_hashes_are_upgraded_at_sign_in() {
    let db = testing::sqlite().await;
    let app = app_on(db, no_mfa()).await;
    let weak = Hasher::new(HashCost {
        memory_kib: 16,
        iterations: 1,
        parallelism: 1,
    })
    .hash_blocking(PASSWORD);
    app.db
        .store
        .set_password_hash(app.user, &weak)
        .await
        .unwrap();
    sign_in(&app).await;
    let now = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(now, weak);
    assert!(now.contains("m=8,"), "{now}");
}

#[tokio::test]
async fn static_files_are_served_with_their_types() {
    let app = app_on(testing::sqlite().await, no_mfa()).await;
    let res = send(&app, get("/static/haven.css", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/css; charset=utf-8"
    );
    let res = send(&app, get("/static/haven.js", None)).await;
    assert!(text(res).await.contains("quick-exit"));
    assert_eq!(
        send(&app, get("/static/../Cargo.toml", None))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

fn sign_in_from(login: &str, password: &str, ip: [u8; 4]) -> Request<Body> {
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

#[tokio::test]
async fn repeated_failures_lock_an_account_whether_or_not_it_exists() {
    for app in apps(no_mfa()).await {
        for login in [LOGIN, "ghost@example.test"] {
            for _ in 0..5 {
                let res = send(&app, sign_in_from(login, "wrong password", [10, 0, 0, 1])).await;
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{}", app.db.name);
            }
            // Even the right password is refused while locked, and the answer
            // is the same for a real and a made-up account.
            let res = send(&app, sign_in_from(login, PASSWORD, [10, 0, 0, 2])).await;
            assert_eq!(
                res.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "{}: {login}",
                app.db.name
            );
            assert!(res.headers().get(header::SET_COOKIE).is_none());
            assert!(text(res).await.contains("Too many failed sign-in attempts"));
        }
    }
}

#[tokio::test]
async fn a_success_resets_the_account_count() {
    for app in apps(no_mfa()).await {
        for _ in 0..4 {
            send(&app, sign_in_from(LOGIN, "wrong password", [10, 0, 0, 1])).await;
        }
        let res = send(&app, sign_in_from(LOGIN, PASSWORD, [10, 0, 0, 1])).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
        for _ in 0..4 {
            send(&app, sign_in_from(LOGIN, "wrong password", [10, 0, 0, 1])).await;
        }
        let res = send(&app, sign_in_from(LOGIN, PASSWORD, [10, 0, 0, 1])).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}: four more failures do not lock",
            app.db.name
        );
    }
}

#[tokio::test]
async fn an_address_guessing_at_many_accounts_is_locked_out() {
    for app in apps(no_mfa()).await {
        for i in 0..20 {
            let res = send(
                &app,
                sign_in_from(&format!("guess{i}@example.test"), "x", [192, 0, 2, 7]),
            )
            .await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = send(&app, sign_in_from(LOGIN, PASSWORD, [192, 0, 2, 7])).await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            app.db.name
        );
        let res = send(&app, sign_in_from(LOGIN, PASSWORD, [192, 0, 2, 8])).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}: another address is not locked",
            app.db.name
        );
    }
}

async fn sign_out(app: &App, cookie: &str) {
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

#[tokio::test]
async fn sign_ins_sign_outs_and_failures_are_audited_without_personal_data() {
    for app in apps(no_mfa()).await {
        send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", "wrong wrong")]),
                None,
            ),
        )
        .await;
        send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", "ghost@example.test"), ("password", "x")]),
                None,
            ),
        )
        .await;
        let cookie = sign_in(&app).await;
        sign_out(&app, &cookie).await;

        let rows = app.db.store.unsealed_audit(100).await.unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "organization.created",
                "user.created",
                "user.role_granted",
                "key.created",
                "sign_in.failed",
                "sign_in.failed",
                "sign_in.succeeded",
                "session.signed_out"
            ],
            "{}",
            app.db.name
        );
        assert_eq!(
            rows[4].resource_id,
            Some(app.user.to_string()),
            "a failure on a real account names it by id"
        );
        assert_eq!(
            rows[5].resource_id, None,
            "an unknown name leaves no trace of itself"
        );
        assert_eq!(rows[6].actor_user, Some(app.user));
        assert!(rows[6].request_id.is_some(), "entries carry the request id");
        assert_eq!(
            rows[6].resource_id, rows[7].resource_id,
            "the same session starts and ends"
        );
        let dump = format!("{rows:?}");
        for secret in ["sam.tester", "ghost", "Sam Tester", "wrong wrong"] {
            assert!(
                !dump.contains(secret),
                "{}: audit rows hold no personal data",
                app.db.name
            );
        }
    }
}

/// Runs raw SQL against a test database, as an attacker with database access would.
async fn tamper(db: &TestDb, sql: &[&str]) {
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
trait AuditTrail {
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
async fn audited_app(db: TestDb) -> App {
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

#[tokio::test]
async fn audit_verify_finds_an_edited_entry() {
    use haven_server::audit::Problem;
    for db in testing::both().await {
        let app = audited_app(db).await;
        tamper(
            &app.db,
            &["UPDATE audit_log SET action = 'sign_in.failed' WHERE chain_seq = 6"],
        )
        .await;
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert!(
            matches!(
                report.first_problem,
                Some(Problem::Edited { chain_seq: 6, .. })
            ),
            "{}: {report:?}",
            app.db.name
        );
        assert_eq!(report.checked, 5, "everything before it checked out");
    }
}

#[tokio::test]
async fn audit_verify_finds_a_deleted_entry() {
    use haven_server::audit::Problem;
    for db in testing::both().await {
        let app = audited_app(db).await;
        tamper(
            &app.db,
            &["DELETE FROM audit_log WHERE chain_seq IN (4, 5)"],
        )
        .await;
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert_eq!(
            report.first_problem,
            Some(Problem::Missing { from: 4, to: 5 }),
            "{}",
            app.db.name
        );
        assert_eq!(
            report.first_problem.unwrap().to_string(),
            "entries 4 to 5 were deleted"
        );
    }
}

#[tokio::test]
async fn audit_verify_finds_reordered_entries() {
    use haven_server::audit::Problem;
    for db in testing::both().await {
        let app = audited_app(db).await;
        tamper(
            &app.db,
            &[
                "UPDATE audit_log SET chain_seq = -1 WHERE chain_seq = 3",
                "UPDATE audit_log SET chain_seq = 3 WHERE chain_seq = 4",
                "UPDATE audit_log SET chain_seq = 4 WHERE chain_seq = -1",
            ],
        )
        .await;
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert!(
            matches!(
                report.first_problem,
                Some(Problem::OutOfOrder { chain_seq: 3, .. })
            ),
            "{}: {report:?}",
            app.db.name
        );
    }
}

#[tokio::test]
async fn audit_verify_finds_a_forged_entry_whose_hash_was_recomputed_without_the_key() {
    use haven_server::audit::Problem;
    for db in testing::both().await {
        let app = audited_app(db).await;
        // An attacker copies entry 7's hash fields onto an edited entry 7: it
        // still fails, because the hash is keyed.
        tamper(
            &app.db,
            &["UPDATE audit_log SET resource_id = 'someone-else' WHERE chain_seq = 7"],
        )
        .await;
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert!(
            matches!(
                report.first_problem,
                Some(Problem::Edited { chain_seq: 7, .. })
            ),
            "{}",
            app.db.name
        );
        // And another master key cannot vouch for the chain at all.
        let other = haven_server::audit::AuditChain::new(&haven_crypto::SecretKey::generate());
        let report = other.verify(&app.db.store).await.unwrap();
        assert!(matches!(
            report.first_problem,
            Some(Problem::Edited { chain_seq: 1, .. })
        ));
    }
}

#[tokio::test]
async fn sealing_from_two_instances_at_once_builds_one_chain() {
    for db in testing::both().await {
        let app = app_on(db, no_mfa()).await;
        let entries: Vec<AuditEntry> = (0..500)
            .map(|_| AuditEntry::new(AuditAction::SignInFailed))
            .collect();
        app.db.store.append_audit(&entries).await.unwrap();
        let (a, b) = (app.chain.clone(), app.chain.clone());
        let (s1, s2) = (app.db.store.clone(), app.db.store.clone());
        let (x, y) = tokio::join!(a.seal_pending(&s1, 50), b.seal_pending(&s2, 50));
        assert_eq!(
            x.unwrap() + y.unwrap(),
            504,
            "{}: every entry sealed once",
            app.db.name
        );
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert_eq!(report.first_problem, None, "{}", app.db.name);
        assert_eq!(report.checked, 504);
    }
}

fn cookie_of(res: &Response<Body>) -> String {
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

fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn secret_from(html: &str) -> Vec<u8> {
    let at = html
        .find("data-testid=\"totp-secret\">")
        .expect("secret shown")
        + "data-testid=\"totp-secret\">".len();
    let b32 = html[at..].split('<').next().unwrap();
    totp_secret(b32)
}

fn totp_secret(b32: &str) -> Vec<u8> {
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
async fn enrol(app: &App) -> (String, Vec<u8>, Vec<String>, u64) {
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

#[tokio::test]
async fn roles_that_see_personal_data_must_enrol_and_then_use_totp() {
    for app in apps(Settings::default()).await {
        let (full, secret, _, t) = enrol(&app).await;
        sign_out(&app, &full).await;

        // The secret is stored encrypted, bound to the user's row.
        let stored = app.db.store.mfa(app.user).await.unwrap().unwrap();
        assert!(
            !stored
                .secret
                .windows(secret.len())
                .any(|w| w == secret.as_slice()),
            "{}",
            app.db.name
        );

        // Next time: password, then a code. The code used at enrolment is
        // refused (same time step), so wait for the next step if needed.
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        assert_eq!(location(&res), "/sign-in/mfa", "{}", app.db.name);
        let pending = cookie_of(&res);
        let html = text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await;
        let csrf = csrf_from(&html);
        let replay = haven_server::features::account::mfa::code_at(&secret, t).unwrap();
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", &replay)]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{}: the enrolment code cannot be replayed",
            app.db.name
        );
        assert!(text(res).await.contains("already used"));

        // A code from the next step is accepted once.
        let next = haven_server::features::account::mfa::code_at(&secret, t + 30).unwrap();
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", &next)]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(location(&res), "/", "{}", app.db.name);
        let full = cookie_of(&res);
        assert_eq!(
            send(&app, get("/", Some(&full))).await.status(),
            StatusCode::OK
        );
        sign_out(&app, &full).await;

        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        let pending = cookie_of(&res);
        let csrf = csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", &next)]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{}: a used code is refused",
            app.db.name
        );
        let forged = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", "nope"), ("code", &next)]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    for app in apps(Settings::default()).await {
        let (full, _, codes, _) = enrol(&app).await;
        sign_out(&app, &full).await;
        for (i, attempt) in [&codes[3], &codes[3]].into_iter().enumerate() {
            let res = send(
                &app,
                post_form(
                    "/sign-in",
                    &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                    None,
                ),
            )
            .await;
            let pending = cookie_of(&res);
            let csrf =
                csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
            let res = send(
                &app,
                post_form(
                    "/sign-in/mfa",
                    &form_encode(&[("csrf", &csrf), ("code", &attempt.to_uppercase())]),
                    Some(&pending),
                ),
            )
            .await;
            if i == 0 {
                assert_eq!(location(&res), "/", "{}", app.db.name);
                sign_out(&app, &cookie_of(&res)).await;
            } else {
                assert_eq!(
                    res.status(),
                    StatusCode::UNAUTHORIZED,
                    "{}: spent",
                    app.db.name
                );
            }
        }
        assert_eq!(
            app.db.store.unused_recovery_codes(app.user).await.unwrap(),
            9
        );
        let actions: Vec<String> = app
            .db
            .store
            .audit_trail()
            .await
            .into_iter()
            .map(|r| r.action)
            .collect();
        for a in [
            "mfa.enabled",
            "mfa.recovery_code_used",
            "mfa.failed",
            "sign_in.password_accepted",
        ] {
            assert!(
                actions.iter().any(|x| x == a),
                "{}: {a} audited",
                app.db.name
            );
        }
    }
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout() {
    for app in apps(Settings::default()).await {
        let (full, _, _, _) = enrol(&app).await;
        sign_out(&app, &full).await;
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        let pending = cookie_of(&res);
        let csrf = csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
        for _ in 0..5 {
            let res = send(
                &app,
                post_form(
                    "/sign-in/mfa",
                    &form_encode(&[("csrf", &csrf), ("code", "123456")]),
                    Some(&pending),
                ),
            )
            .await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", "654321")]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            app.db.name
        );
    }
}

#[tokio::test]
async fn key_rotation_while_serving_keeps_every_secret_readable() {
    for app in apps(Settings::default()).await {
        // Twenty enrolled users, secrets under key 1.
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let mut users = Vec::new();
        for i in 0..20 {
            let u = User {
                id: UserId::new(),
                organization_id: org,
                login: LoginName::parse(&format!("rot{i}@example.test")).unwrap(),
                display_name: "Rotation Tester".into(),
                roles: vec![Role::VictimSpecialist],
                password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
                disabled: false,
                created_at: haven_domain::now(),
            };
            app.db
                .store
                .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
                .await
                .unwrap();
            let secret = vec![i as u8; 20];
            let sealed =
                haven_server::features::account::mfa::seal_secret(&app.state, u.id, &secret)
                    .unwrap();
            app.db.store.put_pending_mfa(u.id, &sealed).await.unwrap();
            users.push((u.id, secret));
        }
        // A second instance: its own keyring handle on the same database.
        let other = KeyringHandle::load(&app.db.store, app.state.keyring.master().clone())
            .await
            .unwrap();
        let other_state = AppState::new(
            app.db.store.clone(),
            Settings::default(),
            HashCost::TEST,
            other,
        );

        // Readers keep decrypting on both instances while the rotation runs.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for state in [app.state.clone(), other_state.clone()] {
            let (users, stop) = (users.clone(), stop.clone());
            readers.push(tokio::spawn(async move {
                let mut reads = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for (id, secret) in &users {
                        let stored = state.store.mfa(*id).await.unwrap().unwrap();
                        let plain = haven_server::features::account::mfa::open_secret(
                            &state,
                            *id,
                            &stored.secret,
                        )
                        .await
                        .unwrap();
                        assert_eq!(&plain, secret);
                        reads += 1;
                    }
                    tokio::task::yield_now().await;
                }
                reads
            }));
        }
        let report = haven_server::keys::rotate(
            &app.db.store,
            &app.state.keyring,
            true,
            std::time::Duration::from_millis(50),
            7,
        )
        .await
        .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            assert!(
                r.await.unwrap() > 0,
                "{}: reads ran during the rotation",
                app.db.name
            );
        }
        assert_eq!(report.new_key, Some(2));
        assert_eq!(report.reencrypted, 20, "{}", app.db.name);
        assert_eq!(
            report.retired,
            vec![1],
            "{}: key 1 is unused afterwards",
            app.db.name
        );
        for (id, secret) in &users {
            let stored = app.db.store.mfa(*id).await.unwrap().unwrap();
            assert_eq!(haven_crypto::Keyring::key_id_of(&stored.secret), Ok(2));
            assert_eq!(
                &haven_server::features::account::mfa::open_secret(
                    &other_state,
                    *id,
                    &stored.secret
                )
                .await
                .unwrap(),
                secret
            );
        }
        // Resuming finds nothing left to do.
        let again = haven_server::keys::rotate(
            &app.db.store,
            &app.state.keyring,
            false,
            std::time::Duration::ZERO,
            7,
        )
        .await
        .unwrap();
        assert_eq!((again.new_key, again.reencrypted), (None, 0));
        let actions: Vec<String> = app
            .db
            .store
            .audit_trail()
            .await
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert!(actions.contains(&"key.rotated".to_owned()));
    }
}

/// Adds a user with `roles` in `org` and returns (id, signed-in cookie).
async fn person(app: &App, org: OrganizationId, login: &str, roles: &[Role]) -> (UserId, String) {
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

async fn csrf_of(app: &App, cookie: &str) -> String {
    csrf_from(&text(send(app, get("/", Some(cookie))).await).await)
}

#[tokio::test]
async fn administration_follows_the_role_matrix_and_denials_look_like_not_found() {
    for app in apps(no_mfa()).await {
        let org_a = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let org_b = Organization {
            id: OrganizationId::new(),
            name: "Other Agency".into(),
            kind: OrgKind::LawEnforcement,
            created_at: haven_domain::now(),
        };
        app.db
            .store
            .create_organization(&org_b, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        let (outsider, _) = person(
            &app,
            org_b.id,
            "outsider@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let colleague = app.user;
        let not_found_body = {
            let (_, admin) =
                person(&app, org_a, "probe@example.test", &[Role::Administrator]).await;
            text(
                send(
                    &app,
                    get(&format!("/admin/users/{}", UserId::new()), Some(&admin)),
                )
                .await,
            )
            .await
        };

        for (i, role) in Role::ALL.into_iter().enumerate() {
            let (me, cookie) = person(&app, org_a, &format!("role{i}@example.test"), &[role]).await;
            let csrf = csrf_of(&app, &cookie).await;
            let admin = role == Role::Administrator;
            let expect = |allowed: bool| {
                if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                }
            };

            let res = send(&app, get("/admin/users", Some(&cookie))).await;
            assert_eq!(
                res.status(),
                expect(admin),
                "{}: {role:?} lists people",
                app.db.name
            );
            let res = send(
                &app,
                get(&format!("/admin/users/{colleague}"), Some(&cookie)),
            )
            .await;
            assert_eq!(res.status(), expect(admin), "{role:?} views a colleague");
            if !admin {
                assert_eq!(
                    text(res).await,
                    not_found_body,
                    "{role:?}: a denial reads exactly like a missing record"
                );
            }
            let res = send(&app, get(&format!("/admin/users/{me}"), Some(&cookie))).await;
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "{role:?} views their own account"
            );
            let res = send(
                &app,
                get(&format!("/admin/users/{outsider}"), Some(&cookie)),
            )
            .await;
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "{role:?}: another organization's staff are invisible"
            );

            let add = form_encode(&[
                ("csrf", &csrf),
                ("name", "New Person"),
                ("login", &format!("new{i}@example.test")),
                ("password", "a long enough password"),
                ("roles", "analyst"),
            ]);
            let res = send(&app, post_form("/admin/users", &add, Some(&cookie))).await;
            assert_eq!(
                res.status(),
                if admin {
                    StatusCode::SEE_OTHER
                } else {
                    StatusCode::NOT_FOUND
                },
                "{role:?} adds a person"
            );

            let end = form_encode(&[("csrf", &csrf)]);
            let res = send(
                &app,
                post_form(
                    &format!("/admin/users/{outsider}/end-sessions"),
                    &end,
                    Some(&cookie),
                ),
            )
            .await;
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "{role:?}: no reach into another organization"
            );
            let res = send(
                &app,
                post_form(
                    &format!("/admin/users/{colleague}/reset-mfa"),
                    &end,
                    Some(&cookie),
                ),
            )
            .await;
            assert_eq!(
                res.status(),
                if admin {
                    StatusCode::SEE_OTHER
                } else {
                    StatusCode::NOT_FOUND
                },
                "{role:?} resets a colleague's factor"
            );

            let res = send(&app, get("/admin/organizations", Some(&cookie))).await;
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "{role:?} sees the directory of organizations"
            );
            let org = form_encode(&[
                ("csrf", &csrf),
                ("name", &format!("Org {i}")),
                ("kind", "ngo"),
            ]);
            let res = send(&app, post_form("/admin/organizations", &org, Some(&cookie))).await;
            assert_eq!(
                res.status(),
                if admin {
                    StatusCode::SEE_OTHER
                } else {
                    StatusCode::NOT_FOUND
                },
                "{role:?} adds an organization"
            );
        }
        let denied = app
            .db
            .store
            .audit_trail()
            .await
            .into_iter()
            .filter(|r| r.action == "access.denied")
            .count();
        assert!(
            denied >= 7 * 5,
            "{}: refusals are audited ({denied})",
            app.db.name
        );
    }
}

#[tokio::test]
async fn an_administrator_adds_a_person_who_can_then_sign_in_and_bad_input_is_explained() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (_, admin) = person(&app, org, "admin@example.test", &[Role::Administrator]).await;
        let csrf = csrf_of(&app, &admin).await;

        let bad = form_encode(&[
            ("csrf", &csrf),
            ("name", ""),
            ("login", "a b"),
            ("password", "short"),
            ("roles", "superuser"),
        ]);
        let res = send(&app, post_form("/admin/users", &bad, Some(&admin))).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = text(res).await;
        for msg in [
            "Enter the person",
            "no spaces",
            "at least 12 characters",
            "at least one role",
        ] {
            assert!(html.contains(msg), "{}: {msg}", app.db.name);
        }
        assert!(html.contains("value=\"a b\""), "what was typed is kept");

        let good = form_encode(&[
            ("csrf", &csrf),
            ("name", "Rosa Nueva"),
            ("login", "rosa@example.test"),
            ("password", "a long enough password"),
            ("roles", "victim_specialist"),
            ("roles", "supervisor"),
        ]);
        let res = send(&app, post_form("/admin/users", &good, Some(&admin))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
        let page = text(send(&app, get(&location(&res), Some(&admin))).await).await;
        assert!(
            page.contains("The account was created")
                && page.contains("Supervisor, Victim assistance specialist")
                || page.contains("Victim assistance specialist, Supervisor"),
            "{page}"
        );
        let again = send(&app, post_form("/admin/users", &good, Some(&admin))).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert!(text(again).await.contains("already in use"));

        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[
                    ("login", "rosa@example.test"),
                    ("password", "a long enough password"),
                ]),
                None,
            ),
        )
        .await;
        assert_eq!(
            location(&res),
            "/",
            "{}: the new person signs in",
            app.db.name
        );
    }
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_account() {
    for app in apps(no_mfa()).await {
        let a = sign_in(&app).await;
        let b = sign_in(&app).await;
        let csrf = csrf_of(&app, &a).await;
        let res = send(
            &app,
            post_form(
                "/account/sign-out-everywhere",
                &form_encode(&[("csrf", &csrf)]),
                Some(&a),
            ),
        )
        .await;
        assert_eq!(location(&res), "/sign-in");
        for c in [&a, &b] {
            assert_eq!(
                location(&send(&app, get("/", Some(c))).await),
                "/sign-in",
                "{}",
                app.db.name
            );
        }
        assert_eq!(
            app.db
                .store
                .count_sessions_for_user(app.user)
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn reads_are_audited_through_group_commit() {
    use std::sync::atomic::Ordering::Relaxed;
    for app in apps(no_mfa()).await {
        let writer = app.state.audit_writer.clone();
        let before = app.db.store.count_unsealed_audit().await.unwrap();
        let chained = app
            .db
            .store
            .sealed_audit_after(0, 100_000)
            .await
            .unwrap()
            .len();
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let w = writer.clone();
                tokio::spawn(async move {
                    w.record(AuditEntry::new(AuditAction::RecordViewed).on("user", UserId::new()))
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(
            app.db
                .store
                .sealed_audit_after(0, 100_000)
                .await
                .unwrap()
                .len(),
            chained + 300,
            "{}: every read committed, chained as it was written",
            app.db.name
        );
        assert_eq!(app.db.store.count_unsealed_audit().await.unwrap(), before);
        let report = app.chain.verify(&app.db.store).await.unwrap();
        assert_eq!(report.first_problem, None, "{}", app.db.name);
        let (batches, entries) = (
            writer.stats().batches.load(Relaxed),
            writer.stats().entries.load(Relaxed),
        );
        assert_eq!(entries, 300);
        assert!(
            batches < 300,
            "{}: {batches} commits for 300 concurrent reads",
            app.db.name
        );
    }
}

#[tokio::test]
async fn administrators_see_an_accounts_access_history_including_their_own_look() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (admin_id, admin) =
            person(&app, org, "histadmin@example.test", &[Role::Administrator]).await;
        sign_in(&app).await;
        let page = text(
            send(
                &app,
                get(&format!("/admin/users/{}", app.user), Some(&admin)),
            )
            .await,
        )
        .await;
        assert!(page.contains("Access history"), "{}", app.db.name);
        assert!(page.contains("Account created"), "{}", app.db.name);
        let views = app
            .db
            .store
            .audit_for_resource("user", &app.user.to_string(), 10)
            .await
            .unwrap();
        assert_eq!(
            views[0].action, "record.viewed",
            "{}: the read was recorded before the page was sent",
            app.db.name
        );
        assert_eq!(views[0].actor_user, Some(admin_id));
        // Looking again shows the earlier look, by name.
        let page = text(
            send(
                &app,
                get(&format!("/admin/users/{}", app.user), Some(&admin)),
            )
            .await,
        )
        .await;
        assert!(
            page.contains("Viewed") && page.contains("Person histadmin@example.test"),
            "{}",
            app.db.name
        );
    }
}

fn api(
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

async fn json(res: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(res).await).unwrap()
}

/// Makes a token through the account page and returns it.
async fn make_token(app: &App, cookie: &str, scopes: &[&str]) -> String {
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

#[tokio::test]
async fn the_api_is_described_by_openapi_and_refuses_the_unauthenticated() {
    for app in apps(no_mfa()).await {
        let doc = json(send(&app, get("/api/openapi.json", None)).await).await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/me",
            "/api/v1/users",
            "/api/v1/users/{id}",
            "/api/v1/organizations",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} documented");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        for token in [None, Some("hvn_not-a-real-token"), Some("something-else")] {
            let res = send(&app, api("GET", "/api/v1/me", token, None)).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{}", app.db.name);
            assert_eq!(json(res).await["code"], "unauthenticated");
        }
    }
}

#[tokio::test]
async fn api_tokens_act_as_their_owner_within_their_scopes_until_revoked() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (_, admin) = person(&app, org, "apiadmin@example.test", &[Role::Administrator]).await;
        let read = make_token(&app, &admin, &["admin:read"]).await;
        let write = make_token(&app, &admin, &["admin:read", "admin:write"]).await;
        assert!(read.starts_with("hvn_"));

        let me = json(send(&app, api("GET", "/api/v1/me", Some(&read), None)).await).await;
        assert_eq!(
            me["user"]["login"], "apiadmin@example.test",
            "{}",
            app.db.name
        );
        assert_eq!(me["scopes"], serde_json::json!(["admin:read"]));
        let users = json(send(&app, api("GET", "/api/v1/users", Some(&read), None)).await).await;
        assert_eq!(users.as_array().unwrap().len(), 2, "{}", app.db.name);
        let one = send(
            &app,
            api(
                "GET",
                &format!("/api/v1/users/{}", app.user),
                Some(&read),
                None,
            ),
        )
        .await;
        assert_eq!(one.status(), StatusCode::OK);

        let new = serde_json::json!({"login": "viaapi@example.test", "name": "Via Api", "password": "a long enough password", "roles": ["victim_specialist"]});
        let res = send(
            &app,
            api("POST", "/api/v1/users", Some(&read), Some(new.clone())),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: a read-only token cannot add people",
            app.db.name
        );
        let res = send(
            &app,
            api("POST", "/api/v1/users", Some(&write), Some(new.clone())),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", app.db.name);
        let res = send(&app, api("POST", "/api/v1/users", Some(&write), Some(new))).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(json(res).await["field"], "login");

        let bad =
            serde_json::json!({"login": "x", "name": "", "password": "short", "roles": ["boss"]});
        let res = send(&app, api("POST", "/api/v1/users", Some(&write), Some(bad))).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = json(res).await;
        assert_eq!(body["field"], "name");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["name", "login", "password", "roles"],
            "{}: every broken rule named",
            app.db.name
        );
        let res = send(
            &app,
            api(
                "POST",
                "/api/v1/users",
                Some(&write),
                Some(serde_json::json!({"login": 5})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json(res).await["code"], "invalid_json");

        let res = send(
            &app,
            api(
                "DELETE",
                &format!("/api/v1/users/{}/sessions", app.user),
                Some(&write),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);

        // Revoked: refused at once.
        let tokens = app
            .db
            .store
            .api_tokens_of(
                app.db
                    .store
                    .user_by_login(&LoginName::parse("apiadmin@example.test").unwrap())
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
            )
            .await
            .unwrap();
        let write_id = tokens.iter().find(|t| t.scopes.len() == 2).unwrap().id;
        let csrf = csrf_of(&app, &admin).await;
        let res = send(
            &app,
            post_form(
                &format!("/account/tokens/{write_id}/revoke"),
                &form_encode(&[("csrf", &csrf)]),
                Some(&admin),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            send(&app, api("GET", "/api/v1/me", Some(&write), None))
                .await
                .status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            app.db.name
        );
        assert_eq!(
            send(&app, api("GET", "/api/v1/me", Some(&read), None))
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_token_never_exceeds_its_owner_and_expired_tokens_fail() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (spec, cookie) =
            person(&app, org, "apispec@example.test", &[Role::VictimSpecialist]).await;
        let all = make_token(&app, &cookie, &["admin:read", "admin:write"]).await;
        let res = send(
            &app,
            api(
                "GET",
                &format!("/api/v1/users/{}", app.user),
                Some(&all),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", app.db.name);
        let listed = json(send(&app, api("GET", "/api/v1/users", Some(&all), None)).await).await;
        assert_eq!(
            listed.as_array().unwrap().len(),
            1,
            "{}: only themself",
            app.db.name
        );
        let res = send(
            &app,
            api(
                "POST",
                "/api/v1/organizations",
                Some(&all),
                Some(serde_json::json!({"name": "X", "kind": "ngo"})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        let now = haven_domain::now();
        let expired = haven_store::ApiToken {
            id: haven_domain::ApiTokenId::new(),
            token_hash: haven_server::web::api::token_hash("hvn_expired-token"),
            user_id: spec,
            name: "old".into(),
            scopes: vec![haven_domain::policy::Scope::AdminRead],
            created_at: now - time::Duration::days(40),
            expires_at: now - time::Duration::days(10),
            revoked_at: None,
            last_used_at: None,
        };
        app.db
            .store
            .create_api_token(&expired, &AuditEntry::new(AuditAction::ApiTokenCreated))
            .await
            .unwrap();
        assert_eq!(
            send(
                &app,
                api("GET", "/api/v1/me", Some("hvn_expired-token"), None)
            )
            .await
            .status(),
            StatusCode::UNAUTHORIZED
        );
        // A signed-in browser session may use the API too.
        let res = send(&app, get("/api/v1/me", Some(&cookie))).await;
        assert_eq!(
            json(res).await["scopes"],
            serde_json::Value::Null,
            "{}",
            app.db.name
        );
    }
}

#[tokio::test]
async fn administrators_change_roles_and_disable_accounts_but_never_their_own() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (admin_id, admin) = person(
            &app,
            org,
            "accessadmin@example.test",
            &[Role::Administrator],
        )
        .await;
        let colleague_cookie = sign_in(&app).await;
        let csrf = csrf_of(&app, &admin).await;

        let change = form_encode(&[
            ("csrf", &csrf),
            ("roles", "supervisor"),
            ("roles", "victim_specialist"),
        ]);
        let res = send(
            &app,
            post_form(
                &format!("/admin/users/{}/access", app.user),
                &change,
                Some(&admin),
            ),
        )
        .await;
        assert_eq!(
            location(&res),
            format!("/admin/users/{}?done=access", app.user)
        );
        assert_eq!(
            app.db.store.user(app.user).await.unwrap().unwrap().roles,
            vec![Role::Supervisor, Role::VictimSpecialist]
        );
        assert_eq!(
            send(&app, get("/", Some(&colleague_cookie))).await.status(),
            StatusCode::OK,
            "still signed in"
        );

        let disable = form_encode(&[("csrf", &csrf), ("roles", "supervisor"), ("disabled", "1")]);
        send(
            &app,
            post_form(
                &format!("/admin/users/{}/access", app.user),
                &disable,
                Some(&admin),
            ),
        )
        .await;
        assert_eq!(
            location(&send(&app, get("/", Some(&colleague_cookie))).await),
            "/sign-in",
            "{}: disabled ends sessions",
            app.db.name
        );
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{}: a disabled account cannot sign in",
            app.db.name
        );

        let own = form_encode(&[("csrf", &csrf), ("roles", "analyst")]);
        let res = send(
            &app,
            post_form(
                &format!("/admin/users/{admin_id}/access"),
                &own,
                Some(&admin),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: no changing one's own access",
            app.db.name
        );
        assert_eq!(
            app.db.store.user(admin_id).await.unwrap().unwrap().roles,
            vec![Role::Administrator]
        );

        // The same through the API.
        let token = make_token(&app, &admin, &["admin:read", "admin:write"]).await;
        let res = send(
            &app,
            api(
                "PATCH",
                &format!("/api/v1/users/{}", app.user),
                Some(&token),
                Some(serde_json::json!({"disabled": false})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        assert_eq!(json(res).await["roles"], serde_json::json!(["supervisor"]));
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        assert_eq!(location(&res), "/", "{}: enabled again", app.db.name);
        let res = send(
            &app,
            api(
                "PATCH",
                &format!("/api/v1/users/{}", app.user),
                Some(&token),
                Some(serde_json::json!({"roles": ["boss"]})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = send(
            &app,
            api(
                "PATCH",
                &format!("/api/v1/users/{admin_id}"),
                Some(&token),
                Some(serde_json::json!({"disabled": true})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}

async fn register(app: &App, cookie: &str, name: &str, dob: &str, confirm: bool) -> Response<Body> {
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

#[tokio::test]
async fn a_registered_case_is_seen_by_its_team_and_supervisors_only() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let specialist = sign_in(&app).await;
        let res = register(
            &app,
            &specialist,
            "  Lucia   Testperson ",
            "2009-03-14",
            false,
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
        let case_url = location(&res);
        let page = text(send(&app, get(&case_url, Some(&specialist))).await).await;
        assert!(
            page.contains("Lucia Testperson") && page.contains("2009-03-14"),
            "{}",
            app.db.name
        );
        let caseload = text(send(&app, get("/cases", Some(&specialist))).await).await;
        assert!(caseload.contains("Lucia Testperson"));

        let (_, colleague) = person(
            &app,
            org,
            "colleague@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let res = send(&app, get(&case_url, Some(&colleague))).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: need to know, not the same office",
            app.db.name
        );
        let missing = send(
            &app,
            get(
                &format!("/cases/{}", haven_domain::CaseId::new()),
                Some(&colleague),
            ),
        )
        .await;
        assert_eq!(
            text(res).await,
            text(missing).await,
            "a denial reads like a missing case"
        );
        assert!(
            !text(send(&app, get("/cases", Some(&colleague))).await)
                .await
                .contains("Lucia")
        );

        let (_, analyst) = person(&app, org, "analyst@example.test", &[Role::Analyst]).await;
        assert_eq!(
            send(&app, get(&case_url, Some(&analyst))).await.status(),
            StatusCode::NOT_FOUND
        );

        let (_, supervisor) = person(&app, org, "super@example.test", &[Role::Supervisor]).await;
        let page = text(send(&app, get(&case_url, Some(&supervisor))).await).await;
        assert!(
            page.contains("Lucia Testperson"),
            "{}: supervisors see their organization's cases",
            app.db.name
        );
        assert!(
            page.contains("Who accessed this case")
                && page.contains("Case registered")
                && page.contains("Viewed")
        );

        let case_id = case_url.trim_start_matches("/cases/").to_owned();
        let trail = app
            .db
            .store
            .audit_for_resource("case", &case_id, 100)
            .await
            .unwrap();
        assert!(
            trail.iter().filter(|r| r.action == "record.viewed").count() >= 2,
            "{}: reads audited",
            app.db.name
        );
        // The caseload page that showed the name is one audited read naming the case.
        let listed = app
            .db
            .store
            .sealed_audit_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .chain(app.db.store.unsealed_audit(10_000).await.unwrap())
            .filter(|r| r.action == "record.listed")
            .collect::<Vec<_>>();
        assert!(
            listed
                .iter()
                .any(|r| r.resource_kind.as_deref() == Some("case_list")
                    && r.resource_id
                        .as_deref()
                        .is_some_and(|ids| ids.contains(&case_id))),
            "{}: the caseload view is audited with the case's id",
            app.db.name
        );
        assert!(
            trail.iter().any(|r| r.action == "access.denied"),
            "refusals audited"
        );
    }
}

#[tokio::test]
async fn registration_searches_first_and_never_reveals_another_organizations_record() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let specialist = sign_in(&app).await;
        let first =
            location(&register(&app, &specialist, "Ana Duplicada", "1999-12-31", false).await);
        let again = register(&app, &specialist, "ana  DUPLICADA", "1999-12-31", false).await;
        assert_eq!(again.status(), StatusCode::OK);
        let html = text(again).await;
        assert!(
            html.contains("already exists in your organization") && html.contains(&first),
            "{}",
            app.db.name
        );
        // Confirming creates a second record anyway.
        assert_eq!(
            register(&app, &specialist, "Ana Duplicada", "1999-12-31", true)
                .await
                .status(),
            StatusCode::SEE_OTHER
        );

        let other = Organization {
            id: OrganizationId::new(),
            name: "Elsewhere".into(),
            kind: OrgKind::Ngo,
            created_at: haven_domain::now(),
        };
        app.db
            .store
            .create_organization(&other, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        let (_, outsider) = person(
            &app,
            other.id,
            "outsider-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let html =
            text(register(&app, &outsider, "Ana Duplicada", "1999-12-31", false).await).await;
        assert!(html.contains("may exist elsewhere"), "{}", app.db.name);
        assert!(
            !html.contains(&first),
            "{}: the other record's address is not shown",
            app.db.name
        );
        let bad = register(&app, &outsider, "", "31/12/1999", false).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let _ = org;
    }
}

#[tokio::test]
async fn cases_are_read_through_the_api_only_with_the_cases_scope() {
    for app in apps(no_mfa()).await {
        let specialist = sign_in(&app).await;
        let case_url =
            location(&register(&app, &specialist, "Api Casereader", "2001-02-03", false).await);
        let id = case_url.trim_start_matches("/cases/");
        let with = make_token(&app, &specialist, &["cases:read"]).await;
        let without = make_token(&app, &specialist, &["admin:read"]).await;
        let res = send(
            &app,
            api("GET", &format!("/api/v1/cases/{id}"), Some(&with), None),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        let body = json(res).await;
        assert_eq!(body["person_name"], "Api Casereader");
        assert_eq!(body["person_birth_date"], "2001-02-03");
        assert_eq!(body["team"][0][1], "owner_specialist");
        let res = send(
            &app,
            api("GET", &format!("/api/v1/cases/{id}"), Some(&without), None),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: no cases:read, no case",
            app.db.name
        );
        let trail = app
            .db
            .store
            .audit_for_resource("case", id, 50)
            .await
            .unwrap();
        assert!(
            trail.iter().any(|r| r.action == "record.viewed")
                && trail.iter().any(|r| r.action == "access.denied")
        );
    }
}

#[tokio::test]
async fn supervisors_break_glass_with_a_reason_and_another_supervisor_reviews_it() {
    for app in apps(no_mfa()).await {
        let specialist = sign_in(&app).await;
        let case_url =
            location(&register(&app, &specialist, "Glass Breakable", "1990-01-01", false).await);
        let other = Organization {
            id: OrganizationId::new(),
            name: "Regional office".into(),
            kind: OrgKind::LawEnforcement,
            created_at: haven_domain::now(),
        };
        app.db
            .store
            .create_organization(&other, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        let (_, sup) = person(&app, other.id, "sup-a@example.test", &[Role::Supervisor]).await;
        let owner_org = app_org(&app).await;
        let (_, sup2) = person(&app, owner_org, "sup-b@example.test", &[Role::Supervisor]).await;
        // Break glass reaches a case the supervisor's organization works on:
        // an agent of theirs is on the team.
        let (agent_id, _) = person(
            &app,
            other.id,
            "agent-glass@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let owner_token = make_token(&app, &specialist, &["cases:read", "cases:write"]).await;
        add_to_team(
            &app,
            &owner_token,
            case_url.trim_start_matches("/cases/"),
            agent_id,
            "agent",
        )
        .await;

        let refused = send(&app, get(&case_url, Some(&sup))).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{}", app.db.name);
        let fake_id = haven_domain::CaseId::new().to_string();
        let missing = send(&app, get(&format!("/cases/{fake_id}"), Some(&sup))).await;
        let real_id = case_url.trim_start_matches("/cases/");
        let (a, b) = (
            text(refused).await.replace(real_id, "ID"),
            text(missing).await.replace(&fake_id, "ID"),
        );
        assert_eq!(
            a, b,
            "{}: the emergency form does not reveal that the case exists",
            app.db.name
        );
        assert!(a.contains("Emergency access"));

        let csrf = csrf_of(&app, &sup).await;
        let short = send(
            &app,
            post_form(
                &format!("{case_url}/emergency"),
                &form_encode(&[("csrf", &csrf), ("reason", "urgent")]),
                Some(&sup),
            ),
        )
        .await;
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let reason = "Caller says she is in danger tonight; owner unreachable";
        let res = send(
            &app,
            post_form(
                &format!("{case_url}/emergency"),
                &form_encode(&[("csrf", &csrf), ("reason", reason)]),
                Some(&sup),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        let page = text(res).await;
        assert!(
            page.contains("Glass Breakable")
                && page.contains("will be reviewed by another supervisor")
        );

        let (_, spec_b) = person(
            &app,
            owner_org,
            "spec-b@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let csrf_b = csrf_of(&app, &spec_b).await;
        let res = send(
            &app,
            post_form(
                &format!("{case_url}/emergency"),
                &form_encode(&[("csrf", &csrf_b), ("reason", reason)]),
                Some(&spec_b),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: only supervisors break glass",
            app.db.name
        );

        // The owning organization's supervisors review it, not the opener's.
        let list = text(send(&app, get("/review/emergency", Some(&sup2))).await).await;
        assert!(list.contains(reason), "{}", app.db.name);
        let theirs = text(send(&app, get("/review/emergency", Some(&sup))).await).await;
        assert!(!theirs.contains(reason), "{}", app.db.name);
        assert!(
            app.db
                .store
                .pending_emergency_access(other.id)
                .await
                .unwrap()
                .is_empty()
        );
        let pending = app
            .db
            .store
            .pending_emergency_access(owner_org)
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        let own = send(
            &app,
            post_form(
                &format!("/review/emergency/{}", pending[0].id),
                &form_encode(&[("csrf", &csrf)]),
                Some(&sup),
            ),
        )
        .await;
        assert_eq!(
            own.status(),
            StatusCode::NOT_FOUND,
            "{}: nobody reviews their own",
            app.db.name
        );
        // The opening shows on the case, waiting for review.
        let page = text(send(&app, get(&case_url, Some(&specialist))).await).await;
        assert!(
            page.contains("Emergency openings") && page.contains("Waiting for review"),
            "{}",
            app.db.name
        );
        let home = text(send(&app, get("/", Some(&sup2))).await).await;
        assert!(home.contains("Emergency openings to review: 1"));
        let csrf2 = csrf_of(&app, &sup2).await;
        let done = send(
            &app,
            post_form(
                &format!("/review/emergency/{}", pending[0].id),
                &form_encode(&[("csrf", &csrf2)]),
                Some(&sup2),
            ),
        )
        .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
        assert!(
            app.db
                .store
                .pending_emergency_access(owner_org)
                .await
                .unwrap()
                .is_empty()
        );
        let page = text(send(&app, get(&case_url, Some(&specialist))).await).await;
        assert!(page.contains("Reviewed"), "{}", app.db.name);
        let trail: Vec<String> = app
            .db
            .store
            .audit_for_resource("case", real_id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert!(
            trail.contains(&"case.emergency_access".to_owned())
                && trail.contains(&"case.emergency_reviewed".to_owned())
        );
    }
}

#[tokio::test]
async fn a_recorded_release_opens_a_case_to_its_recipient_until_revoked() {
    for app in apps(no_mfa()).await {
        let specialist = sign_in(&app).await;
        let case_url =
            location(&register(&app, &specialist, "Rosa Consentida", "1995-07-08", false).await);
        let case_id = case_url.trim_start_matches("/cases/").to_owned();
        let agency = Organization {
            id: OrganizationId::new(),
            name: "Task Force".into(),
            kind: OrgKind::LawEnforcement,
            created_at: haven_domain::now(),
        };
        app.db
            .store
            .create_organization(&agency, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        let (_, agent) = person(
            &app,
            agency.id,
            "agent@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let agent_token = make_token(&app, &agent, &["cases:read"]).await;
        let spec_token = make_token(&app, &specialist, &["cases:read", "cases:write"]).await;
        let get_case = |tok: &str| api("GET", &format!("/api/v1/cases/{case_id}"), Some(tok), None);
        assert_eq!(
            send(&app, get_case(&agent_token)).await.status(),
            StatusCode::NOT_FOUND,
            "{}: no release yet",
            app.db.name
        );

        let today = haven_domain::now().date();
        let release = |parties: serde_json::Value, minor: bool, expires: time::Date| {
            serde_json::json!({
                "parties": parties,
                "recipient_organization_id": agency.id.to_string(),
                "purpose": "Continued Presence request",
                "fields": ["identity", "immigration"],
                "signed_on": today.to_string(),
                "expires_on": expires.to_string(),
                "unemancipated_minor": minor,
            })
        };
        let in_30 = today + time::Duration::days(30);
        let url = format!("/api/v1/cases/{case_id}/consents");
        for (body, code) in [
            (
                release(
                    serde_json::json!([{"signer": "victim"}, {"signer": "parent_or_guardian", "recorded_as_abuser": true}]),
                    true,
                    in_30,
                ),
                "abuser_cannot_consent",
            ),
            (
                release(serde_json::json!([{"signer": "victim"}]), true, in_30),
                "minor_needs_guardian",
            ),
            (
                release(serde_json::json!([{"signer": "victim"}]), false, today),
                "expiry_not_after_signing",
            ),
        ] {
            let res = send(&app, api("POST", &url, Some(&spec_token), Some(body))).await;
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {code}",
                app.db.name
            );
            assert_eq!(json(res).await["code"], code);
        }
        let res = send(
            &app,
            api(
                "POST",
                &url,
                Some(&spec_token),
                Some(release(
                    serde_json::json!([{"signer": "victim"}]),
                    false,
                    in_30,
                )),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", app.db.name);
        let consent_id = json(res).await["id"].as_str().unwrap().to_owned();

        assert_eq!(
            send(&app, get_case(&agent_token)).await.status(),
            StatusCode::OK,
            "{}: the release opens the case",
            app.db.name
        );
        let res = send(
            &app,
            api(
                "POST",
                &url,
                Some(&agent_token),
                Some(release(
                    serde_json::json!([{"signer": "victim"}]),
                    false,
                    in_30,
                )),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{}: a recipient cannot record releases",
            app.db.name
        );

        let res = send(
            &app,
            api(
                "DELETE",
                &format!("{url}/{consent_id}"),
                Some(&spec_token),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            send(&app, get_case(&agent_token)).await.status(),
            StatusCode::NOT_FOUND,
            "{}: revoked at once",
            app.db.name
        );
        let views_before = app
            .db
            .store
            .audit_for_resource("case", &case_id, 100)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.action == "record.viewed")
            .count();
        let list = json(send(&app, api("GET", &url, Some(&spec_token), None)).await).await;
        assert_eq!(list[0]["active"], false);
        let views_after = app
            .db
            .store
            .audit_for_resource("case", &case_id, 100)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.action == "record.viewed")
            .count();
        assert_eq!(
            views_after,
            views_before + 1,
            "{}: listing releases is an audited read",
            app.db.name
        );
        let trail: Vec<String> = app
            .db
            .store
            .audit_for_resource("case", &case_id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert!(
            trail.contains(&"consent.recorded".to_owned())
                && trail.contains(&"consent.revoked".to_owned())
        );
    }
}

/// Every page and API endpoint, for every role and for nobody: answers are
/// only "done", "not found" (a refusal looks the same), a redirect to sign in
/// for pages, or 401 for the API: never a 403 that would reveal a record,
/// never a 500.
#[tokio::test]
async fn every_endpoint_answers_every_role_without_leaks_or_faults() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let owner = sign_in(&app).await;
        let case_url =
            location(&register(&app, &owner, "Matrix Person", "2000-01-01", false).await);
        let case_id = case_url.trim_start_matches("/cases/").to_owned();
        let user_id = app.user.to_string();
        let routes: Vec<(&str, String, Option<&str>)> = vec![
            ("GET", "/".into(), None),
            ("GET", "/cases".into(), None),
            ("GET", "/cases/new".into(), None),
            ("GET", case_url.clone(), None),
            ("POST", format!("{case_url}/consents"), Some("purpose=x")),
            (
                "POST",
                format!("{case_url}/emergency"),
                Some("reason=a+long+enough+reason"),
            ),
            ("GET", "/admin/users".into(), None),
            ("GET", format!("/admin/users/{user_id}"), None),
            (
                "POST",
                format!("/admin/users/{user_id}/reset-mfa"),
                Some(""),
            ),
            (
                "POST",
                format!("/admin/users/{user_id}/end-sessions"),
                Some(""),
            ),
            (
                "POST",
                format!("/admin/users/{user_id}/access"),
                Some("roles=analyst"),
            ),
            ("GET", "/admin/organizations".into(), None),
            ("GET", "/account/tokens".into(), None),
            ("GET", "/review/emergency".into(), None),
            ("GET", "/mfa/setup".into(), None),
            ("GET", "/api/v1/me".into(), None),
            ("GET", "/api/v1/users".into(), None),
            ("GET", format!("/api/v1/users/{user_id}"), None),
            ("GET", "/api/v1/organizations".into(), None),
            ("GET", format!("/api/v1/cases/{case_id}"), None),
            ("GET", format!("/api/v1/cases/{case_id}/consents"), None),
            ("GET", format!("{case_url}/relief"), None),
            ("GET", format!("{case_url}/team"), None),
            (
                "POST",
                format!("{case_url}/relief/facts/eligibility"),
                Some("person.in_united_states=yes"),
            ),
            ("POST", format!("{case_url}/documents"), Some("kind=i918b")),
            ("GET", "/relief/deadlines".into(), None),
            ("GET", format!("/api/v1/cases/{case_id}/relief"), None),
            ("GET", "/api/v1/relief/deadlines".into(), None),
            ("GET", "/api/v1/notifications".into(), None),
            ("GET", "/directory".into(), None),
            ("GET", "/directory?q=shelter&near=10001".into(), None),
            ("GET", format!("/directory/services/{HAVEN_SHELTER}"), None),
            (
                "POST",
                format!("/directory/services/{HAVEN_SHELTER}/capacity"),
                Some("available=2"),
            ),
            ("GET", "/directory/manage".into(), None),
            (
                "POST",
                format!("/directory/organizations/{HAVEN_SHELTER_ORG}/link"),
                Some("haven="),
            ),
            (
                "GET",
                format!("{case_url}/referrals/new?service={HAVEN_SHELTER}"),
                None,
            ),
            ("POST", format!("{case_url}/referrals"), Some("service=x")),
            ("GET", "/referrals".into(), None),
            ("GET", "/referrals/stats".into(), None),
            ("GET", "/hotlines".into(), None),
            ("GET", "/hotlines/print?lang=es".into(), None),
            ("POST", "/hotlines".into(), Some("name_en=")),
            ("GET", "/api/v1/directory/search?q=shelter".into(), None),
            ("GET", "/api/v1/referrals/incoming".into(), None),
            ("GET", "/api/v1/referrals/stats".into(), None),
            ("GET", "/api/v1/hotlines".into(), None),
            ("GET", "/hsds/services".into(), None),
            ("GET", format!("/hsds/services/{HAVEN_SHELTER}"), None),
            ("GET", "/interviews".into(), None),
            ("GET", format!("/interviews/{}", uuid::Uuid::now_v7()), None),
            ("GET", "/api/v1/interviews".into(), None),
            (
                "GET",
                format!("/api/v1/interviews/{}", uuid::Uuid::now_v7()),
                None,
            ),
            ("GET", format!("/api/v1/cases/{case_id}/interviews"), None),
            ("GET", format!("/api/v1/cases/{case_id}/notices"), None),
            ("GET", "/api/v1/account/notification-settings".into(), None),
            ("GET", "/api/v1/notice-templates".into(), None),
            ("GET", format!("{case_url}/interviews/new"), None),
            ("POST", format!("{case_url}/interviews"), Some("reason=")),
            ("POST", format!("{case_url}/notices"), Some("event=arrest")),
            (
                "POST",
                format!("{case_url}/opt-outs"),
                Some("channel=sms&stop=1"),
            ),
            ("GET", "/account/notifications".into(), None),
            (
                "POST",
                "/account/notifications".into(),
                Some("email=referrals"),
            ),
            ("GET", "/admin/templates".into(), None),
            (
                "POST",
                "/admin/templates".into(),
                Some("lang=es&key=notice-arrest&body=Hola"),
            ),
        ];
        seed_shelter(&app, Some(org)).await;
        let mut people: Vec<(String, Option<String>)> = vec![("nobody".into(), None)];
        for (i, role) in Role::ALL.into_iter().enumerate() {
            let (_, cookie) = person(&app, org, &format!("matrix{i}@example.test"), &[role]).await;
            people.push((format!("{role:?}"), Some(cookie)));
        }
        for (who, cookie) in &people {
            let csrf = match cookie {
                Some(c) => csrf_of(&app, c).await,
                None => String::new(),
            };
            for (method, path, body) in &routes {
                let req = match (method, body) {
                    (&"POST", Some(b)) => {
                        post_form(path, &format!("csrf={csrf}&{b}"), cookie.as_deref())
                    }
                    _ => get(path, cookie.as_deref()),
                };
                let res = send(&app, req).await;
                let status = res.status();
                let ok = match cookie {
                    None if path.starts_with("/api/") || path.starts_with("/hsds") => {
                        status == StatusCode::UNAUTHORIZED
                    }
                    None => {
                        status == StatusCode::SEE_OTHER && location(&res).starts_with("/sign-in")
                    }
                    Some(_) => {
                        status.is_success()
                            || status.is_redirection()
                            || status == StatusCode::NOT_FOUND
                            || status == StatusCode::UNPROCESSABLE_ENTITY
                    }
                };
                assert!(
                    ok,
                    "{}: {who} {method} {path} answered {status}",
                    app.db.name
                );
            }
        }
    }
}

/// Regressions found by fuzzing the API (schemathesis): times are RFC 3339
/// strings, a body must be an object, duplicate roles are not a conflict.
#[tokio::test]
async fn api_bodies_and_times_follow_the_documented_shapes() {
    for app in apps(no_mfa()).await {
        let org = app
            .db
            .store
            .user(app.user)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        let (_, admin) = person(
            &app,
            org,
            "shape-admin@example.test",
            &[Role::Administrator],
        )
        .await;
        let token = make_token(&app, &admin, &["admin:read", "admin:write"]).await;
        let orgs = json(
            send(
                &app,
                api("GET", "/api/v1/organizations", Some(&token), None),
            )
            .await,
        )
        .await;
        let created = orgs[0]["created_at"].as_str().expect("a string");
        assert!(
            time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{created}"
        );
        let res = send(
            &app,
            api(
                "POST",
                "/api/v1/organizations",
                Some(&token),
                Some(serde_json::json!([])),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.db.name
        );
        assert_eq!(json(res).await["code"], "not_an_object");
        let res = send(
            &app,
            api(
                "PATCH",
                &format!("/api/v1/users/{}", app.user),
                Some(&token),
                Some(serde_json::json!({"roles": ["analyst", "analyst"]})),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
        assert_eq!(json(res).await["roles"], serde_json::json!(["analyst"]));
    }
}

// ---------------------------------------------------------------- case record (issue 4)

/// A read-write API token for a new person in `org` with `roles`.
async fn worker(app: &App, org: OrganizationId, login: &str, roles: &[Role]) -> (UserId, String) {
    let (id, cookie) = person(app, org, login, roles).await;
    (
        id,
        make_token(app, &cookie, &["cases:read", "cases:write"]).await,
    )
}

async fn call(
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

async fn app_org(app: &App) -> OrganizationId {
    app.db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id
}

#[tokio::test]
async fn declining_to_cooperate_never_blocks_a_need_plan_fund_or_any_other_service() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "coop-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (boss_id, boss) =
            worker(&app, org, "coop-boss@example.test", &[Role::Supervisor]).await;
        app.db
            .store
            .set_approval_limit(
                boss_id,
                1_000_000,
                &AuditEntry::new(AuditAction::ApprovalLimitChanged),
            )
            .await
            .unwrap();
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Coop Declines", "cooperation": "declined", "residency": "foreign_national"})).await;
        assert_eq!(s, StatusCode::CREATED, "{}: {b}", app.db.name);
        let case = b["id"].as_str().unwrap().to_owned();
        let (s, _) = call(
            &app,
            "PUT",
            &format!("/api/v1/cases/{case}/cooperation"),
            &spec,
            serde_json::json!({"cooperation": "declined"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // Every service operation goes ahead.
        let (s, need) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/entries"),
            &spec,
            serde_json::json!({"kind": "need", "category": "housing", "urgency": "immediate"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{}: need {need}", app.db.name);
        let (s, plan) = call(&app, "POST", &format!("/api/v1/cases/{case}/entries"), &spec, serde_json::json!({"kind": "plan_item", "parent_id": need["id"], "text": "Shelter bed", "due_on": "2027-01-15"})).await;
        assert_eq!(s, StatusCode::CREATED, "plan {plan}");
        let (s, _) = call(
            &app,
            "PATCH",
            &format!(
                "/api/v1/cases/{case}/entries/{}",
                plan["id"].as_str().unwrap()
            ),
            &spec,
            serde_json::json!({"status": "in_progress"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = call(&app, "POST", &format!("/api/v1/cases/{case}/entries"), &spec, serde_json::json!({"kind": "task", "text": "Call the shelter", "parent_id": plan["id"], "due_on": "2027-01-02"})).await;
        assert_eq!(s, StatusCode::CREATED, "task {b}");
        let (s, b) = call(&app, "POST", &format!("/api/v1/cases/{case}/entries"), &spec, serde_json::json!({"kind": "rights", "rights": ["services_available", "immigration_benefits"], "language": "es", "method": "both"})).await;
        assert_eq!(s, StatusCode::CREATED, "rights {b}");
        let (s, fund) = call(
            &app,
            "POST",
            "/api/v1/funds",
            &boss,
            serde_json::json!({"name": "Emergency", "budget": "1000"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "fund {fund}");
        let (s, req) = call(&app, "POST", &format!("/api/v1/cases/{case}/fund-requests"), &spec, serde_json::json!({"fund_id": fund["id"], "amount": "120.50", "purpose": "lodging", "urgency": "high", "description": "Two nights"})).await;
        assert_eq!(s, StatusCode::CREATED, "fund request {req}");
        let rid = req["id"].as_str().unwrap();
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/fund-requests/{rid}/decision"),
            &boss,
            serde_json::json!({"approve": true}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "approve {b}");
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/fund-requests/{rid}/disbursement"),
            &spec,
            serde_json::json!({"method": "card"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/stage"),
            &spec,
            serde_json::json!({"stage": "receiving_services"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // Referrals (issue 6) and benefit tracking (issue 5) join this list when they exist.
        let (s, body) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["cooperation"], "declined");
        assert_eq!(body["stage"], "receiving_services");
        let kinds: Vec<&str> = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        for k in ["need", "plan_item", "task", "rights", "status_change"] {
            assert!(kinds.contains(&k), "{}: {k} in {kinds:?}", app.db.name);
        }
        let (_, spent) = call(
            &app,
            "GET",
            &format!("/api/v1/funds/{}/spending", fund["id"].as_str().unwrap()),
            &boss,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(spent[0]["disbursed_cents"], 12_050);
    }
}

#[tokio::test]
async fn bad_record_input_names_the_field_and_the_rule_and_writes_nothing() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "bad-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let before = app
            .db
            .store
            .caseload(&haven_store::CaseloadQuery {
                filter: haven_domain::access::case_filter(&haven_domain::policy::Actor {
                    user: UserId::new(),
                    organization: org,
                    roles: vec![Role::Supervisor],
                    scopes: None,
                }),
                mine_only: false,
                stage: None,
                hhs_pending: false,
                sort: haven_store::CaseloadSort::Updated,
                limit: 1,
                offset: 0,
                now: haven_domain::now(),
            })
            .await
            .unwrap()
            .0;
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "", "birth_date": "2999-01-01", "gender": "robot", "languages": ["spanish"], "email": "x"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.db.name);
        assert_eq!(
            (b["field"].as_str(), b["code"].as_str()),
            (Some("name"), Some("required"))
        );
        let fields: Vec<&str> = b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["name", "birth_date", "email", "gender", "languages"],
            "every broken rule, in form order"
        );
        assert!(
            b["errors"][3]["message"]
                .as_str()
                .unwrap()
                .contains("feminine"),
            "the rule lists the allowed codes"
        );
        let (s, _) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!(["not", "an", "object"]),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Valid Person"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let case = b["id"].as_str().unwrap().to_owned();
        for (body, field, code) in [
            (
                serde_json::json!({"kind": "meeting"}),
                "kind",
                "not_in_list",
            ),
            (serde_json::json!({"kind": ""}), "kind", "required"),
            (serde_json::json!({"kind": "need"}), "category", "required"),
            (
                serde_json::json!({"kind": "plan_item", "text": "x"}),
                "parent_id",
                "required",
            ),
            (
                serde_json::json!({"kind": "task", "text": "x", "due_on": "tomorrow"}),
                "due_on",
                "bad_date",
            ),
            (
                serde_json::json!({"kind": "rights", "rights": ["free_pony"], "language": "es", "method": "oral"}),
                "rights",
                "not_in_list",
            ),
            (
                serde_json::json!({"kind": "status_change"}),
                "kind",
                "not_allowed",
            ),
        ] {
            let (s, b) = call(
                &app,
                "POST",
                &format!("/api/v1/cases/{case}/entries"),
                &spec,
                body.clone(),
            )
            .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(
                (b["field"].as_str(), b["code"].as_str()),
                (Some(field), Some(code)),
                "{}: {body} -> {b}",
                app.db.name
            );
        }
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/stage"),
            &spec,
            serde_json::json!({"stage": "closed"}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str(), b["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("closed_reason"),
                Some("required")
            )
        );
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/stage"),
            &spec,
            serde_json::json!({"stage": "closed", "closed_reason": "goals_met"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/stage"),
            &spec,
            serde_json::json!({"stage": "stabilizing"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_allowed")),
            "a closed case only reopens"
        );
        let (_, body) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            body["entries"].as_array().unwrap().len(),
            1,
            "{}: only the one stage change was written",
            app.db.name
        );
        let after = app
            .db
            .store
            .caseload(&haven_store::CaseloadQuery {
                filter: haven_domain::access::case_filter(&haven_domain::policy::Actor {
                    user: UserId::new(),
                    organization: org,
                    roles: vec![Role::Supervisor],
                    scopes: None,
                }),
                mine_only: false,
                stage: None,
                hhs_pending: false,
                sort: haven_store::CaseloadSort::Updated,
                limit: 1,
                offset: 0,
                now: haven_domain::now(),
            })
            .await
            .unwrap()
            .0;
        assert_eq!(after, before + 1, "the refused intake wrote nothing");
        // A read-only token may read but not write.
        let (_, cookie) =
            person(&app, org, "ro-spec@example.test", &[Role::VictimSpecialist]).await;
        let ro = make_token(&app, &cookie, &["cases:read"]).await;
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &ro,
            serde_json::json!({"name": "Nope"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
    }
}

#[tokio::test]
async fn advocate_records_stay_closed_to_law_enforcement_on_the_team() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "adv-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (agent_id, agent) = worker(
            &app,
            org,
            "adv-agent@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let (_, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Advocate Records", "indicators": ["fearful"]}),
        )
        .await;
        let case = b["id"].as_str().unwrap().to_owned();
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/team"),
            &spec,
            serde_json::json!({"user_id": agent_id.to_string(), "role": "agent"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/team"),
            &spec,
            serde_json::json!({"user_id": agent_id.to_string(), "role": "interviewer"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_role"))
        );
        for (compartment, text) in [
            ("advocate", "Talked about nightmares"),
            ("shared", "Court date set"),
        ] {
            let (s, _) = call(
                &app,
                "POST",
                &format!("/api/v1/cases/{case}/entries"),
                &spec,
                serde_json::json!({"kind": "note", "compartment": compartment, "text": text}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let (s, body) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}", app.db.name);
        let text = body["entries"].to_string();
        assert!(
            text.contains("Court date set") && !text.contains("nightmares"),
            "{}: {text}",
            app.db.name
        );
        assert!(
            !body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "screening"),
            "the screening is an advocate record"
        );
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/entries"),
            &agent,
            serde_json::json!({"kind": "note", "compartment": "advocate", "text": "x"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (_, mine) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert!(mine["entries"].to_string().contains("nightmares"));
        // Someone outside the team finds nothing, and cannot write either.
        let (_, other) = worker(
            &app,
            org,
            "adv-other@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/entries"),
            &other,
            serde_json::json!({"kind": "note", "text": "x"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, agent) = worker(
            &app,
            org,
            "hhs-agent@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let (_, spec) = worker(
            &app,
            org,
            "hhs-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let dob = (haven_domain::now().date() - time::Duration::days(15 * 365 + 30)).to_string();
        let (s, b) = call(&app, "POST", "/api/v1/cases", &agent, serde_json::json!({"name": "Minor Found", "birth_date": dob, "residency": "foreign_national"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let case = b["id"].as_str().unwrap().to_owned();
        let (_, body) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (body["minor"].as_bool(), body["age"].as_u64()),
            (Some(true), Some(15))
        );
        let created = time::OffsetDateTime::parse(
            body["created_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let due = time::OffsetDateTime::parse(
            body["hhs_notice_due_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(
            due - created,
            time::Duration::hours(24),
            "{}: HHS-5",
            app.db.name
        );
        let (_, list) = call(
            &app,
            "GET",
            "/api/v1/cases?hhs_pending=true",
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(list["total"], 1);
        let home = text(
            send(
                &app,
                get(
                    "/",
                    Some(
                        &person(&app, org, "hhs-sup@example.test", &[Role::Supervisor])
                            .await
                            .1,
                    ),
                ),
            )
            .await,
        )
        .await;
        assert!(
            home.contains("HHS must be notified on 1 case"),
            "{}: the dashboard shows it",
            app.db.name
        );
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/hhs-notification"),
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, list) = call(
            &app,
            "GET",
            "/api/v1/cases?hhs_pending=true",
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(list["total"], 0, "met: off the dashboard");
        // A minor registered by a victim specialist (not an official) and an
        // adult found by an official start no statutory clock.
        for (token, name, dob) in [
            (&spec, "Sofia Ngo", dob.clone()),
            (&agent, "Adult Found", "1990-01-01".to_owned()),
        ] {
            let (_, b) = call(&app, "POST", "/api/v1/cases", token, serde_json::json!({"name": name, "birth_date": dob, "residency": "foreign_national"})).await;
            let (_, body) = call(
                &app,
                "GET",
                &format!("/api/v1/cases/{}", b["id"].as_str().unwrap()),
                token,
                serde_json::Value::Null,
            )
            .await;
            assert!(body["hhs_notice_due_at"].is_null(), "{name}");
        }
    }
}

#[tokio::test]
async fn fund_decisions_respect_limits_roles_and_the_balance() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "fund-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (boss_id, boss) =
            worker(&app, org, "fund-boss@example.test", &[Role::Supervisor]).await;
        app.db
            .store
            .set_approval_limit(
                boss_id,
                20_000,
                &AuditEntry::new(AuditAction::ApprovalLimitChanged),
            )
            .await
            .unwrap();
        let (s, _) = call(
            &app,
            "POST",
            "/api/v1/funds",
            &spec,
            serde_json::json!({"name": "Mine", "budget": "10"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "specialists do not create funds");
        let (_, fund) = call(
            &app,
            "POST",
            "/api/v1/funds",
            &boss,
            serde_json::json!({"name": "Small fund", "budget": "300"}),
        )
        .await;
        let (s, _) = call(
            &app,
            "POST",
            "/api/v1/funds",
            &boss,
            serde_json::json!({"name": "Small fund", "budget": "1"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Fund Case"}),
        )
        .await;
        let case = b["id"].as_str().unwrap().to_owned();
        let ask = |amount: &str| serde_json::json!({"fund_id": fund["id"], "amount": amount, "purpose": "food", "description": "Groceries"});
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/fund-requests"),
            &spec,
            ask("301"),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("over_budget"))
        );
        let (_, big) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/fund-requests"),
            &spec,
            ask("250"),
        )
        .await;
        let (_, small) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/fund-requests"),
            &spec,
            ask("150"),
        )
        .await;
        let decide = |id: &serde_json::Value| {
            format!(
                "/api/v1/fund-requests/{}/decision",
                id["id"].as_str().unwrap()
            )
        };
        let (s, b) = call(
            &app,
            "POST",
            &decide(&big),
            &boss,
            serde_json::json!({"approve": true}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{}: $250 is over the $200 limit: {b}",
            app.db.name
        );
        let (s, _) = call(
            &app,
            "POST",
            &decide(&big),
            &spec,
            serde_json::json!({"approve": true}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "specialists do not approve");
        let (s, b) = call(
            &app,
            "POST",
            &decide(&big),
            &boss,
            serde_json::json!({"approve": false}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("note")),
            "a denial says why"
        );
        let (s, _) = call(
            &app,
            "POST",
            &decide(&small),
            &boss,
            serde_json::json!({"approve": true}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // Only someone who may change the case records its payment.
        let (_, stranger) = worker(
            &app,
            org,
            "fund-stranger@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let pay = format!(
            "/api/v1/fund-requests/{}/disbursement",
            small["id"].as_str().unwrap()
        );
        let (s, _) = call(
            &app,
            "POST",
            &pay,
            &stranger,
            serde_json::json!({"method": "cash"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}", app.db.name);
        let (_, again) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/fund-requests"),
            &spec,
            ask("160"),
        )
        .await;
        let (s, b) = call(
            &app,
            "POST",
            &decide(&again),
            &boss,
            serde_json::json!({"approve": true}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_funds")),
            "{}: $150 left",
            app.db.name
        );
        let (_, funds) = call(&app, "GET", "/api/v1/funds", &boss, serde_json::Value::Null).await;
        assert_eq!(funds[0]["balance_cents"], 15_000);
        let (_, pending) = call(
            &app,
            "GET",
            "/api/v1/fund-requests",
            &boss,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(pending.as_array().unwrap().len(), 2);
        let unsealed = app.db.store.unsealed_audit(100_000).await.unwrap();
        let sealed = app.db.store.sealed_audit_after(0, 100_000).await.unwrap();
        assert!(
            unsealed
                .iter()
                .chain(&sealed)
                .any(|r| r.action == "record.listed"
                    && r.resource_id.as_deref() == Some(case.as_str())),
            "{}: reading the pending requests is an audited read of their case",
            app.db.name
        );
        let (s, _) = call(
            &app,
            "GET",
            "/api/v1/fund-requests",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn attachments_are_checked_encrypted_and_come_back_byte_for_byte() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "att-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Attachment Case"}),
        )
        .await;
        let case = b["id"].as_str().unwrap().to_owned();
        let upload = |name: &str, bytes: Vec<u8>| {
            Request::builder()
                .method("POST")
                .uri(format!("/api/v1/cases/{case}/attachments?name={name}"))
                .header(header::AUTHORIZATION, format!("Bearer {spec}"))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(bytes))
                .unwrap()
        };
        let pdf = b"%PDF-1.4\n% a fictional letter\n".to_vec();
        let res = send(&app, upload("letter.pdf", pdf.clone())).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", app.db.name);
        let id = json(res).await["id"].as_str().unwrap().to_owned();
        let res = send(&app, upload("tool.exe", b"MZ\x90\x00\x03".to_vec())).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "executables are refused"
        );
        let res = send(&app, upload("big.txt", vec![b'a'; 10 * 1024 * 1024 + 1])).await;
        assert!(
            matches!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{}",
            res.status()
        );
        let res = send(
            &app,
            api(
                "GET",
                &format!("/api/v1/cases/{case}/attachments/{id}"),
                Some(&spec),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/pdf");
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(&body[..], &pdf[..]);
        let (_, c) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(&pdf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(c["attachments"][0]["sha256"], hex.as_str());
        // At rest, neither the name nor the content is readable.
        let raw = app
            .db
            .store
            .attachment(id.parse().unwrap(), id.parse().unwrap())
            .await
            .unwrap();
        assert!(raw.is_none(), "looked up through its own case only");
        let (meta, content) = app
            .db
            .store
            .attachment(case.parse().unwrap(), id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(
            !content.windows(4).any(|w| w == b"%PDF")
                && !meta.name.windows(6).any(|w| w == b"letter")
        );
    }
}

#[tokio::test]
async fn intake_searches_first_through_the_api_and_drafts_belong_to_their_author() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "dup-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, other) = worker(
            &app,
            org,
            "dup-other@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, first) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "María López", "birth_date": "1998-04-02"}),
        )
        .await;
        // A close match (accents, order, a typo in the day) is found first.
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Lopez Maria", "birth_date": "1998-04-12"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("possible_duplicate")),
            "{}",
            app.db.name
        );
        assert_eq!(b["here"][0], first["id"]);
        let (s, _) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Lopez Maria", "birth_date": "1998-04-12", "confirm_duplicate": true})).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, d) = call(
            &app,
            "POST",
            "/api/v1/intake-drafts",
            &spec,
            serde_json::json!({"name": "Half Done", "gender": "not-yet-valid"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "a draft may hold answers not valid yet"
        );
        let path = format!("/api/v1/intake-drafts/{}", d["id"].as_str().unwrap());
        let (s, got) = call(&app, "GET", &path, &spec, serde_json::Value::Null).await;
        assert_eq!(
            (s, got["input"]["name"].as_str()),
            (StatusCode::OK, Some("Half Done"))
        );
        let (s, _) = call(&app, "GET", &path, &other, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = call(
            &app,
            "PUT",
            &path,
            &other,
            serde_json::json!({"name": "Stolen"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn text_with_nul_characters_is_refused_as_input_not_a_fault() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, boss) = worker(&app, org, "nul-boss@example.test", &[Role::Supervisor]).await;
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &boss,
            serde_json::json!({"name": "Ana\u{0}Ruiz"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_text")),
            "{}",
            app.db.name
        );
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/funds",
            &boss,
            serde_json::json!({"name": "Fund\u{0}", "budget": "10"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_text")),
            "{}",
            app.db.name
        );
    }
}

// ---------------------------------------------------------------- relief (issue 5)

async fn law_enforcement_org(app: &App) -> OrganizationId {
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

async fn add_to_team(app: &App, owner: &str, case: &str, user: UserId, role: &str) {
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

fn outcome<'a>(evaluation: &'a serde_json::Value, pathway: &str) -> &'a serde_json::Value {
    evaluation["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["pathway"] == pathway)
        .unwrap_or_else(|| panic!("no {pathway} in {evaluation}"))
}

#[tokio::test]
async fn relief_facts_are_validated_stored_encrypted_and_evaluated() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "relief-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, other) = worker(
            &app,
            org,
            "relief-other@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, analyst) = worker(&app, org, "relief-analyst@example.test", &[Role::Analyst]).await;
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Relief Person", "birth_date": "1990-05-02", "residency": "foreign_national", "exploitation": "labor"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let case = b["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/cases/{case}/relief");
        // The case record feeds the engine: date of birth, citizenship, kind.
        let (s, r) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["facts"]["person"]["date_of_birth"], "1990-05-02");
        assert_eq!(r["facts"]["trafficking"]["kind"], "labor");
        assert_eq!(
            outcome(&r["evaluation"], "hhs_eligibility_letter")["status"],
            "not_applicable"
        );
        // Need to know: no relief for people off the case, or who see no personal data.
        for t in [&other, &analyst] {
            let (s, _) = call(&app, "GET", &url, t, serde_json::Value::Null).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{}", app.db.name);
        }
        // Impossible facts are refused naming the path; nothing is written.
        let facts = serde_json::json!({"format": "haven.relief-facts/1",
            "trafficking": {"force_fraud_or_coercion": true, "first_act_on": "2024-01-10"},
            "u_crime": {"substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true},
            "u_petition": {"filed_on": "2026-01-10", "approved_on": "2025-01-01"}});
        let (s, e) = call(&app, "PUT", &format!("{url}/facts"), &spec, facts).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], "u_petition.approved_on");
        let (s, e) = call(
            &app,
            "PUT",
            &format!("{url}/facts"),
            &spec,
            serde_json::json!({"format": "haven.relief-facts/1", "person": {"favourite": 1}}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["field"], "person.favourite");
        assert!(
            app.db
                .store
                .relief(case.parse().unwrap())
                .await
                .unwrap()
                .is_none(),
            "nothing half-written"
        );
        assert!(
            !app.db
                .store
                .case_facts(case.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .flag_1367
        );
        // A U certification signed today and a filed T application.
        let today = haven_domain::now().date();
        let facts = serde_json::json!({"format": "haven.relief-facts/1",
            "person": {"date_of_birth": "2001-01-01"},
            "trafficking": {"force_fraud_or_coercion": true, "first_act_on": "2024-01-10", "present_on_account_of_trafficking": true},
            "u_crime": {"substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true},
            "u_certification": {"signed_on": today.to_string()},
            "t_application": {"filed_on": today.to_string(), "personal_statement_signed": true}});
        let (s, e) = call(&app, "PUT", &format!("{url}/facts"), &spec, facts).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let u = outcome(&e, "u_principal");
        assert_eq!(u["status"], "likely_qualifies", "{u}");
        let file_by = haven_domain::relief::calendar::add_months(today, 6)
            .unwrap()
            .to_string();
        assert!(
            u["deadlines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "u_file_by" && d["on"] == file_by.as_str())
        );
        // Stored encrypted, without the fields the record owns; the record's
        // date of birth wins over the one sent.
        let stored = app
            .db
            .store
            .relief(case.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&stored.facts).contains("signed_on"),
            "the facts are ciphertext"
        );
        let (_, r) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert_eq!(r["facts"]["person"]["date_of_birth"], "1990-05-02");
        // Filing a T application links the case to 1367 (R-3).
        assert!(
            app.db
                .store
                .case_facts(case.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .flag_1367,
            "{}",
            app.db.name
        );
        let deadlines = app
            .db
            .store
            .case_deadlines(case.parse().unwrap())
            .await
            .unwrap();
        assert!(
            deadlines
                .iter()
                .any(|d| d.kind == "u_file_by" && d.due_on.to_string() == file_by)
        );
        // The deadline dashboard shows it to the team, named.
        let (s, d) = call(
            &app,
            "GET",
            "/api/v1/relief/deadlines?days=366",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert!(
            d.as_array()
                .unwrap()
                .iter()
                .any(|l| l["case_id"] == case.as_str()
                    && l["kind"] == "u_file_by"
                    && l["person_name"] == "Relief Person")
        );
        let (_, d) = call(
            &app,
            "GET",
            "/api/v1/relief/deadlines?days=366",
            &other,
            serde_json::Value::Null,
        )
        .await;
        assert!(
            d.as_array().unwrap().is_empty(),
            "{}: not on the case, nothing listed",
            app.db.name
        );
        let (s, _) = call(
            &app,
            "GET",
            "/api/v1/relief/deadlines?days=0",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // The page shows the pathway, its date and the rule.
        let html = text(
            send(
                &app,
                get(
                    &format!("/cases/{case}/relief"),
                    Some(&person_cookie(&app, "relief-spec@example.test").await),
                ),
            )
            .await,
        )
        .await;
        assert!(
            html.contains("U visa") && html.contains(&file_by) && html.contains("U-7"),
            "{}",
            app.db.name
        );
        // Stateless evaluation for partners checking the engine.
        let (s, e) = call(
            &app,
            "POST",
            "/api/v1/relief/evaluate?as_of=2026-11-28",
            &spec,
            serde_json::from_str(include_str!(
                "../../../docs/relief-examples/1-u-certification-clock.json"
            ))
            .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            outcome(&e, "u_principal")["deadlines"][1]["on"],
            "2027-02-28"
        );
        let (s, e) = call(
            &app,
            "POST",
            "/api/v1/relief/evaluate?as_of=2020-01-01",
            &spec,
            serde_json::from_str(include_str!(
                "../../../docs/relief-examples/1-u-certification-clock.json"
            ))
            .unwrap(),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "events after the evaluation date: {e}"
        );
    }
}

/// Signs in an existing person again (a fresh session cookie).
async fn person_cookie(app: &App, login: &str) -> String {
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

#[tokio::test]
async fn an_agent_drafts_a_certification_only_a_certifying_official_signs_and_signed_means_immutable()
 {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let le = law_enforcement_org(&app).await;
        let other_le = law_enforcement_org(&app).await;
        let (_, spec) = worker(
            &app,
            org,
            "doc-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (agent_id, agent) = worker(
            &app,
            le,
            "doc-agent@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        let (_, official) = worker(
            &app,
            le,
            "doc-official@example.test",
            &[Role::CertifyingOfficial],
        )
        .await;
        let (_, stranger) = worker(
            &app,
            other_le,
            "doc-stranger@example.test",
            &[Role::CertifyingOfficial],
        )
        .await;
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Doc Person", "birth_date": "1992-03-04", "residency": "foreign_national", "exploitation": "labor"})).await;
        assert_eq!(s, StatusCode::CREATED);
        let case = b["id"].as_str().unwrap().to_owned();
        // The team page offers partner agencies' agents, not their certifying officials.
        let cookie = person_cookie(&app, "doc-spec@example.test").await;
        let html = text(send(&app, get(&format!("/cases/{case}/team"), Some(&cookie))).await).await;
        assert!(
            html.contains("Person doc-agent@example.test"),
            "{}: partner agent offered",
            app.db.name
        );
        assert!(!html.contains("Person doc-stranger@example.test"));
        add_to_team(&app, &spec, &case, agent_id, "agent").await;
        // The case page names the partner agent on the team.
        let html = text(send(&app, get(&format!("/cases/{case}"), Some(&cookie))).await).await;
        assert!(
            html.contains("Person doc-agent@example.test: Law-enforcement agent"),
            "{}",
            app.db.name
        );
        // Only law enforcement on the team drafts.
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/documents"),
            &spec,
            serde_json::json!({"kind": "i918b"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}", app.db.name);
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/documents"),
            &agent,
            serde_json::json!({"kind": "i918b"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let doc = format!("/api/v1/documents/{}", b["id"].as_str().unwrap());
        let (s, d) = call(&app, "GET", &doc, &agent, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            d["content"]["victim_name"], "Doc Person",
            "filled from the case"
        );
        assert_eq!(d["content"]["crimes"], serde_json::json!(["trafficking"]));
        assert_eq!(d["may_sign"], false);
        // The certifying official of the agency reads it without being on the case; another agency's does not.
        let (s, d) = call(&app, "GET", &doc, &official, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(d["may_sign"], true);
        let (s, _) = call(&app, "GET", &doc, &stranger, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}"),
            &official,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "signing authority is not case access"
        );
        // Incomplete: signing names every missing statement (U-6).
        let (s, e) = call(
            &app,
            "POST",
            &format!("{doc}/signature"),
            &official,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let fields: Vec<&str> = e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"description")
                && fields.contains(&"helpful")
                && fields.contains(&"signer_authorized"),
            "{fields:?}"
        );
        let mut content = d["content"].clone();
        for (k, v) in [
            ("description", "Held in domestic work without pay."),
            ("crime_location", "Houston, Texas"),
            ("helpfulness", "Gave two interviews."),
        ] {
            content[k] = serde_json::json!(v);
        }
        for k in [
            "signer_authorized",
            "agency_responsible",
            "victim_of_the_crime",
            "possesses_information",
            "helpful",
            "occurred_in_united_states",
        ] {
            content[k] = serde_json::json!(true);
        }
        let (s, e) = call(
            &app,
            "PUT",
            &doc,
            &agent,
            serde_json::json!({"description": 5}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["field"], "description");
        let (s, e) = call(&app, "PUT", &doc, &agent, content.clone()).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
        // The agent cannot sign; the official can.
        let (s, _) = call(
            &app,
            "POST",
            &format!("{doc}/signature"),
            &agent,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, signed) = call(
            &app,
            "POST",
            &format!("{doc}/signature"),
            &official,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{signed}");
        let today = haven_domain::now().date();
        assert_eq!(signed["signed_on"], today.to_string());
        let (_, d) = call(&app, "GET", &doc, &agent, serde_json::Value::Null).await;
        assert_eq!(d["status"], "signed");
        assert_eq!(d["signer_role"], "certifying_official");
        assert_eq!(d["content_verified"], true);
        assert_eq!(d["content_sha256"].as_str().unwrap().len(), 64);
        // Immutable: no edit, no second signature.
        content["description"] = serde_json::json!("Changed after signing");
        let (s, e) = call(&app, "PUT", &doc, &agent, content).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["code"], "already_signed");
        let (s, _) = call(
            &app,
            "POST",
            &format!("{doc}/signature"),
            &official,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // The signature starts the six-month clock on the case (U-7).
        let (_, r) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}/relief"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            r["facts"]["u_certification"]["signed_on"],
            today.to_string()
        );
        let file_by = haven_domain::relief::calendar::add_months(today, 6)
            .unwrap()
            .to_string();
        assert!(
            outcome(&r["evaluation"], "u_principal")["deadlines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "u_file_by" && d["on"] == file_by.as_str()),
            "{r}"
        );
        // Withdrawal needs a written explanation, and reaches the facts.
        let (s, e) = call(
            &app,
            "POST",
            &format!("{doc}/withdrawal"),
            &official,
            serde_json::json!({"reason": "  "}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["field"], "reason");
        let (s, _) = call(
            &app,
            "POST",
            &format!("{doc}/withdrawal"),
            &agent,
            serde_json::json!({"reason": "No."}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = call(
            &app,
            "POST",
            &format!("{doc}/withdrawal"),
            &official,
            serde_json::json!({"reason": "The victim's statement was not corroborated."}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, d) = call(&app, "GET", &doc, &spec, serde_json::Value::Null).await;
        assert_eq!(d["status"], "withdrawn");
        assert_eq!(
            d["withdrawal_reason"],
            "The victim's statement was not corroborated."
        );
        let (_, r) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}/relief"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            r["facts"]["u_certification"]["withdrawn_on"],
            today.to_string()
        );
        assert!(
            outcome(&r["evaluation"], "u_principal")["explanation"]
                .to_string()
                .contains("U-13")
        );
        // Every step is audited.
        let actions: Vec<String> = app
            .db
            .store
            .audit_trail()
            .await
            .into_iter()
            .map(|r| r.action)
            .collect();
        for a in [
            "document.drafted",
            "document.read",
            "document.signed",
            "document.withdrawn",
        ] {
            assert!(
                actions.iter().any(|x| x == a),
                "{}: {a} audited",
                app.db.name
            );
        }
    }
}

#[tokio::test]
async fn deadline_reminders_reach_the_team_once_even_with_two_instances() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (spec_id, spec) = worker(
            &app,
            org,
            "remind-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (_, outsider) = worker(
            &app,
            org,
            "remind-outsider@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Remind Person", "residency": "foreign_national", "exploitation": "labor"})).await;
        assert_eq!(s, StatusCode::CREATED);
        let case = b["id"].as_str().unwrap().to_owned();
        // A U certification signed five months and a week ago: the filing
        // window closes within the reminder horizon.
        let signed = haven_domain::relief::calendar::add_months(haven_domain::now().date(), -6)
            .unwrap()
            + time::Duration::days(7);
        let facts = serde_json::json!({"format": "haven.relief-facts/1", "u_certification": {"signed_on": signed.to_string()}});
        let (s, e) = call(
            &app,
            "PUT",
            &format!("/api/v1/cases/{case}/relief/facts"),
            &spec,
            facts,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let now = haven_domain::now();
        let (a, b) = tokio::join!(
            haven_server::features::relief::queue_reminders(&app.state, "instance-a", now),
            haven_server::features::relief::queue_reminders(&app.state, "instance-b", now)
        );
        let queued: Vec<u64> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(queued, [1], "{}: one instance queues, once", app.db.name);
        assert_eq!(
            haven_server::features::relief::queue_reminders(&app.state, "instance-a", now)
                .await
                .unwrap(),
            None,
            "once a day"
        );
        let (a, b) = tokio::join!(
            haven_server::features::relief::deliver_messages(&app.state, "instance-a", now),
            haven_server::features::relief::deliver_messages(&app.state, "instance-b", now)
        );
        assert_eq!(
            a.unwrap() + b.unwrap(),
            1,
            "{}: delivered once",
            app.db.name
        );
        let (_, n) = call(
            &app,
            "GET",
            "/api/v1/notifications",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        let n = n.as_array().unwrap();
        assert_eq!(n.len(), 1, "{}", app.db.name);
        assert_eq!(n[0]["case_id"], case.as_str());
        assert_eq!(n[0]["payload"]["kind"], "u_file_by");
        assert!(
            !n[0].to_string().contains("Remind Person"),
            "no names in a notification"
        );
        let (_, none) = call(
            &app,
            "GET",
            "/api/v1/notifications",
            &outsider,
            serde_json::Value::Null,
        )
        .await;
        assert!(none.as_array().unwrap().is_empty());
        // On the home page, in the reader's language, until marked read.
        let cookie = person_cookie(&app, "remind-spec@example.test").await;
        let home = text(send(&app, get("/", Some(&cookie))).await).await;
        assert!(
            home.contains("Last day to file the I-918"),
            "{}",
            app.db.name
        );
        let (s, _) = call(
            &app,
            "POST",
            &format!(
                "/api/v1/notifications/{}/read",
                n[0]["id"].as_str().unwrap()
            ),
            &outsider,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "someone else's");
        let (s, _) = call(
            &app,
            "POST",
            &format!(
                "/api/v1/notifications/{}/read",
                n[0]["id"].as_str().unwrap()
            ),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(app.db.store.unread_notifications(spec_id).await.unwrap(), 0);
    }
}

// ---------------------------------------------------------------- directory and referrals (issue 6)

const HAVEN_SHELTER: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e06";
const HAVEN_SHELTER_ORG: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e01";

/// A Haven organization of `kind`.
async fn new_org(app: &App, name: &str, kind: haven_domain::OrgKind) -> OrganizationId {
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
async fn seed_shelter(app: &App, provider: Option<OrganizationId>) {
    let batch = haven_domain::directory::import::from_json(include_str!(
        "../../../tests/directory/haven-attributes.json"
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

#[tokio::test]
async fn the_directory_imports_searches_and_serves_hsds_to_partners() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (_, admin_cookie) =
            person(&app, org, "dir-admin@example.test", &[Role::Administrator]).await;
        let admin = make_token(&app, &admin_cookie, &["admin:read", "admin:write"]).await;
        let (_, spec) = worker(
            &app,
            org,
            "dir-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;

        // Import over the API: a full service record, then a bad one.
        let full: serde_json::Value = serde_json::from_str(include_str!(
            "../../../data/hsds/spec-3.0/examples/service_full.json"
        ))
        .unwrap();
        let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, full).await;
        assert_eq!(s, StatusCode::OK, "{}: {r}", app.db.name);
        assert_eq!(
            (
                r["services"].as_i64(),
                r["rejected"].as_array().map(Vec::len)
            ),
            (Some(1), Some(0)),
            "{r}"
        );
        let bad = serde_json::json!([{"id": "x", "name": "Nameless", "status": "open"}]);
        let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, bad).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["services"], 0);
        let reason = r["rejected"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("id: \"x\" is not a UUID") && reason.contains("status"),
            "{reason}"
        );
        let (s, _) = call(
            &app,
            "POST",
            "/api/v1/directory/import",
            &spec,
            serde_json::json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "only administrators import");
        seed_shelter(&app, None).await;

        // Case workers search: place, language and need; a confidential
        // place's distance is approximate.
        let (s, r) = call(
            &app,
            "GET",
            "/api/v1/directory/search?near=10001&radius=25&language=es&need=housing",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let hits = r["hits"].as_array().unwrap();
        assert_eq!(hits.len(), 1, "{}: {r}", app.db.name);
        assert_eq!(hits[0]["id"], HAVEN_SHELTER);
        assert_eq!(hits[0]["distance_approximate"], true);
        assert_eq!(
            hits[0]["referable"], false,
            "not linked to a Haven organization yet"
        );
        assert_eq!(hits[0]["capacity_available"], 4);
        let (s, r) = call(
            &app,
            "GET",
            "/api/v1/directory/search?near=19107&radius=10&need=housing",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (s, r["total"].as_i64()),
            (StatusCode::OK, Some(0)),
            "Philadelphia is too far"
        );
        let (s, r) = call(
            &app,
            "GET",
            "/api/v1/directory/search?near=00000",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r["message"].as_str().unwrap().contains("ZIP"));
        let (s, r) = call(
            &app,
            "GET",
            "/api/v1/directory/search?q=COUNSELLING",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            r["hits"][0]["name"], "Community Counselling",
            "words ignore case"
        );

        // Partners read HSDS with a directory:read token; nothing else does.
        let (_, partner_cookie) =
            person(&app, org, "dir-partner@example.test", &[Role::Analyst]).await;
        let partner = make_token(&app, &partner_cookie, &["directory:read"]).await;
        let admin_read = make_token(&app, &admin_cookie, &["admin:read"]).await;
        let (s, root) = call(&app, "GET", "/hsds/", &partner, serde_json::Value::Null).await;
        assert_eq!((s, root["version"].as_str()), (StatusCode::OK, Some("3.0")));
        let (s, _) = call(
            &app,
            "GET",
            "/hsds/services",
            &admin_read,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let res = send(&app, api("GET", "/hsds/services", None, None)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let (s, page) = call(
            &app,
            "GET",
            "/hsds/services?per_page=1&page=2",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (
                page["total_items"].as_i64(),
                page["total_pages"].as_i64(),
                page["size"].as_i64()
            ),
            (Some(2), Some(2), Some(1)),
            "{page}"
        );
        assert_eq!(
            (page["first_page"].as_bool(), page["last_page"].as_bool()),
            (Some(false), Some(true))
        );
        let (s, one) = call(
            &app,
            "GET",
            &format!("/hsds/services/{HAVEN_SHELTER}"),
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let text = one.to_string();
        assert!(
            !text.contains("1 Test Street") && !text.contains("40.75"),
            "a shelter's address never leaves its organization: {text}"
        );
        assert!(
            text.contains("haven:confidential_location") && text.contains("haven:need:housing"),
            "Haven's attributes are exported"
        );
        let (_, near) = call(
            &app,
            "GET",
            "/hsds/service_at_locations?postcode=10001&proximity=5000",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            near["contents"][0]["service"]["id"], HAVEN_SHELTER,
            "{near}"
        );
        assert!(near["contents"][0]["location"]["addresses"].is_null());
        // A service at two places: only the place within the proximity is listed.
        let two = serde_json::json!([{
            "id": "7d1c1a6e-0000-4000-8000-000000000001", "name": "Two-site legal clinic", "description": "Legal help.",
            "locations": [
                {"id": "7d1c1a6e-0000-4000-8000-000000000002", "location_type": "physical", "name": "Manhattan site", "latitude": 40.7506, "longitude": -73.9972},
                {"id": "7d1c1a6e-0000-4000-8000-000000000003", "location_type": "physical", "name": "Los Angeles site", "latitude": 34.0614, "longitude": -118.2385}
            ],
            "services": [{"id": "7d1c1a6e-0000-4000-8000-000000000004", "name": "Two-site legal help", "status": "active",
                "service_at_locations": [
                    {"id": "7d1c1a6e-0000-4000-8000-000000000005", "location_id": "7d1c1a6e-0000-4000-8000-000000000002"},
                    {"id": "7d1c1a6e-0000-4000-8000-000000000006", "location_id": "7d1c1a6e-0000-4000-8000-000000000003"}]}]
        }]);
        let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, two).await;
        assert_eq!(
            (s, r["services"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{r}"
        );
        let (_, near) = call(
            &app,
            "GET",
            "/hsds/service_at_locations?postcode=10001&proximity=5000&search=two",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        let names: Vec<&str> = near["contents"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["location"]["name"].as_str())
            .collect();
        assert_eq!(names, ["Manhattan site"], "{}: {near}", app.db.name);
        let (_, far) = call(
            &app,
            "GET",
            "/hsds/service_at_locations?postcode=19107&proximity=1000",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(far["total_items"], 0);
        let housing = haven_domain::directory::attributes::term_id("haven:need:housing");
        let (_, by_term) = call(
            &app,
            "GET",
            &format!("/hsds/services?taxonomy_term_id={housing}"),
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(by_term["total_items"], 1);
        assert_eq!(by_term["contents"][0]["id"], HAVEN_SHELTER);
        let (s, _) = call(
            &app,
            "GET",
            &format!("/hsds/services?taxonomy_term_id={}", uuid::Uuid::now_v7()),
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, terms) = call(
            &app,
            "GET",
            "/hsds/taxonomy_terms",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(terms["total_items"], 18 + 6 + 2);
        let (_, orgs) = call(
            &app,
            "GET",
            "/hsds/organizations",
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(orgs["total_items"], 3);
        let (_, shelter_org) = call(
            &app,
            "GET",
            &format!("/hsds/organizations/{HAVEN_SHELTER_ORG}"),
            &partner,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(shelter_org["services"][0]["id"], HAVEN_SHELTER);

        // The shelter's own staff see its address; nobody else does.
        let shelter = new_org(&app, "Shelter Org", haven_domain::OrgKind::ServiceProvider).await;
        seed_shelter(&app, Some(shelter)).await;
        let (_, staff_cookie) = person(
            &app,
            shelter,
            "dir-staff@example.test",
            &[Role::ProviderStaff],
        )
        .await;
        let res = send(
            &app,
            get(
                &format!("/api/v1/directory/services/{HAVEN_SHELTER}"),
                Some(&staff_cookie),
            ),
        )
        .await;
        assert!(text_contains(res, "1 Test Street").await, "{}", app.db.name);
        let (_, theirs) = call(
            &app,
            "GET",
            &format!("/api/v1/directory/services/{HAVEN_SHELTER}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert!(!theirs.to_string().contains("1 Test Street"));
        // Capacity: the shelter's staff update it; a specialist cannot.
        let csrf = csrf_of(&app, &staff_cookie).await;
        let res = send(
            &app,
            post_form(
                &format!("/directory/services/{HAVEN_SHELTER}/capacity"),
                &format!("csrf={csrf}&available=0&maximum=12&unit=beds"),
                Some(&staff_cookie),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, r) = call(
            &app,
            "GET",
            "/api/v1/directory/search?capacity=1&need=housing",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(r["total"], 0, "no beds now");
        let (s, _) = call(
            &app,
            "PUT",
            &format!("/api/v1/directory/services/{HAVEN_SHELTER}/capacity"),
            &spec,
            serde_json::json!({"available": 9}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

async fn text_contains(res: Response<Body>, needle: &str) -> bool {
    text(res).await.contains(needle)
}

#[tokio::test]
async fn a_referral_goes_round_the_loop_with_the_minimum_necessary() {
    for app in apps(no_mfa()).await {
        let org = app_org(&app).await;
        let (spec_id, spec) = worker(
            &app,
            org,
            "loop-spec@example.test",
            &[Role::VictimSpecialist],
        )
        .await;
        let shelter = new_org(&app, "Loop Shelter", haven_domain::OrgKind::ServiceProvider).await;
        let other = new_org(
            &app,
            "Other Provider",
            haven_domain::OrgKind::ServiceProvider,
        )
        .await;
        let (provider_id, provider_cookie) = person(
            &app,
            shelter,
            "loop-provider@example.test",
            &[Role::ProviderStaff],
        )
        .await;
        let provider = make_token(
            &app,
            &provider_cookie,
            &["referrals:read", "referrals:write"],
        )
        .await;
        let (_, other_cookie) = person(
            &app,
            other,
            "loop-other@example.test",
            &[Role::ProviderStaff],
        )
        .await;
        let other_staff =
            make_token(&app, &other_cookie, &["referrals:read", "referrals:write"]).await;
        seed_shelter(&app, Some(shelter)).await;

        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({"name": "Loop Person", "estimated_age": 30, "languages": ["es"], "phone": "555-0100", "residency": "foreign_national"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let case = b["id"].as_str().unwrap().to_owned();
        let (_, need) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/entries"),
            &spec,
            serde_json::json!({"kind": "need", "category": "housing", "urgency": "high"}),
        )
        .await;
        let (_, plan) = call(&app, "POST", &format!("/api/v1/cases/{case}/entries"), &spec, serde_json::json!({"kind": "plan_item", "parent_id": need["id"], "text": "Shelter bed"})).await;
        let send_body = |personal: bool| serde_json::json!({"plan_item_id": plan["id"], "service_id": HAVEN_SHELTER, "note": "Tonight if possible", "include_personal": personal});

        // Personal details need a release to the provider.
        let (s, e) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/referrals"),
            &spec,
            send_body(true),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str(), e["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("no_release"),
                Some("include_personal")
            ),
            "{e}"
        );
        let (s, e) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/referrals"),
            &spec,
            serde_json::json!({"plan_item_id": need["id"], "service_id": HAVEN_SHELTER}),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_plan_item"))
        );
        let (s, r) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/referrals"),
            &spec,
            send_body(false),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{}: {r}", app.db.name);
        let first = r["id"].as_str().unwrap().to_owned();

        // The provider sees an anonymous referral; nobody else sees it.
        let (s, list) = call(
            &app,
            "GET",
            "/api/v1/referrals/incoming",
            &provider,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(
            (
                list[0]["need"].as_str(),
                list[0]["urgency"].as_str(),
                list[0]["age_range"].as_str()
            ),
            (Some("housing"), Some("high"), Some("25_39"))
        );
        assert!(
            list[0]["note"].is_null(),
            "notes are read one referral at a time"
        );
        let (_, one) = call(
            &app,
            "GET",
            &format!("/api/v1/referrals/incoming/{first}"),
            &provider,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(one["note"], "Tonight if possible");
        assert!(one["personal"].is_null());
        assert!(
            !one.to_string().contains("Loop Person"),
            "no name without a release"
        );
        assert!(
            one.get("case_id").is_none(),
            "the case id never goes to the provider"
        );
        let (_, theirs) = call(
            &app,
            "GET",
            "/api/v1/referrals/incoming",
            &other_staff,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            theirs.as_array().unwrap().len(),
            0,
            "another provider sees nothing"
        );
        let (s, _) = call(
            &app,
            "GET",
            &format!("/api/v1/referrals/incoming/{first}"),
            &other_staff,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = call(
            &app,
            "GET",
            &format!("/api/v1/referrals/incoming/{first}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "the sender reads it on the case, not as a provider"
        );
        let res = send(&app, get(&format!("/cases/{case}"), Some(&provider_cookie))).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "a referral is not a key to the case"
        );

        // Answers follow the loop.
        let answer_url = format!("/api/v1/referrals/incoming/{first}/responses");
        let respond = |body: serde_json::Value| call(&app, "POST", &answer_url, &provider, body);
        let (s, e) = respond(serde_json::json!({"status": "completed"})).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_allowed_now"))
        );
        let (s, e) = respond(serde_json::json!({"status": "declined"})).await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("decline_reason"))
        );
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/referrals/incoming/{first}/responses"),
            &other_staff,
            serde_json::json!({"status": "accepted"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, e) = respond(serde_json::json!({"status": "accepted", "note": "Bed held"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
        let (s, _) = respond(serde_json::json!({"status": "accepted"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "already accepted");
        let (_, on_case) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{case}/referrals"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            on_case[0]["status"], "accepted",
            "{}: {on_case}",
            app.db.name
        );
        assert_eq!(on_case[0]["history"][1]["note"], "Bed held");

        // With a release of identity and contact to the shelter, the name and
        // safe contact go along, until the release is revoked.
        let today = haven_domain::now().date();
        let (s, c) = call(&app, "POST", &format!("/api/v1/cases/{case}/consents"), &spec, serde_json::json!({
            "parties": [{"signer": "victim"}], "recipient_organization_id": shelter.to_string(), "purpose": "Shelter referral",
            "fields": ["identity", "contact"], "signed_on": today.to_string(), "expires_on": (today + time::Duration::days(90)).to_string()})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let (s, r) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/referrals"),
            &spec,
            send_body(true),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let second = r["id"].as_str().unwrap().to_owned();
        let (_, one) = call(
            &app,
            "GET",
            &format!("/api/v1/referrals/incoming/{second}"),
            &provider,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (
                one["personal"]["name"].as_str(),
                one["personal"]["phone"].as_str()
            ),
            (Some("Loop Person"), Some("555-0100")),
            "{one}"
        );
        let (s, _) = call(
            &app,
            "DELETE",
            &format!(
                "/api/v1/cases/{case}/consents/{}",
                c["id"].as_str().unwrap()
            ),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, one) = call(
            &app,
            "GET",
            &format!("/api/v1/referrals/incoming/{second}"),
            &provider,
            serde_json::Value::Null,
        )
        .await;
        assert!(
            one["personal"].is_null(),
            "a revoked release takes the details back at once"
        );

        // Unanswered after the configured hours: the sender and the provider
        // are reminded once; the provider's reminder names no case.
        let later = haven_domain::now() + time::Duration::hours(49);
        assert_eq!(
            haven_server::features::referrals::queue_reminders(&app.state, later)
                .await
                .unwrap(),
            2,
            "{}",
            app.db.name
        );
        assert_eq!(
            haven_server::features::referrals::queue_reminders(&app.state, later)
                .await
                .unwrap(),
            0
        );
        haven_server::features::relief::deliver_messages(&app.state, "test", later)
            .await
            .unwrap();
        let theirs = app.db.store.notifications(provider_id, 10).await.unwrap();
        let overdue: Vec<_> = theirs
            .iter()
            .filter(|n| n.kind == "referral_overdue")
            .collect();
        assert_eq!(overdue.len(), 1);
        assert!(overdue[0].case.is_none() && !overdue[0].payload.contains("Loop Person"));
        assert!(
            theirs.iter().any(|n| n.kind == "referral_received"),
            "told when it arrived"
        );
        let mine = app.db.store.notifications(spec_id, 10).await.unwrap();
        assert!(
            mine.iter()
                .any(|n| n.kind == "referral_updated" && n.case.is_some())
        );
        assert!(mine.iter().any(|n| n.kind == "referral_overdue"));

        // The sender withdraws the second; the provider can no longer answer it.
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/referrals/{second}/withdrawal"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = call(
            &app,
            "POST",
            &format!("/api/v1/referrals/incoming/{second}/responses"),
            &provider,
            serde_json::json!({"status": "accepted"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // Loop-closure figures: the provider sees its own.
        let (s, st) = call(
            &app,
            "GET",
            "/api/v1/referrals/stats",
            &provider,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st.as_array().unwrap().len(), 1);
        assert_eq!(
            (st[0]["total"].as_i64(), st[0]["accepted"].as_i64()),
            (Some(2), Some(1)),
            "{st}"
        );
        let (s, _) = call(
            &app,
            "GET",
            "/api/v1/referrals/stats",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a specialist is neither a supervisor nor the provider"
        );
    }
}

/// A birth date `years` (and some weeks) ago, as YYYY-MM-DD: the age is
/// `years` whatever the local date.
fn born_years_ago(years: i32) -> String {
    let d = haven_domain::now().date() - time::Duration::days(40);
    d.replace_day(1)
        .unwrap()
        .replace_year(d.year() - years)
        .unwrap()
        .to_string()
}

/// A local time `days` days from now at `hour`:00, "YYYY-MM-DDTHH:MM".
fn local_in(days: i64, hour: u8) -> String {
    let d = haven_domain::now().date() + time::Duration::days(days);
    format!("{d}T{hour:02}:00")
}

fn interview_settings() -> Settings {
    Settings {
        require_mfa: false,
        recording_limit_bytes: 3 * 1024 * 1024,
        sms_inbound_token: Some(
            haven_server::features::notices::delivery::WebhookToken::new("provider-secret".into()),
        ),
        ..Settings::default()
    }
}

#[tokio::test]
async fn forensic_interviews_through_the_api_route_refuse_conflicts_and_keep_custody() {
    for app in apps(interview_settings()).await {
        let name = app.db.name;
        let org = app_org(&app).await;
        let police = law_enforcement_org(&app).await;
        let cac = new_org(&app, "Child Advocacy Center", OrgKind::Ngo).await;
        let (_, spec) = worker(&app, org, "iv-spec@example.test", &[Role::VictimSpecialist]).await;
        let (agent_id, _) = worker(
            &app,
            police,
            "iv-agent@example.test",
            &[Role::LawEnforcementAgent],
        )
        .await;
        // A task-force agent trained as a forensic interviewer.
        let (_, fi) = worker(
            &app,
            police,
            "iv-fi@example.test",
            &[Role::ForensicInterviewer, Role::LawEnforcementAgent],
        )
        .await;
        let (fi2_id, _) = worker(
            &app,
            police,
            "iv-fi2@example.test",
            &[Role::ForensicInterviewer],
        )
        .await;
        let (_, other_fi) = worker(
            &app,
            cac,
            "iv-cac@example.test",
            &[Role::ForensicInterviewer],
        )
        .await;
        let (s, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({
            "name": "Niña Prueba", "birth_date": born_years_ago(15), "residency": "foreign_national",
            "languages": ["es"], "email": "nina@example.test", "phone": "(555) 010-2030",
            "safe_channel": "email", "may_leave_message": true, "code_word": "luna"})).await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let case = b["id"].as_str().unwrap().to_owned();
        add_to_team(&app, &spec, &case, agent_id, "agent").await;
        let url = format!("/api/v1/cases/{case}/interviews");

        // A request names its reason; it goes to the team agent's
        // organization, the first with forensic interviewers (VAP-1).
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"reason": " "}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
            "{name}: {b}"
        );
        let (s, b) = call(&app, "POST", &url, &spec, serde_json::json!({
            "reason": "Disclosure at school", "interpreter_needed": true, "observers_wanted": "Prosecutor"})).await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let iv = b["id"].as_str().unwrap().to_owned();
        let (s, v) = call(
            &app,
            "GET",
            &format!("/api/v1/interviews/{iv}"),
            &fi,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {v}");
        assert_eq!(v["organization_id"], police.to_string(), "{name}");
        assert_eq!(v["age_at_interview"], 15, "{name}");
        assert_eq!(v["requires_specialist"], true, "{name}");
        assert_eq!(v["language"], "es", "{name}");
        assert_eq!(v["person_name"], "Niña Prueba", "{name}");
        let (_, q) = call(
            &app,
            "GET",
            "/api/v1/interviews",
            &fi,
            serde_json::Value::Null,
        )
        .await;
        assert!(
            q.as_array().unwrap().iter().any(|l| l["id"] == iv.as_str()),
            "{name}: {q}"
        );
        // Another organization's interviewer learns nothing of it.
        let (s, _) = call(
            &app,
            "GET",
            &format!("/api/v1/interviews/{iv}"),
            &other_fi,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
        let (_, q) = call(
            &app,
            "GET",
            "/api/v1/interviews",
            &other_fi,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(q, serde_json::json!([]), "{name}");
        // A specialist has no interview queue.
        let (s, _) = call(
            &app,
            "GET",
            "/api/v1/interviews",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");

        // One interview, not many: a second request shows the first and
        // needs a reason; observing it is the other way.
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"reason": "Again"}),
        )
        .await;
        assert_eq!(b["code"], "repeat_needs_reason", "{name}: {s} {b}");
        let (_, list) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert_eq!(
            list["earlier"].as_array().unwrap().len(),
            1,
            "{name}: {list}"
        );
        assert_eq!(list["interviews"][0]["id"], iv.as_str(), "{name}");

        // Scheduling: an interpreter is needed; then the Spanish notice.
        let sched = format!("/api/v1/interviews/{iv}/schedule");
        let at = local_in(9, 10);
        let mut plan = serde_json::json!({"starts_at": at, "minutes": 90, "place": "CAC room 1",
            "interviewer_id": fi2_id.to_string(), "notify_victim": true});
        let (s, b) = call(&app, "PUT", &sched, &fi, plan.clone()).await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("interpreter")),
            "{name}: {b}"
        );
        plan["interpreter"] = "Ana (Spanish)".into();
        plan["interpreter_language"] = "es".into();
        let (s, b) = call(&app, "PUT", &sched, &fi, plan.clone()).await;
        assert_eq!(s, StatusCode::OK, "{name}: {b}");
        assert_eq!(b["notice"]["channel"], "email", "{name}: {b}");
        assert_eq!(b["notice"]["lang"], "es", "{name}: {b}");
        // The same interviewer cannot be in two rooms at once.
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Adult Prueba", "birth_date": born_years_ago(30)}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let case2 = b["id"].as_str().unwrap().to_owned();
        add_to_team(&app, &spec, &case2, agent_id, "agent").await;
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case2}/interviews"),
            &spec,
            serde_json::json!({"reason": "Labor case", "traumatized": true}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let iv2 = b["id"].as_str().unwrap().to_owned();
        let (s, b) = call(
            &app,
            "PUT",
            &format!("/api/v1/interviews/{iv2}/schedule"),
            &fi,
            serde_json::json!({
            "starts_at": local_in(9, 11), "minutes": 60, "place": "CAC room 2",
            "interviewer_id": fi2_id.to_string()}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("schedule_conflict")),
            "{name}: {b}"
        );
        assert!(
            b["message"]
                .as_str()
                .unwrap()
                .starts_with("The interviewer already has an interview from"),
            "{name}: {b}"
        );

        // Files: streamed in, byte for byte out, with custody.
        let body: Vec<u8> = (0..(2 * 1024 * 1024 + 77))
            .map(|i: u32| (i % 251) as u8)
            .collect();
        let upload = |data: Vec<u8>| {
            Request::post(format!(
                "/api/v1/interviews/{iv}/files?kind=recording&name=interview.mp4"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {fi}"))
            .header(header::CONTENT_TYPE, "video/mp4")
            .body(Body::from(data))
            .unwrap()
        };
        let res = send(&app, upload(body.clone())).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name}");
        let file = json(res).await["id"].as_str().unwrap().to_owned();
        let res = send(
            &app,
            api(
                "GET",
                &format!("/api/v1/interview-files/{file}"),
                Some(&fi),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{name}");
        let sha = res.headers()["x-content-sha256"]
            .to_str()
            .unwrap()
            .to_owned();
        let got = res.into_body().collect().await.unwrap().to_bytes();
        assert!(
            got.as_ref() == body.as_slice(),
            "{name}: the file came back changed"
        );
        use sha2::Digest;
        let want: String = sha2::Sha256::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha, want, "{name}");
        // Too large: refused, and nothing is kept.
        let res = send(&app, upload(vec![7u8; 3 * 1024 * 1024 + 1])).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(json(res).await["code"], "too_large", "{name}");
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/interview-files/{file}/transfers"),
            &fi,
            serde_json::json!({"recipient": "County prosecutor", "purpose": "trial"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {b}");
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/interview-files/{file}/verification"),
            &fi,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (s, &b["matches"]),
            (StatusCode::OK, &serde_json::json!(true)),
            "{name}: {b}"
        );
        let (_, v) = call(
            &app,
            "GET",
            &format!("/api/v1/interviews/{iv}"),
            &fi,
            serde_json::Value::Null,
        )
        .await;
        let files = v["files"].as_array().unwrap();
        assert_eq!(
            files.len(),
            1,
            "{name}: the refused upload left nothing: {v}"
        );
        let actions: Vec<&str> = files[0]["custody"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["stored", "downloaded", "transferred", "verified"],
            "{name}"
        );
        // Another organization's interviewer cannot read the file.
        let res = send(
            &app,
            api(
                "GET",
                &format!("/api/v1/interview-files/{file}"),
                Some(&other_fi),
                None,
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name}");

        // The record: advocate-confidential is victim services' only, never
        // law enforcement's.
        let rec = format!("/api/v1/interviews/{iv}/record");
        let (s, b) = call(
            &app,
            "POST",
            &rec,
            &fi,
            serde_json::json!({"summary": "Held", "compartment": "advocate"}),
        )
        .await;
        assert_eq!(b["code"], "compartment_not_allowed", "{name}: {s} {b}");
        let (s, b) = call(
            &app,
            "POST",
            &rec,
            &fi,
            serde_json::json!({"summary": "Held with interpreter", "compartment": "shared"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {b}");
        let (_, v) = call(
            &app,
            "GET",
            &format!("/api/v1/interviews/{iv}"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (v["status"].as_str(), v["summary"].as_str()),
            (Some("completed"), Some("Held with interpreter")),
            "{name}: {v}"
        );
    }
}

#[tokio::test]
async fn notices_go_only_where_the_victim_said_and_stop_means_stop() {
    for app in apps(interview_settings()).await {
        let name = app.db.name;
        let org = app_org(&app).await;
        let (_, spec) = worker(&app, org, "nt-spec@example.test", &[Role::VictimSpecialist]).await;
        let (s, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({
            "name": "Rosa Prueba", "birth_date": born_years_ago(25), "languages": ["es"],
            "phone": "(555) 010-2030", "email": "rosa@example.test",
            "safe_channel": "sms", "may_leave_message": true, "code_word": "sol"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let case = b["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/cases/{case}/notices");
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "verdict"}),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_event")),
            "{name}: {b}"
        );
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "proceeding_scheduled"}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("when")),
            "{name}: {b}"
        );
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "proceeding_scheduled", "when": "tomorrow"}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("when")),
            "{name}: {b}"
        );
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "arrest"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        assert_eq!(
            (
                b["channel"].as_str(),
                b["lang"].as_str(),
                b["status"].as_str()
            ),
            (Some("sms"), Some("es"), Some("pending")),
            "{name}: {b}"
        );
        let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        let sent = &n["notices"][0];
        assert!(
            sent["text"].as_str().unwrap().starts_with("sol: "),
            "{name}: {n}"
        );
        assert_eq!(sent["rule"], "R-2", "{name}");
        assert!(
            !sent["to"].as_str().unwrap().contains("010"),
            "{name}: the number is masked: {n}"
        );
        // The provider's webhook: only with its token; a STOP reply stops
        // every message to that number at once.
        let hook = |token: Option<&str>, text: &str| {
            api(
                "POST",
                "/api/v1/sms/inbound",
                token,
                Some(serde_json::json!({"from": "+1 555 010 2030", "text": text})),
            )
        };
        assert_eq!(
            send(&app, hook(None, "STOP")).await.status(),
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        assert_eq!(
            send(&app, hook(Some(&spec), "STOP")).await.status(),
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        let b = json(send(&app, hook(Some("provider-secret"), "gracias")).await).await;
        assert_eq!(b["opted_out"], false, "{name}");
        let b = json(send(&app, hook(Some("provider-secret"), " Alto ")).await).await;
        assert_eq!(b["opted_out"], true, "{name}");
        let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert_eq!(
            n["notices"][0]["status"], "opted_out",
            "{name}: the waiting message was closed: {n}"
        );
        let sms = n["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "sms")
            .unwrap();
        assert_eq!(sms["opted_out"], true, "{name}: {n}");
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "charges"}),
        )
        .await;
        assert_eq!(
            (s, b["status"].as_str()),
            (StatusCode::CREATED, Some("opted_out")),
            "{name}: {b}"
        );
        // She tells her specialist she wants to hear again.
        let opt = format!("/api/v1/cases/{case}/opt-outs/sms");
        let (s, _) = call(&app, "DELETE", &opt, &spec, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}");
        let (_, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "charges"}),
        )
        .await;
        assert_eq!(b["status"], "pending", "{name}: {b}");
        let (s, b) = call(
            &app,
            "PUT",
            &format!("/api/v1/cases/{case}/opt-outs/fax"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_channel")),
            "{name}"
        );

        // Staff settings are one's own.
        let settings = "/api/v1/account/notification-settings";
        let (_, b) = call(&app, "GET", settings, &spec, serde_json::Value::Null).await;
        assert_eq!(b["email"], serde_json::json!([]), "{name}");
        let (s, b) = call(
            &app,
            "PUT",
            settings,
            &spec,
            serde_json::json!({"email": ["interviews", "gossip"]}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("email")),
            "{name}"
        );
        let (s, _) = call(
            &app,
            "PUT",
            settings,
            &spec,
            serde_json::json!({"email": ["interviews"]}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}");
        let (_, b) = call(&app, "GET", settings, &spec, serde_json::Value::Null).await;
        assert_eq!(b["email"], serde_json::json!(["interviews"]), "{name}");

        // Templates: administrators only; the wording is checked.
        let (s, _) = call(
            &app,
            "GET",
            "/api/v1/notice-templates",
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
        let (_, admin_cookie) =
            person(&app, org, "nt-admin@example.test", &[Role::Administrator]).await;
        let admin = make_token(&app, &admin_cookie, &["admin:read", "admin:write"]).await;
        let (s, t) = call(
            &app,
            "GET",
            "/api/v1/notice-templates",
            &admin,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{name}: {t}");
        assert!(
            t.as_array()
                .unwrap()
                .iter()
                .any(|x| x["lang"] == "es" && x["key"] == "notice-arrest"),
            "{name}"
        );
        let tpl = "/api/v1/notice-templates/es/notice-arrest";
        let (s, b) = call(
            &app,
            "PUT",
            tpl,
            &admin,
            serde_json::json!({"body": "Hola { $offender }"}),
        )
        .await;
        assert_eq!(
            (s, b["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("body")),
            "{name}: {b}"
        );
        let (s, b) = call(
            &app,
            "PUT",
            tpl,
            &admin,
            serde_json::json!({"body": "Novedades. Llame a { $specialist }."}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {b}");
        let (s, b) = call(
            &app,
            "PUT",
            "/api/v1/notice-templates/xx/notice-arrest",
            &admin,
            serde_json::json!({"body": "x"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}: {b}");
        // The organization's wording is what goes out.
        let (_, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "arrest"}),
        )
        .await;
        assert_eq!(b["status"], "pending", "{name}: {b}");
        let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert!(
            n["notices"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("sol: Novedades. Llame a "),
            "{name}: {n}"
        );
        let (s, _) = call(&app, "DELETE", tpl, &admin, serde_json::Value::Null).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}");

        // A court date ahead is told to her (R-1) unless the team holds it;
        // a past one is history, not news.
        let entries = format!("/api/v1/cases/{case}/entries");
        let ahead = (haven_domain::now().date() + time::Duration::days(20)).to_string();
        let past = (haven_domain::now().date() - time::Duration::days(20)).to_string();
        let count = async || {
            let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
            n["notices"].as_array().unwrap().len()
        };
        let before = count().await;
        for (on, hold) in [(&ahead, true), (&past, false)] {
            let (s, b) = call(&app, "POST", &entries, &spec, serde_json::json!({"kind": "court", "text": "Hearing", "occurred_on": on, "hold_notice": hold})).await;
            assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        }
        assert_eq!(
            count().await,
            before,
            "{name}: held and past court dates send nothing"
        );
        let (s, b) = call(&app, "POST", &entries, &spec, serde_json::json!({"kind": "court", "text": "Arraignment before Judge X", "occurred_on": ahead})).await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        assert_eq!(n["notices"].as_array().unwrap().len(), before + 1, "{name}");
        let court = &n["notices"][0];
        assert_eq!(
            (
                court["event"].as_str(),
                court["rule"].as_str(),
                court["status"].as_str()
            ),
            (
                Some("proceeding_scheduled"),
                Some("R-1, R-2"),
                Some("pending")
            ),
            "{name}: {court}"
        );
        let text = court["text"].as_str().unwrap();
        assert!(
            text.starts_with("sol: Hay una fecha de corte el ") && text.contains(&ahead),
            "{name}: {text}"
        );
        assert!(
            !text.contains("Judge") && !text.contains("Arraignment"),
            "{name}: no case details: {text}"
        );
        // A court date the team types is shown as typed, in local time.
        let (s, b) = call(
            &app,
            "POST",
            &url,
            &spec,
            serde_json::json!({"event": "proceeding_scheduled", "when": "2026-12-08T10:00"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let (_, n) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
        let text = n["notices"][0]["text"].as_str().unwrap();
        assert!(text.contains("el 2026-12-08 10:00."), "{name}: {text}");
    }
}

/// The project's local SMTP sink and SMS stub (`tests/sinks/sink.py`), on
/// free ports, stopped when dropped.
struct Sink {
    child: std::process::Child,
    smtp: u16,
    http: u16,
    _dir: tempfile::TempDir,
}

impl Sink {
    async fn start() -> Self {
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

    fn transports(&self) -> haven_server::features::notices::delivery::Transports {
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
    fn control(&self, method: &str, path: &str) -> serde_json::Value {
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

#[tokio::test]
async fn notices_and_staff_copies_reach_the_sink_once_with_retries_after_a_provider_failure() {
    let sink = Sink::start().await;
    let transports = sink.transports();
    for app in apps(interview_settings()).await {
        let name = app.db.name;
        sink.control("POST", "/reset");
        let org = app_org(&app).await;
        let (_, spec) = worker(&app, org, "dl-spec@example.test", &[Role::VictimSpecialist]).await;
        let (_, fi) = worker(
            &app,
            org,
            "dl-fi@example.test",
            &[Role::ForensicInterviewer],
        )
        .await;
        let (_, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({
            "name": "Rosa Entrega", "birth_date": born_years_ago(25), "languages": ["es"],
            "phone": "(555) 010-4477", "safe_channel": "sms", "may_leave_message": true, "code_word": "sol"})).await;
        let by_sms = b["id"].as_str().unwrap().to_owned();
        let (_, b) = call(&app, "POST", "/api/v1/cases", &spec, serde_json::json!({
            "name": "Ann Delivery", "birth_date": born_years_ago(31),
            "email": "ann@example.test", "safe_channel": "email", "may_leave_message": true, "code_word": "blue"})).await;
        let by_email = b["id"].as_str().unwrap().to_owned();
        for case in [&by_sms, &by_email] {
            let (s, b) = call(
                &app,
                "POST",
                &format!("/api/v1/cases/{case}/notices"),
                &spec,
                serde_json::json!({"event": "charges"}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        }
        // The interviewer asked for e-mail copies of interview news.
        let (s, _) = call(
            &app,
            "PUT",
            "/api/v1/account/notification-settings",
            &fi,
            serde_json::json!({"email": ["interviews"]}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{name}");
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{by_email}/interviews"),
            &spec,
            serde_json::json!({"reason": "Statement"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let now = haven_domain::now();
        assert!(
            haven_server::features::relief::deliver_messages(&app.state, "owner-a", now)
                .await
                .unwrap()
                >= 1,
            "{name}"
        );
        let (_, inbox) = call(
            &app,
            "GET",
            "/api/v1/notifications",
            &fi,
            serde_json::Value::Null,
        )
        .await;
        assert!(
            inbox
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "interview_requested"),
            "{name}: in the web UI too: {inbox}"
        );

        // The provider is down once: the SMS waits and is retried.
        sink.control("POST", "/fail-sms?count=1");
        let (claimed, sent) = haven_server::features::notices::delivery::deliver_due(
            &app.state,
            &transports,
            "owner-a",
            now,
        )
        .await
        .unwrap();
        assert_eq!((claimed, sent), (3, 2), "{name}");
        let (_, n) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{by_sms}/notices"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        let waiting = &n["notices"][0];
        assert_eq!(
            (
                waiting["status"].as_str(),
                waiting["attempts"].as_i64(),
                waiting["last_error"].as_str()
            ),
            (Some("pending"), Some(1), Some("HTTP 503")),
            "{name}: {n}"
        );
        // Not before its back-off...
        let (claimed, _) = haven_server::features::notices::delivery::deliver_due(
            &app.state,
            &transports,
            "owner-b",
            haven_domain::now(),
        )
        .await
        .unwrap();
        assert_eq!(claimed, 0, "{name}");
        // ...then once.
        let later = haven_domain::now() + time::Duration::minutes(2);
        let (claimed, sent) = haven_server::features::notices::delivery::deliver_due(
            &app.state,
            &transports,
            "owner-b",
            later,
        )
        .await
        .unwrap();
        assert_eq!((claimed, sent), (1, 1), "{name}");
        let (claimed, _) = haven_server::features::notices::delivery::deliver_due(
            &app.state,
            &transports,
            "owner-a",
            later + time::Duration::hours(2),
        )
        .await
        .unwrap();
        assert_eq!(claimed, 0, "{name}: nothing goes twice");
        let (_, n) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{by_sms}/notices"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        let delivered = &n["notices"][0];
        assert_eq!(
            (delivered["status"].as_str(), delivered["attempts"].as_i64()),
            (Some("sent"), Some(2)),
            "{name}: {n}"
        );

        let got = sink.control("GET", "/messages");
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), 3, "{name}: {got:?}");
        let sms: Vec<_> = got.iter().filter(|m| m["channel"] == "sms").collect();
        assert_eq!(sms.len(), 1, "{name}");
        assert_eq!(
            sms[0]["id"], delivered["id"],
            "{name}: the provider sees the delivery id"
        );
        assert_eq!(sms[0]["auth"], "Bearer sms-provider-token", "{name}");
        assert!(
            sms[0]["to"].as_str().unwrap().ends_with("5550104477"),
            "{name}: {sms:?}"
        );
        let body = sms[0]["body"].as_str().unwrap();
        assert!(
            body.starts_with("sol: ") && body.contains("ALTO"),
            "{name}: {body}"
        );
        assert!(!body.contains("Rosa"), "{name}: no name in the message");
        let mail: Vec<_> = got.iter().filter(|m| m["channel"] == "email").collect();
        let victim = mail
            .iter()
            .find(|m| m["to"] == "ann@example.test")
            .expect("the victim's e-mail");
        assert!(
            victim["body"].as_str().unwrap().starts_with("blue: "),
            "{name}: {victim}"
        );
        let staff = mail
            .iter()
            .find(|m| m["to"] == "dl-fi@example.test")
            .expect("the interviewer's copy");
        let text = staff["body"].as_str().unwrap();
        assert!(
            !text.contains("Ann") && !text.contains("Statement"),
            "{name}: no personal data by staff e-mail: {text}"
        );
        // The staff copy is not on the victim's notice history.
        let (_, n) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{by_email}/notices"),
            &spec,
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(n["notices"].as_array().unwrap().len(), 1, "{name}: {n}");
    }
}

/// A body that sends `parts` pieces of 64 KiB with `gap` before each.
fn trickle(parts: u32, gap: std::time::Duration) -> Body {
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

#[tokio::test]
async fn a_slow_recording_upload_may_outlast_the_request_timeout_but_a_stalled_one_stops() {
    let settings = Settings {
        request_timeout: std::time::Duration::from_millis(800),
        ..interview_settings()
    };
    for app in apps(settings).await {
        let name = app.db.name;
        let org = app_org(&app).await;
        let (_, spec) = worker(&app, org, "up-spec@example.test", &[Role::VictimSpecialist]).await;
        let (fi_id, fi) = worker(
            &app,
            org,
            "up-fi@example.test",
            &[Role::ForensicInterviewer],
        )
        .await;
        let (_, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            &spec,
            serde_json::json!({"name": "Slow Upload", "birth_date": born_years_ago(12)}),
        )
        .await;
        let case = b["id"].as_str().unwrap().to_owned();
        let (s, b) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{case}/interviews"),
            &spec,
            serde_json::json!({"reason": "Disclosure"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let iv = b["id"].as_str().unwrap().to_owned();
        let (s, b) = call(&app, "PUT", &format!("/api/v1/interviews/{iv}/schedule"), &fi, serde_json::json!({
            "starts_at": local_in(3, 9), "minutes": 60, "place": "CAC", "interviewer_id": fi_id.to_string()})).await;
        assert_eq!(s, StatusCode::OK, "{name}: {b}");
        let upload = |body: Body| {
            Request::post(format!(
                "/api/v1/interviews/{iv}/files?kind=recording&name=slow.mp4"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {fi}"))
            .header(header::CONTENT_TYPE, "video/mp4")
            .body(body)
            .unwrap()
        };
        // 1.5 s in all, never 800 ms without a byte: kept.
        let res = send(
            &app,
            upload(trickle(5, std::time::Duration::from_millis(300))),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name}");
        // A sender that stops: let go, nothing kept.
        let res = send(
            &app,
            upload(trickle(2, std::time::Duration::from_millis(1200))),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(json(res).await["code"], "upload_stalled", "{name}");
        let (_, v) = call(
            &app,
            "GET",
            &format!("/api/v1/interviews/{iv}"),
            &fi,
            serde_json::Value::Null,
        )
        .await;
        let files = v["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{name}: {v}");
        assert_eq!(files[0]["size"], 5 * 64 * 1024, "{name}");
    }
}
