//! Referrals round the loop.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::testing::TestDb;

async fn a_referral_goes_round_the_loop_with_the_minimum_necessary(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
    let other_staff = make_token(&app, &other_cookie, &["referrals:read", "referrals:write"]).await;
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
    let (_, plan) = call(
        &app,
        "POST",
        &format!("/api/v1/cases/{case}/entries"),
        &spec,
        serde_json::json!({"kind": "plan_item", "parent_id": need["id"], "text": "Shelter bed"}),
    )
    .await;
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
on_both!(a_referral_goes_round_the_loop_with_the_minimum_necessary);
