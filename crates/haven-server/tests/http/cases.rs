//! Cases: registration, the caseload, who sees a case, break glass and releases.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{OrgKind, Organization, OrganizationId, Role};
use haven_store::testing::TestDb;

async fn a_registered_case_is_seen_by_its_team_and_supervisors_only(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(a_registered_case_is_seen_by_its_team_and_supervisors_only);

async fn registration_searches_first_and_never_reveals_another_organizations_record(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let specialist = sign_in(&app).await;
    let first = location(&register(&app, &specialist, "Ana Duplicada", "1999-12-31", false).await);
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
    let html = text(register(&app, &outsider, "Ana Duplicada", "1999-12-31", false).await).await;
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
on_both!(registration_searches_first_and_never_reveals_another_organizations_record);

async fn cases_are_read_through_the_api_only_with_the_cases_scope(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(cases_are_read_through_the_api_only_with_the_cases_scope);

async fn supervisors_break_glass_with_a_reason_and_another_supervisor_reviews_it(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
        page.contains("Glass Breakable") && page.contains("will be reviewed by another supervisor")
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
on_both!(supervisors_break_glass_with_a_reason_and_another_supervisor_reviews_it);

async fn a_recorded_release_opens_a_case_to_its_recipient_until_revoked(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(a_recorded_release_opens_a_case_to_its_recipient_until_revoked);

async fn intake_searches_first_through_the_api_and_drafts_belong_to_their_author(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(intake_searches_first_through_the_api_and_drafts_belong_to_their_author);
