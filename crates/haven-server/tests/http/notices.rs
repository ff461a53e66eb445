//! Notices to victims and staff.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::testing::TestDb;

async fn notices_go_only_where_the_victim_said_and_stop_means_stop(db: TestDb) {
    let app = app_on(db, interview_settings()).await;
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

    // A court date ahead is told to her unless the team holds it;
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
on_both!(notices_go_only_where_the_victim_said_and_stop_means_stop);

async fn notices_and_staff_copies_reach_the_sink_once_with_retries_after_a_provider_failure(
    db: TestDb,
) {
    let sink = Sink::start().await;
    let transports = sink.transports();
    let app = app_on(db, interview_settings()).await;
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
on_both!(notices_and_staff_copies_reach_the_sink_once_with_retries_after_a_provider_failure);
