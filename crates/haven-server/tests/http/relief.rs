//! Relief: facts, evaluation, documents and deadlines.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::testing::TestDb;

async fn relief_facts_are_validated_stored_encrypted_and_evaluated(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
    // Filing a T application links the case to 1367.
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
            "../../../../docs/relief-examples/1-u-certification-clock.json"
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
            "../../../../docs/relief-examples/1-u-certification-clock.json"
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
on_both!(relief_facts_are_validated_stored_encrypted_and_evaluated);

async fn an_agent_drafts_a_certification_only_a_certifying_official_signs_and_signed_means_immutable(
    db: TestDb,
) {
    let app = app_on(db, no_mfa()).await;
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
            && fields.contains(&"signer_authorized")
            && fields.contains(&"signer_role")
            && fields.contains(&"agency_kind"),
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
    content["agency_kind"] = serde_json::json!("local_law_enforcement");
    // U-5: an investigator who is not a designated supervisor cannot certify.
    content["signer_role"] = serde_json::json!("other");
    let (s, e) = call(&app, "PUT", &doc, &agent, content.clone()).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (s, e) = call(
        &app,
        "POST",
        &format!("{doc}/signature"),
        &official,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "signer_role", "{e}");
    content["signer_role"] = serde_json::json!("designated_supervisor");
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
    // Who signed, for which agency, goes into the facts with the date (U-5).
    let cert = &r["facts"]["u_certification"];
    assert_eq!(cert["signer_role"], "designated_supervisor", "{cert}");
    assert_eq!(cert["agency_kind"], "local_law_enforcement", "{cert}");
    assert!(
        cert["signer_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{cert}"
    );
    assert!(
        cert["agency_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{cert}"
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
on_both!(
    an_agent_drafts_a_certification_only_a_certifying_official_signs_and_signed_means_immutable
);

async fn deadline_reminders_reach_the_team_once_even_with_two_instances(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
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
on_both!(deadline_reminders_reach_the_team_once_even_with_two_instances);
