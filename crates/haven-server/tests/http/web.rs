//! The web layer: headers, health, errors, static files, languages, the OpenAPI document and every route for every role.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use haven_domain::Role;
use haven_server::Settings;
use haven_store::testing::{self, TestDb};

async fn every_response_carries_the_security_headers(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(every_response_carries_the_security_headers);

async fn hsts_is_sent_when_configured(db: TestDb) {
    let app = app_on(
        db,
        Settings {
            hsts: true,
            ..no_mfa()
        },
    )
    .await;
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
on_both!(hsts_is_sent_when_configured);

async fn health_and_readiness(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(health_and_readiness);

async fn cross_site_posts_are_refused(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(cross_site_posts_are_refused);

async fn language_switch_is_remembered_and_only_redirects_locally(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(language_switch_is_remembered_and_only_redirects_locally);

async fn not_found_is_a_page_for_people_and_json_for_the_api(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(not_found_is_a_page_for_people_and_json_for_the_api);

/// A page handler's error (`PageError`) is a page in the reader's language:
/// a malformed id is "not found", a form without the session's token is
/// refused, and neither answers JSON to a person.
async fn page_errors_are_pages_in_the_readers_language(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let cookie = sign_in(&app).await;
    let mut req = get("/interviews/not-an-id", Some(&cookie));
    req.headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "es".parse().unwrap());
    let res = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(text(res).await.contains("Página no encontrada"));

    let fund = uuid::Uuid::now_v7();
    let res = send(
        &app,
        post_form(&format!("/funds/{fund}/add"), "amount=10", Some(&cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(text(res).await.contains("This request was refused"));
}
on_both!(page_errors_are_pages_in_the_readers_language);

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

async fn the_api_is_described_by_openapi_and_refuses_the_unauthenticated(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(the_api_is_described_by_openapi_and_refuses_the_unauthenticated);

/// Every page and API endpoint, for every role and for nobody: answers are
/// only "done", "not found" (a refusal looks the same), a redirect to sign in
/// for pages, or 401 for the API: never a 403 that would reveal a record,
/// never a 500.
async fn every_endpoint_answers_every_role_without_leaks_or_faults(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let owner = sign_in(&app).await;
    let case_url = location(&register(&app, &owner, "Matrix Person", "2000-01-01", false).await);
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
                None => status == StatusCode::SEE_OTHER && location(&res).starts_with("/sign-in"),
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
on_both!(every_endpoint_answers_every_role_without_leaks_or_faults);

/// Regressions found by fuzzing the API (schemathesis): times are RFC 3339
/// strings, a body must be an object, duplicate roles are not a conflict.
async fn api_bodies_and_times_follow_the_documented_shapes(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(api_bodies_and_times_follow_the_documented_shapes);

async fn text_with_nul_characters_is_refused_as_input_not_a_fault(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(text_with_nul_characters_is_refused_as_input_not_a_fault);
