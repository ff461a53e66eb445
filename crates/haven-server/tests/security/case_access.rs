//! Reaching into a case: 1367-protected immigration information, breaking
//! glass into another organization's case, and intake's duplicate check.

use crate::helpers::{CaseWorld, Recipient, text};
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::on_both;
use haven_store::testing::TestDb;

/// Sets a relief tracker on the case that links it to a T application (the
/// 1367 flag, R-3) and gives it a U filing deadline in five days.
async fn protected_case_with_deadline(w: &CaseWorld) {
    let today = haven_domain::now().date();
    let facts = serde_json::json!({
        "format": "haven.relief-facts/1",
        "t_application": {"filed_on": (today - time::Duration::days(10)).to_string()},
        "u_certification": {"signed_on": haven_domain::relief::calendar::add_months(today, -6)
            .map(|d| d + time::Duration::days(5)).unwrap().to_string()},
    });
    let (s, b) = w
        .app
        .api(
            &w.owner_token,
            "PUT",
            &format!("/api/v1/cases/{}/relief/facts", w.case),
            Some(facts),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{}: {b}", w.name());
}

/// Finding 4: the 1367 flag protected nothing but exports. Immigration
/// information of a protected case stays with the owner's victim services;
/// law enforcement on the team reaches it only with the victim's release.
async fn law_enforcement_reads_a_1367_protected_case_s_immigration_information(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    protected_case_with_deadline(&w).await;
    let relief = format!("/api/v1/cases/{}/relief", w.case);
    let agent_token = app.token(&w.agent, &["cases:read"]).await;
    let (s, _) = app.api(&agent_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{}: API", w.name());
    let res = app
        .get(&w.agent, &format!("/cases/{}/relief", w.case))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}: page", w.name());
    let (s, _) = app.api(&w.owner_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::OK, "{}: the owner sees it", w.name());
    let deadlines = "/api/v1/relief/deadlines?days=90";
    let (_, mine) = app.api(&w.owner_token, "GET", deadlines, None).await;
    assert!(
        mine.to_string().contains(&w.case),
        "{}: the owner's deadline list",
        w.name()
    );
    let (_, theirs) = app.api(&agent_token, "GET", deadlines, None).await;
    assert!(
        !theirs.to_string().contains(&w.case),
        "{}: the agent's deadline list",
        w.name()
    );
    let page = text(app.get(&w.agent, "/deadlines").await).await;
    assert!(
        !page.contains("Marisol"),
        "{}: the deadlines page",
        w.name()
    );
    // Reminders reach the owner's team, not the agent.
    let now = haven_domain::now();
    haven_server::features::relief::queue_reminders(&app.state, "test", now)
        .await
        .unwrap();
    haven_server::features::relief::deliver_messages(&app.state, "test", now)
        .await
        .unwrap();
    let (_, told) = app
        .api(&agent_token, "GET", "/api/v1/notifications", None)
        .await;
    assert!(
        !told.to_string().contains(&w.case),
        "{}: no reminder to the agent",
        w.name()
    );
    let (_, told) = app
        .api(&w.owner_token, "GET", "/api/v1/notifications", None)
        .await;
    assert!(
        told.to_string().contains(&w.case),
        "{}: the owner is reminded",
        w.name()
    );
    // The victim's prior written consent opens it (R-3(b)).
    let (s, _) = app
        .api(
            &w.owner_token,
            "POST",
            &format!("/api/v1/cases/{}/consents", w.case),
            Some(CaseWorld::release(
                Recipient::Org(w.agency),
                &["immigration"],
            )),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.api(&agent_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::OK, "{}: with the release", w.name());

    // The person's own immigration status on a protected case: not in the
    // agent's read of the case, page or API, without such a release.
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({
                "name": "Lucia Ferreira",
                "birth_date": "1992-04-04",
                "immigration_status": "T visa application pending (USCIS receipt)",
                "residency": "foreign_national",
                "confirm_duplicate": true,
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let other = b["id"].as_str().unwrap().to_owned();
    app.add_to_team(&w.owner_token, &other, w.agent.id, "agent")
        .await;
    let today = haven_domain::now().date();
    let (s, _) = app
        .api(
            &w.owner_token,
            "PUT",
            &format!("/api/v1/cases/{other}/relief/facts"),
            Some(serde_json::json!({"format": "haven.relief-facts/1",
                "t_application": {"filed_on": (today - time::Duration::days(3)).to_string()}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, own) = app
        .api(
            &w.owner_token,
            "GET",
            &format!("/api/v1/cases/{other}"),
            None,
        )
        .await;
    assert!(
        own.to_string().contains("T visa application pending"),
        "{}",
        w.name()
    );
    let (s, theirs) = app
        .api(&agent_token, "GET", &format!("/api/v1/cases/{other}"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !theirs.to_string().contains("T visa application pending"),
        "{}: API",
        w.name()
    );
    assert!(
        !theirs.to_string().contains("foreign_national"),
        "{}: API",
        w.name()
    );
    let page = text(app.get(&w.agent, &format!("/cases/{other}")).await).await;
    assert!(
        page.contains("Lucia Ferreira") && !page.contains("T visa application pending"),
        "{}: page",
        w.name()
    );
}
on_both!(law_enforcement_reads_a_1367_protected_case_s_immigration_information);

/// Finding 4: a supervisor of a law-enforcement agency broke glass into an
/// NGO's 1367-protected case and read name, address and phone.
async fn an_agency_supervisor_breaks_glass_into_another_organization_s_case(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let reason = [(
        "reason",
        "Victim in danger tonight; the owner is unreachable",
    )];
    let glass = format!("/cases/{}/emergency", w.case);
    // Another agency, not on the case: refused, like a case that does not exist.
    let elsewhere = app
        .person(w.other_agency, "boss@police.test", &[Role::Supervisor])
        .await;
    let res = app.post(&elsewhere, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    assert!(!text(res).await.contains("Marisol"));
    let other_ngo_boss = app
        .person(w.other_ngo, "boss@elsewhere.test", &[Role::Supervisor])
        .await;
    let res = app.post(&other_ngo_boss, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    // The agency works on the case (its agent is on the team), but the case
    // is protected by 1367: never law enforcement.
    protected_case_with_deadline(&w).await;
    let res = app.post(&w.agency_supervisor, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    assert!(!text(res).await.contains("Marisol"));
    let openings = app.db.store.pending_emergency_access(w.ngo).await.unwrap();
    assert!(openings.is_empty(), "{}: nothing was opened", w.name());
    assert!(
        app.trail("case", &w.case)
            .await
            .contains(&"access.denied".to_owned())
    );
}
on_both!(an_agency_supervisor_breaks_glass_into_another_organization_s_case);

/// Finding 7: intake's duplicate check was an unaudited existence oracle and
/// named a case the specialist could not open.
async fn intake_probes_for_a_person_and_learns_a_case_id(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    // A colleague in the same organization, not on the team, registers the
    // same person (same name, date of birth).
    let colleague_token = app
        .token(&w.colleague, &["cases:read", "cases:write"])
        .await;
    let (s, b) = app
        .api(
            &colleague_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Marisol Quintero", "birth_date": "1994-03-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{}: {b}", w.name());
    assert!(
        !b.to_string().contains(&w.case),
        "{}: the id is never shown: {b}",
        w.name()
    );
    assert_eq!(
        b["elsewhere"],
        true,
        "{}: only 'a record may exist elsewhere'",
        w.name()
    );
    let page = app
        .post(
            &w.colleague,
            "/cases",
            &[
                ("name", "Marisol Quintero"),
                ("birth_date", "1994-03-02"),
                ("action", "register"),
            ],
        )
        .await;
    assert!(!text(page).await.contains(&w.case), "{}: page", w.name());
    // The owner sees their own case named.
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Marisol Quintero", "birth_date": "1994-03-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(b.to_string().contains(&w.case), "{}: {b}", w.name());
    // Every probe is audited, a miss too.
    let (s, _) = app
        .api(
            &colleague_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Nobody Known", "birth_date": "1980-01-01", "confirm_duplicate": false})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let rows = app.db.store.unsealed_audit(10_000).await.unwrap();
    let mut all = app.db.store.sealed_audit_after(0, 100_000).await.unwrap();
    all.extend(rows);
    let probes = all
        .iter()
        .filter(|r| r.action == "intake.duplicate_probe" && r.actor_user == Some(w.colleague.id))
        .count();
    assert_eq!(probes, 3, "{}: every probe of the colleague", w.name());
}
on_both!(intake_probes_for_a_person_and_learns_a_case_id);
