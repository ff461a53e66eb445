//! Forensic interviews.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use haven_domain::{OrgKind, Role};
use haven_server::Settings;
use haven_store::testing::TestDb;
use http_body_util::BodyExt;

async fn forensic_interviews_through_the_api_route_refuse_conflicts_and_keep_custody(db: TestDb) {
    let app = app_on(db, interview_settings()).await;
    let name = app.db.name;
    let org = app_org(&app).await;
    let police = law_enforcement_org(&app).await;
    let cac = new_org(&app, "Child Advocacy Center", OrgKind::Ngo).await;
    let (_, spec) = worker(&app, org, "iv-spec@example.test", &[Role::VictimSpecialist]).await;
    let (agent_id, _) = worker(
        &app,
        police,
        "iv-agent@example.test",
        &[Role::LawEnforcementAgent],
    )
    .await;
    // A task-force agent trained as a forensic interviewer.
    let (_, fi) = worker(
        &app,
        police,
        "iv-fi@example.test",
        &[Role::ForensicInterviewer, Role::LawEnforcementAgent],
    )
    .await;
    let (fi2_id, _) = worker(
        &app,
        police,
        "iv-fi2@example.test",
        &[Role::ForensicInterviewer],
    )
    .await;
    let (_, other_fi) = worker(
        &app,
        cac,
        "iv-cac@example.test",
        &[Role::ForensicInterviewer],
    )
    .await;
    let (s, b) = call(
        &app,
        "POST",
        "/api/v1/cases",
        &spec,
        serde_json::json!({
        "name": "Niña Prueba", "birth_date": born_years_ago(15), "residency": "foreign_national",
        "languages": ["es"], "email": "nina@example.test", "phone": "(555) 010-2030",
        "safe_channel": "email", "may_leave_message": true, "code_word": "luna"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
    let case = b["id"].as_str().unwrap().to_owned();
    add_to_team(&app, &spec, &case, agent_id, "agent").await;
    let url = format!("/api/v1/cases/{case}/interviews");

    // A request names its reason; it goes to the team agent's
    // organization, the first with forensic interviewers (VAP-1).
    let (s, b) = call(
        &app,
        "POST",
        &url,
        &spec,
        serde_json::json!({"reason": " "}),
    )
    .await;
    assert_eq!(
        (s, b["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "{name}: {b}"
    );
    let (s, b) = call(&app, "POST", &url, &spec, serde_json::json!({
        "reason": "Disclosure at school", "interpreter_needed": true, "observers_wanted": "Prosecutor"})).await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
    let iv = b["id"].as_str().unwrap().to_owned();
    let (s, v) = call(
        &app,
        "GET",
        &format!("/api/v1/interviews/{iv}"),
        &fi,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{name}: {v}");
    assert_eq!(v["organization_id"], police.to_string(), "{name}");
    assert_eq!(v["age_at_interview"], 15, "{name}");
    assert_eq!(v["requires_specialist"], true, "{name}");
    assert_eq!(v["language"], "es", "{name}");
    assert_eq!(v["person_name"], "Niña Prueba", "{name}");
    let (_, q) = call(
        &app,
        "GET",
        "/api/v1/interviews",
        &fi,
        serde_json::Value::Null,
    )
    .await;
    assert!(
        q.as_array().unwrap().iter().any(|l| l["id"] == iv.as_str()),
        "{name}: {q}"
    );
    // Another organization's interviewer learns nothing of it.
    let (s, _) = call(
        &app,
        "GET",
        &format!("/api/v1/interviews/{iv}"),
        &other_fi,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
    let (_, q) = call(
        &app,
        "GET",
        "/api/v1/interviews",
        &other_fi,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(q, serde_json::json!([]), "{name}");
    // A specialist has no interview queue.
    let (s, _) = call(
        &app,
        "GET",
        "/api/v1/interviews",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{name}");

    // One interview, not many: a second request shows the first and
    // needs a reason; observing it is the other way.
    let (s, b) = call(
        &app,
        "POST",
        &url,
        &spec,
        serde_json::json!({"reason": "Again"}),
    )
    .await;
    assert_eq!(b["code"], "repeat_needs_reason", "{name}: {s} {b}");
    let (_, list) = call(&app, "GET", &url, &spec, serde_json::Value::Null).await;
    assert_eq!(
        list["earlier"].as_array().unwrap().len(),
        1,
        "{name}: {list}"
    );
    assert_eq!(list["interviews"][0]["id"], iv.as_str(), "{name}");

    // Scheduling: an interpreter is needed; then the Spanish notice.
    let sched = format!("/api/v1/interviews/{iv}/schedule");
    let at = local_in(9, 10);
    let mut plan = serde_json::json!({"starts_at": at, "minutes": 90, "place": "CAC room 1",
        "interviewer_id": fi2_id.to_string(), "notify_victim": true});
    let (s, b) = call(&app, "PUT", &sched, &fi, plan.clone()).await;
    assert_eq!(
        (s, b["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("interpreter")),
        "{name}: {b}"
    );
    plan["interpreter"] = "Ana (Spanish)".into();
    plan["interpreter_language"] = "es".into();
    let (s, b) = call(&app, "PUT", &sched, &fi, plan.clone()).await;
    assert_eq!(s, StatusCode::OK, "{name}: {b}");
    assert_eq!(b["notice"]["channel"], "email", "{name}: {b}");
    assert_eq!(b["notice"]["lang"], "es", "{name}: {b}");
    // The same interviewer cannot be in two rooms at once.
    let (s, b) = call(
        &app,
        "POST",
        "/api/v1/cases",
        &spec,
        serde_json::json!({"name": "Adult Prueba", "birth_date": born_years_ago(30)}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
    let case2 = b["id"].as_str().unwrap().to_owned();
    add_to_team(&app, &spec, &case2, agent_id, "agent").await;
    let (s, b) = call(
        &app,
        "POST",
        &format!("/api/v1/cases/{case2}/interviews"),
        &spec,
        serde_json::json!({"reason": "Labor case", "traumatized": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
    let iv2 = b["id"].as_str().unwrap().to_owned();
    let (s, b) = call(
        &app,
        "PUT",
        &format!("/api/v1/interviews/{iv2}/schedule"),
        &fi,
        serde_json::json!({
        "starts_at": local_in(9, 11), "minutes": 60, "place": "CAC room 2",
        "interviewer_id": fi2_id.to_string()}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("schedule_conflict")),
        "{name}: {b}"
    );
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .starts_with("The interviewer already has an interview from"),
        "{name}: {b}"
    );

    // Files: streamed in, byte for byte out, with custody.
    let body: Vec<u8> = (0..(2 * 1024 * 1024 + 77))
        .map(|i: u32| (i % 251) as u8)
        .collect();
    let upload = |data: Vec<u8>| {
        Request::post(format!(
            "/api/v1/interviews/{iv}/files?kind=recording&name=interview.mp4"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {fi}"))
        .header(header::CONTENT_TYPE, "video/mp4")
        .body(Body::from(data))
        .unwrap()
    };
    let res = send(&app, upload(body.clone())).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
    let file = json(res).await["id"].as_str().unwrap().to_owned();
    let res = send(
        &app,
        api(
            "GET",
            &format!("/api/v1/interview-files/{file}"),
            Some(&fi),
            None,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{name}");
    let sha = res.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let got = res.into_body().collect().await.unwrap().to_bytes();
    assert!(
        got.as_ref() == body.as_slice(),
        "{name}: the file came back changed"
    );
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, want, "{name}");
    // Too large: refused, and nothing is kept.
    let res = send(&app, upload(vec![7u8; 3 * 1024 * 1024 + 1])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
    assert_eq!(json(res).await["code"], "too_large", "{name}");
    let (s, b) = call(
        &app,
        "POST",
        &format!("/api/v1/interview-files/{file}/transfers"),
        &fi,
        serde_json::json!({"recipient": "County prosecutor", "purpose": "trial"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {b}");
    let (s, b) = call(
        &app,
        "POST",
        &format!("/api/v1/interview-files/{file}/verification"),
        &fi,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        (s, &b["matches"]),
        (StatusCode::OK, &serde_json::json!(true)),
        "{name}: {b}"
    );
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/interviews/{iv}"),
        &fi,
        serde_json::Value::Null,
    )
    .await;
    let files = v["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        1,
        "{name}: the refused upload left nothing: {v}"
    );
    let actions: Vec<&str> = files[0]["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["stored", "downloaded", "transferred", "verified"],
        "{name}"
    );
    // Another organization's interviewer cannot read the file.
    let res = send(
        &app,
        api(
            "GET",
            &format!("/api/v1/interview-files/{file}"),
            Some(&other_fi),
            None,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name}");

    // The record: advocate-confidential is victim services' only, never
    // law enforcement's.
    let rec = format!("/api/v1/interviews/{iv}/record");
    let (s, b) = call(
        &app,
        "POST",
        &rec,
        &fi,
        serde_json::json!({"summary": "Held", "compartment": "advocate"}),
    )
    .await;
    assert_eq!(b["code"], "compartment_not_allowed", "{name}: {s} {b}");
    let (s, b) = call(
        &app,
        "POST",
        &rec,
        &fi,
        serde_json::json!({"summary": "Held with interpreter", "compartment": "shared"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {b}");
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/interviews/{iv}"),
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["summary"].as_str()),
        (Some("completed"), Some("Held with interpreter")),
        "{name}: {v}"
    );
}
on_both!(forensic_interviews_through_the_api_route_refuse_conflicts_and_keep_custody);

async fn a_slow_recording_upload_may_outlast_the_request_timeout_but_a_stalled_one_stops(
    db: TestDb,
) {
    let settings = Settings {
        request_timeout: std::time::Duration::from_millis(800),
        ..interview_settings()
    };
    let app = app_on(db, settings).await;
    let name = app.db.name;
    let org = app_org(&app).await;
    let (_, spec) = worker(&app, org, "up-spec@example.test", &[Role::VictimSpecialist]).await;
    let (fi_id, fi) = worker(
        &app,
        org,
        "up-fi@example.test",
        &[Role::ForensicInterviewer],
    )
    .await;
    let (_, b) = call(
        &app,
        "POST",
        "/api/v1/cases",
        &spec,
        serde_json::json!({"name": "Slow Upload", "birth_date": born_years_ago(12)}),
    )
    .await;
    let case = b["id"].as_str().unwrap().to_owned();
    let (s, b) = call(
        &app,
        "POST",
        &format!("/api/v1/cases/{case}/interviews"),
        &spec,
        serde_json::json!({"reason": "Disclosure"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
    let iv = b["id"].as_str().unwrap().to_owned();
    let (s, b) = call(&app, "PUT", &format!("/api/v1/interviews/{iv}/schedule"), &fi, serde_json::json!({
        "starts_at": local_in(3, 9), "minutes": 60, "place": "CAC", "interviewer_id": fi_id.to_string()})).await;
    assert_eq!(s, StatusCode::OK, "{name}: {b}");
    let upload = |body: Body| {
        Request::post(format!(
            "/api/v1/interviews/{iv}/files?kind=recording&name=slow.mp4"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {fi}"))
        .header(header::CONTENT_TYPE, "video/mp4")
        .body(body)
        .unwrap()
    };
    // 1.5 s in all, never 800 ms without a byte: kept.
    let res = send(
        &app,
        upload(trickle(5, std::time::Duration::from_millis(300))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
    // A sender that stops: let go, nothing kept.
    let res = send(
        &app,
        upload(trickle(2, std::time::Duration::from_millis(1200))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
    assert_eq!(json(res).await["code"], "upload_stalled", "{name}");
    let (_, v) = call(
        &app,
        "GET",
        &format!("/api/v1/interviews/{iv}"),
        &fi,
        serde_json::Value::Null,
    )
    .await;
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{name}: {v}");
    assert_eq!(files[0]["size"], 5 * 64 * 1024, "{name}");
}
on_both!(a_slow_recording_upload_may_outlast_the_request_timeout_but_a_stalled_one_stops);
