//! The tour: who takes part, and each step that fills ciphertext columns
//! with canaries through the pages and the JSON API.

use crate::support::*;
use axum::http::{StatusCode, header};
use haven_domain::{OrgKind, OrganizationId, Role, UserId};
use serde_json::{Value, json};

/// Who takes part.
pub struct Cast {
    /// The owning NGO's victim specialist (a session and a token).
    specialist: Staff,
    spec: String,
    /// The NGO's supervisor: funds, break glass.
    supervisor: Staff,
    boss: String,
    /// The NGO's administrator: the service directory.
    admin: String,
    /// A task force: its agent on the team, its certifying official, its
    /// forensic interviewer.
    agent_id: UserId,
    agent: String,
    official: String,
    interviewer_id: UserId,
    interviewer: String,
    /// The shelter that answers referrals.
    shelter: OrganizationId,
    provider: String,
}

pub async fn cast(t: &Tour) -> Cast {
    const RW: &[&str] = &["cases:read", "cases:write"];
    let ngo = t.org("Canary NGO", OrgKind::Ngo).await;
    let police = t.org("Canary Task Force", OrgKind::LawEnforcement).await;
    let shelter = t.org("Canary Shelter", OrgKind::ServiceProvider).await;
    let (specialist, spec) = t
        .member(ngo, "specialist", &[Role::VictimSpecialist], RW)
        .await;
    let (supervisor, boss) = t.member(ngo, "supervisor", &[Role::Supervisor], RW).await;
    let admin_scopes = &["admin:read", "admin:write"];
    let (_, admin) = t
        .member(ngo, "admin", &[Role::Administrator], admin_scopes)
        .await;
    let (agent, agent_token) = t
        .member(police, "agent", &[Role::LawEnforcementAgent], RW)
        .await;
    let (_, official) = t
        .member(police, "official", &[Role::CertifyingOfficial], RW)
        .await;
    let interviewer_roles = &[Role::ForensicInterviewer, Role::LawEnforcementAgent];
    let (interviewer, interviewer_token) =
        t.member(police, "interviewer", interviewer_roles, RW).await;
    let referral_scopes = &["referrals:read", "referrals:write"];
    let (_, provider) = t
        .member(shelter, "provider", &[Role::ProviderStaff], referral_scopes)
        .await;
    Cast {
        specialist,
        spec,
        supervisor,
        boss,
        admin,
        agent_id: agent.id,
        agent: agent_token,
        official,
        interviewer_id: interviewer.id,
        interviewer: interviewer_token,
        shelter,
        provider,
    }
}

/// Registers the person through the intake page, with every free-text field
/// of the form filled. Fills persons.name, persons.birth_date,
/// persons.profile, cases.profile (the trafficking profile: codes only) and
/// case_entries.body (the screening). Returns the case id.
pub async fn register(t: &Tour, c: &Cast) -> String {
    let res = t
        .form(
            &c.specialist,
            "/cases",
            &[
                ("action", "register"),
                ("confirm_duplicate", "1"),
                ("name", &canary("name")),
                ("aliases", &canary("alias")),
                ("birth_date", BIRTH_DATE),
                ("residency", "foreign_national"),
                ("immigration_status", &canary("immigration")),
                ("languages", "en"),
                ("disability", &canary("disability")),
                ("accommodations", &canary("accommodations")),
                ("phone", PHONE),
                ("email", "zyxwvut.email.quokkabelle@example.test"),
                ("address", &canary("address")),
                ("safe_channel", "email"),
                ("safe_times", &canary("safe-times")),
                ("may_leave_message", "1"),
                ("code_word", &canary("code-word")),
                ("location", &canary("location")),
                ("exploitation", "labor"),
                ("screening_notes", &canary("screening")),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}: intake", t.name());
    let url = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let page = t.page(&c.specialist, &url).await;
    assert!(
        page.contains(&canary("name")),
        "{}: the data is really there",
        t.name()
    );
    url.trim_start_matches("/cases/").to_owned()
}

/// The task force's agent joins the team (for documents and interviews).
pub async fn add_agent(t: &Tour, c: &Cast, case: &str) {
    t.api(
        &c.spec,
        "POST",
        &format!("/api/v1/cases/{case}/team"),
        json!({"user_id": c.agent_id.to_string(), "role": "agent", "remove": false}),
    )
    .await;
}

/// A note, a need with a plan item, a stage change with a note:
/// case_entries.body. Returns the plan item's id (for the referral).
pub async fn entries(t: &Tour, c: &Cast, case: &str) -> String {
    let url = format!("/api/v1/cases/{case}/entries");
    t.api(
        &c.spec,
        "POST",
        &url,
        json!({"kind": "note", "compartment": "advocate", "text": canary("note")}),
    )
    .await;
    let need = t
        .api(
            &c.spec,
            "POST",
            &url,
            json!({"kind": "need", "category": "housing", "urgency": "high"}),
        )
        .await;
    let plan = t
        .api(
            &c.spec,
            "POST",
            &url,
            json!({"kind": "plan_item", "parent_id": need["id"], "text": canary("plan-item")}),
        )
        .await;
    t.api(
        &c.spec,
        "POST",
        &format!("/api/v1/cases/{case}/stage"),
        json!({"stage": "stabilizing", "note": canary("stage-note")}),
    )
    .await;
    field(&plan, "id")
}

/// A file on the case: case_attachments.name and .content.
pub async fn attachment(t: &Tour, c: &Cast, case: &str) {
    let name = format!("{}.txt", canary("attachment-name"));
    let content = format!("A letter. {}\n", canary("attachment-content"));
    t.upload(
        &c.spec,
        &format!("/api/v1/cases/{case}/attachments?name={name}"),
        "application/octet-stream",
        content.into_bytes(),
    )
    .await;
}

/// An intake saved half done: intake_drafts.body.
pub async fn draft(t: &Tour, c: &Cast) {
    t.api(
        &c.spec,
        "POST",
        "/api/v1/intake-drafts",
        json!({"name": canary("draft-name"), "address": canary("draft-address"),
            "screening_notes": canary("draft-screening")}),
    )
    .await;
}

/// A fund request the supervisor denies: fund_requests.description and
/// .decision_note.
pub async fn funds(t: &Tour, c: &Cast, case: &str) {
    let fund = t
        .api(
            &c.boss,
            "POST",
            "/api/v1/funds",
            json!({"name": "Canary emergency fund", "budget": "500"}),
        )
        .await;
    let ask = t
        .api(
            &c.spec,
            "POST",
            &format!("/api/v1/cases/{case}/fund-requests"),
            json!({"fund_id": fund["id"], "amount": "40", "purpose": "food",
                "description": canary("fund-description")}),
        )
        .await;
    t.api(
        &c.boss,
        "POST",
        &format!("/api/v1/fund-requests/{}/decision", field(&ask, "id")),
        json!({"approve": false, "note": canary("fund-decision")}),
    )
    .await;
}

/// The relief facts (dates and yes/no answers only; the format has no free
/// text about the person): case_relief.facts.
pub async fn relief_facts(t: &Tour, c: &Cast, case: &str) {
    t.api(
        &c.spec,
        "PUT",
        &format!("/api/v1/cases/{case}/relief/facts"),
        json!({"format": "haven.relief-facts/1",
            "trafficking": {"force_fraud_or_coercion": true, "first_act_on": "2024-01-10"},
            "u_crime": {"substantial_abuse": true, "possesses_information": true, "helpful": true,
                "in_united_states_or_extraterritorial": true}}),
    )
    .await;
}

/// The agent drafts a U certification and fills it in, the certifying
/// official signs it and withdraws it: relief_documents.content and
/// .withdrawal_reason.
pub async fn document(t: &Tour, c: &Cast, case: &str) {
    let doc = t
        .api(
            &c.agent,
            "POST",
            &format!("/api/v1/cases/{case}/documents"),
            json!({"kind": "i918b"}),
        )
        .await;
    let url = format!("/api/v1/documents/{}", field(&doc, "id"));
    let mut content = t.api(&c.agent, "GET", &url, Value::Null).await["content"].clone();
    for k in [
        "description",
        "crime_location",
        "statutes",
        "injuries",
        "helpfulness",
    ] {
        content[k] = json!(canary(&format!("document-{k}")));
    }
    for k in [
        "signer_authorized",
        "agency_responsible",
        "victim_of_the_crime",
        "possesses_information",
        "helpful",
        "occurred_in_united_states",
    ] {
        content[k] = json!(true);
    }
    content["signer_role"] = json!("designated_supervisor");
    content["agency_kind"] = json!("local_law_enforcement");
    t.api(&c.agent, "PUT", &url, content).await;
    t.api(
        &c.official,
        "POST",
        &format!("{url}/signature"),
        Value::Null,
    )
    .await;
    t.api(
        &c.official,
        "POST",
        &format!("{url}/withdrawal"),
        json!({"reason": canary("document-withdrawal")}),
    )
    .await;
}

/// The supervisor breaks glass on the emergency page: emergency_access.reason.
pub async fn break_glass(t: &Tour, c: &Cast, case: &str) {
    let res = t
        .form(
            &c.supervisor,
            &format!("/cases/{case}/emergency"),
            &[("reason", &canary("emergency-reason"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}: break glass", t.name());
}

/// The administrator imports the directory with a confidential shelter (its
/// street is a canary) and links it to the shelter's organization:
/// directory_locations.private_record.
pub async fn directory(t: &Tour, c: &Cast) {
    let fixture = include_str!("../../../../tests/directory/haven-attributes.json");
    assert!(fixture.contains("1 Test Street"));
    let batch: Value =
        serde_json::from_str(&fixture.replace("1 Test Street", &canary("shelter-street"))).unwrap();
    let report = t
        .api(&c.admin, "POST", "/api/v1/directory/import", batch)
        .await;
    assert_eq!(
        (
            report["services"].as_i64(),
            report["rejected"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{}: {report}",
        t.name()
    );
    t.api(
        &c.admin,
        "PUT",
        &format!("/api/v1/directory/organizations/{SHELTER_ORG}/link"),
        json!({"haven_organization_id": c.shelter.to_string()}),
    )
    .await;
}

/// A release of identity and contact to the shelter: consents.purpose.
pub async fn release(t: &Tour, c: &Cast, case: &str) {
    let today = haven_domain::now().date();
    t.api(
        &c.spec,
        "POST",
        &format!("/api/v1/cases/{case}/consents"),
        json!({"parties": [{"signer": "victim"}],
            "recipient_organization_id": c.shelter.to_string(),
            "purpose": canary("release-purpose"), "fields": ["identity", "contact"],
            "signed_on": today.to_string(),
            "expires_on": (today + time::Duration::days(90)).to_string()}),
    )
    .await;
}

/// A referral to the shelter with a note and, under the release, the
/// person's details; the shelter answers with a note: referrals.note,
/// referrals.personal, referral_events.note.
pub async fn referral(t: &Tour, c: &Cast, case: &str, plan_item: &str) {
    let sent = t
        .api(
            &c.spec,
            "POST",
            &format!("/api/v1/cases/{case}/referrals"),
            json!({"plan_item_id": plan_item, "service_id": SHELTER_SERVICE,
                "note": canary("referral-note"), "include_personal": true}),
        )
        .await;
    let url = format!("/api/v1/referrals/incoming/{}", field(&sent, "id"));
    let seen = t.api(&c.provider, "GET", &url, Value::Null).await;
    assert_eq!(
        seen["personal"]["name"].as_str(),
        Some(canary("name").as_str()),
        "{}: the details went along: {seen}",
        t.name()
    );
    t.api(
        &c.provider,
        "POST",
        &format!("{url}/responses"),
        json!({"status": "accepted", "note": canary("referral-answer")}),
    )
    .await;
}

/// A forensic interview: requested with a reason, scheduled (with a notice
/// to the person), a file uploaded and handed over, the summary recorded:
/// interviews.request, .schedule, .summary, interview_files.name,
/// interview_file_chunks.data, custody_events.detail (and deliveries).
pub async fn interview(t: &Tour, c: &Cast, case: &str) {
    let iv = t
        .api(
            &c.spec,
            "POST",
            &format!("/api/v1/cases/{case}/interviews"),
            json!({"reason": canary("interview-reason"),
                "trauma_notes": canary("interview-trauma"),
                "developmental": canary("interview-developmental"),
                "cultural": canary("interview-cultural"),
                "observers_wanted": canary("interview-observers-wanted"),
                "interpreter_needed": true}),
        )
        .await;
    let iv = field(&iv, "id");
    let day = haven_domain::now().date() + time::Duration::days(9);
    t.api(
        &c.interviewer,
        "PUT",
        &format!("/api/v1/interviews/{iv}/schedule"),
        json!({"starts_at": format!("{day}T10:00"), "minutes": 60,
            "interviewer_id": c.interviewer_id.to_string(),
            "specialist_id": c.specialist.id.to_string(),
            "place": canary("interview-place"), "interpreter": canary("interpreter"),
            "interpreter_language": "es", "observers": canary("interview-observers"),
            "notes": canary("interview-notes"), "notify_victim": true}),
    )
    .await;
    let name = format!("{}.txt", canary("interview-file-name"));
    let data = format!("Transcript. {}\n", canary("interview-file-data")).repeat(50);
    let file = t
        .upload(
            &c.interviewer,
            &format!("/api/v1/interviews/{iv}/files?kind=document&name={name}"),
            "text/plain",
            data.into_bytes(),
        )
        .await;
    t.api(
        &c.interviewer,
        "POST",
        &format!("/api/v1/interview-files/{}/transfers", field(&file, "id")),
        json!({"recipient": canary("custody-recipient"),
            "purpose": canary("custody-purpose")}),
    )
    .await;
    t.api(
        &c.interviewer,
        "POST",
        &format!("/api/v1/interviews/{iv}/record"),
        json!({"summary": canary("interview-summary"), "compartment": "shared"}),
    )
    .await;
}

/// A notice to the person by e-mail (their safe channel), the code word
/// first: deliveries.destination, .subject, .body.
pub async fn notice(t: &Tour, c: &Cast, case: &str) {
    let queued = t
        .api(
            &c.spec,
            "POST",
            &format!("/api/v1/cases/{case}/notices"),
            json!({"event": "arrest"}),
        )
        .await;
    assert_eq!(queued["channel"], "email", "{}: {queued}", t.name());
}

/// The specialist sets up an authenticator app on the enrolment page:
/// user_mfa.secret. Returns the secret as shown, and its bytes.
pub async fn enrol(t: &Tour, c: &Cast) -> (String, Vec<u8>) {
    let html = t.page(&c.specialist, "/mfa/setup").await;
    let marker = "data-testid=\"totp-secret\">";
    let at = html.find(marker).expect("the secret is shown") + marker.len();
    let shown = html[at..].split('<').next().unwrap().trim().to_owned();
    let secret = base32_decode(&shown);
    let code = haven_server::features::account::mfa::code_at(
        &secret,
        haven_server::features::account::mfa::now_unix(),
    )
    .unwrap();
    let res = t
        .send(form_req(
            "/mfa/setup",
            &encode(&[("csrf", &csrf_in(&html)), ("code", &code)]),
            Some(&c.specialist.cookie),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}: enrolled", t.name());
    (shown, secret)
}
