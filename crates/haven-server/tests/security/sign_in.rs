//! Signing in behind the TLS proxy: failures are counted per client.

use crate::helpers;
use crate::helpers::{App, encode, form_req};
use axum::http::StatusCode;
use haven_domain::{OrgKind, Role};
use haven_store::on_both;
use haven_store::testing::TestDb;

/// Finding 6: behind the recommended TLS proxy every sign-in came from the
/// proxy's address, so twenty failures locked everyone out.
async fn twenty_failures_behind_the_proxy_lock_every_user_out(db: TestDb) {
    let settings = haven_server::Settings {
        trusted_proxies: vec![
            haven_server::features::account::throttle::IpNet::parse("10.0.0.0/8").unwrap(),
        ],
        ..helpers::no_mfa()
    };
    let app = App::with(db, settings).await;
    let org = app.org("Safe Harbor", OrgKind::Ngo).await;
    let user = app
        .person(org, "real.user@ngo.test", &[Role::VictimSpecialist])
        .await;
    let _ = user;
    let attempt = |login: &str, password: &str, client: &str, peer: [u8; 4]| {
        let mut req = form_req(
            "/sign-in",
            &encode(&[("login", login), ("password", password)]),
            None,
        );
        req.headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                peer, 443,
            ))));
        req
    };
    let proxy = [10, 0, 0, 2];
    for i in 0..25 {
        let res = app
            .send(attempt(
                &format!("guess{i}@ngo.test"),
                "wrong",
                "203.0.113.9",
                proxy,
            ))
            .await;
        assert!(
            matches!(
                res.status(),
                StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
            ),
            "{}",
            app.db.name
        );
    }
    // Another client behind the same proxy signs in at once.
    let res = app
        .send(attempt(
            "real.user@ngo.test",
            helpers::PASSWORD,
            "198.51.100.4",
            proxy,
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: not locked out",
        app.db.name
    );
    // The guesser is slowed, not the proxy: its next try must wait.
    let res = app
        .send(attempt("guess@ngo.test", "wrong", "203.0.113.9", proxy))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        app.db.name
    );
    // A forged header from a client that is not a trusted proxy is ignored:
    // the guesser cannot pose as someone else.
    let res = app
        .send(attempt(
            "guess@ngo.test",
            "wrong",
            "198.51.100.77",
            [203, 0, 113, 9],
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}: forged header",
        app.db.name
    );
    // Even the guesser's own address gets a try again after the pause.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = app
        .send(attempt(
            "real.user@ngo.test",
            helpers::PASSWORD,
            "203.0.113.9",
            proxy,
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: slowed, never locked",
        app.db.name
    );
}
on_both!(twenty_failures_behind_the_proxy_lock_every_user_out);
