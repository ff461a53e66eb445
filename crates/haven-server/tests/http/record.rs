//! The case record: entries, cooperation, the HHS clock and attachments.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{Role, UserId};
use haven_store::testing::TestDb;

async fn declining_to_cooperate_never_blocks_a_need_plan_fund_or_any_other_service(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app_org(&app).await;
    let (_, spec) = worker(
        &app,
        org,
        "coop-spec@example.test",
        &[Role::VictimSpecialist],
    )
    .await;
    let (boss_id, boss) = worker(&app, org, "coop-boss@example.test", &[Role::Supervisor]).await;
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
on_both!(declining_to_cooperate_never_blocks_a_need_plan_fund_or_any_other_service);

async fn bad_record_input_names_the_field_and_the_rule_and_writes_nothing(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
    let (_, cookie) = person(&app, org, "ro-spec@example.test", &[Role::VictimSpecialist]).await;
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
on_both!(bad_record_input_names_the_field_and_the_rule_and_writes_nothing);

async fn advocate_records_stay_closed_to_law_enforcement_on_the_team(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(advocate_records_stay_closed_to_law_enforcement_on_the_team);

async fn a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
        let (_, b) = call(
            &app,
            "POST",
            "/api/v1/cases",
            token,
            serde_json::json!({"name": name, "birth_date": dob, "residency": "foreign_national"}),
        )
        .await;
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
on_both!(a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock);

async fn attachments_are_checked_encrypted_and_come_back_byte_for_byte(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
        !content.windows(4).any(|w| w == b"%PDF") && !meta.name.windows(6).any(|w| w == b"letter")
    );
}
on_both!(attachments_are_checked_encrypted_and_come_back_byte_for_byte);
