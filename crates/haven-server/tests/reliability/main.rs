//! Outages (issue 23): readiness answers within a second and says what is
//! out; requests fail fast while the database is away and succeed again by
//! themselves when it is back.

#[path = "../security/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use axum::http::StatusCode;
use haven_domain::{OrgKind, Role};
use haven_store::on_both;
use haven_store::testing::TestDb;
use helpers::App;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn ready(app: &App) -> (StatusCode, serde_json::Value, Duration) {
    let t = Instant::now();
    let res = app.send(helpers::get_req("/readyz", None)).await;
    let status = res.status();
    let body = serde_json::from_str(&helpers::text(res).await).unwrap_or_default();
    (status, body, t.elapsed())
}

/// The audit log cannot be trusted (its chain was cut under the server):
/// reads stop, and readiness says why at once.
async fn readiness_says_when_the_audit_log_fails(db: TestDb) {
    let app = App::new(db).await;
    let org = app.org("Safe Harbor", OrgKind::Ngo).await;
    let p = app
        .person(org, "specialist@ngo.test", &[Role::VictimSpecialist])
        .await;
    let case = app.register(&p, "Ana Torres", "1990-01-01").await;
    let token = app.token(&p, &["cases:read"]).await;
    let (s, _, _) = ready(&app).await;
    assert_eq!(s, StatusCode::OK, "{}", app.db.name);
    app.state
        .audit
        .seal_pending(&app.db.store, 1000)
        .await
        .unwrap();
    helpers::tamper(
        &app.db,
        &["DELETE FROM audit_log WHERE chain_seq = (SELECT max(chain_seq) FROM audit_log)"],
    )
    .await;
    let (s, body) = app
        .api(&token, "GET", &format!("/api/v1/cases/{case}"), None)
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{}", app.db.name);
    assert_eq!(
        body["code"], "audit_log_unavailable",
        "the answer says what is out"
    );
    let (s, body, took) = ready(&app).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{}", app.db.name);
    assert!(
        body["reason"].as_str().unwrap().contains("audit log"),
        "{body}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}
on_both!(readiness_says_when_the_audit_log_fails);

/// A TCP forwarder to PostgreSQL that the test can cut and restore, as if
/// the database server stopped and came back.
struct Cable {
    addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Cable {
    async fn to(upstream: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (u, c) = (Arc::clone(&up), Arc::clone(&conns));
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !u.load(std::sync::atomic::Ordering::Acquire) {
                    drop(inbound); // refused, like a stopped server
                    continue;
                }
                c.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                }));
            }
        });
        Self { addr, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::Release);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// PostgreSQL goes away and comes back: readiness and requests answer 503
/// within about a second (not after the pool's five seconds), and Haven
/// serves again by itself.
#[tokio::test]
async fn postgres_goes_away_and_comes_back() {
    let url = haven_store::testing::fresh_postgres_database().await;
    let mut parsed = url::Url::parse(&url).unwrap();
    let upstream = std::net::SocketAddr::new(
        parsed.host_str().unwrap().parse().unwrap(),
        parsed.port().unwrap(),
    );
    let cable = Cable::to(upstream).await;
    parsed.set_port(Some(cable.addr.port())).unwrap();
    let target =
        haven_store::DatabaseTarget::parse(Some(parsed.as_str()), std::path::Path::new("."))
            .unwrap();
    let store = haven_store::open(&target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let app = App::new(TestDb::opened(store, target, "postgres")).await;
    let org = app.org("Safe Harbor", OrgKind::Ngo).await;
    let p = app
        .person(org, "specialist@ngo.test", &[Role::VictimSpecialist])
        .await;
    let token = app.token(&p, &["cases:read", "cases:write"]).await;
    assert_eq!(ready(&app).await.0, StatusCode::OK);

    cable.cut();
    let (s, body, took) = ready(&app).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("database"),
        "{body}"
    );
    assert!(
        took < Duration::from_millis(1100),
        "readiness took {took:?}"
    );
    let t = Instant::now();
    let (s, body) = app
        .api(
            &token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "During the outage", "birth_date": "1990-01-01", "confirm_duplicate": true})),
        )
        .await;
    let took = t.elapsed();
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "database_unavailable", "{body}");
    assert!(
        took < Duration::from_secs(3),
        "a write took {took:?} to fail"
    );

    cable.restore();
    let mut back = false;
    for _ in 0..50 {
        if ready(&app).await.0 == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again without a restart");
    let (s, body) = app
        .api(
            &token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "After the outage", "birth_date": "1990-01-01", "confirm_duplicate": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}
