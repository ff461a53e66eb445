//! The emergency fund.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::Role;
use haven_domain::{AuditAction, AuditEntry};
use haven_store::testing::TestDb;

async fn fund_decisions_respect_limits_roles_and_the_balance(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app_org(&app).await;
    let (_, spec) = worker(
        &app,
        org,
        "fund-spec@example.test",
        &[Role::VictimSpecialist],
    )
    .await;
    let (boss_id, boss) = worker(&app, org, "fund-boss@example.test", &[Role::Supervisor]).await;
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
on_both!(fund_decisions_respect_limits_roles_and_the_balance);
