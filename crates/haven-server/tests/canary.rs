//! The canary test: personal data written through Haven's routes appears in
//! plaintext nowhere: not in the SQLite file, not in a PostgreSQL dump, not in
//! the logs. Its own test binary, so that it owns the process's log
//! subscriber from the first line logged.
//!
//! A tour drives the pages and the JSON API the way the people using Haven
//! do, until every `Holds::Ciphertext` column of the column registry holds a
//! value; wherever a column holds text someone types, that text carries a
//! canary ("Zyxwvut-<where>-Quokkabelle"). Then the registry is walked: every
//! ciphertext column must be filled (a new one fails this test until the tour
//! writes it), and no canary may be found in the database's bytes or in the
//! logs. Issue 22, finding 8.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::columns::{COLUMNS, Column, Holds};
use haven_store::testing::{self, TestDb};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";
/// The person's date of birth and telephone number: typed, but no canary
/// fits their format, so they are searched for as they were typed.
const BIRTH_DATE: &str = "1987-06-05";
const PHONE: &str = "(555) 013-7931";
const PHONE_DIGITS: &str = "5550137931";
/// The directory fixture whose shelter location is confidential.
const SHELTER_ORG: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e01";
const SHELTER_SERVICE: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e06";

/// A canary: unique text that must never be found in plaintext.
fn canary(place: &str) -> String {
    format!("Zyxwvut-{place}-Quokkabelle")
}

// ---------------------------------------------------------------- logs

/// A log sink shared by every test of this binary.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's one log subscriber, installed by whichever test comes
/// first, at TRACE, writing into one buffer.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only subscriber in this test binary");
        logs
    })
}

// ---------------------------------------------------------------- requests

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn form_req(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

fn get_req(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn cookie_of(res: &Response<Body>) -> String {
    res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// A string field of a JSON answer.
fn field(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

/// RFC 4648 base32 without padding, as the enrolment page shows a secret.
fn base32_decode(b32: &str) -> Vec<u8> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0, Vec::new());
    for c in b32.trim().trim_end_matches('=').chars() {
        bits = (bits << 5) | alphabet.find(c).expect("base32") as u64;
        n += 5;
        if n >= 8 {
            out.push((bits >> (n - 8)) as u8);
            n -= 8;
        }
    }
    out
}

/// A signed-in staff member.
struct Staff {
    id: UserId,
    cookie: String,
}

/// Haven on one database, and the requests of the tour.
struct Tour {
    state: AppState,
    router: Router,
    db: TestDb,
}

impl Tour {
    async fn new(db: TestDb) -> Self {
        let keys = KeyringHandle::load(&db.store, haven_crypto::SecretKey::generate())
            .await
            .unwrap();
        let settings = Settings {
            require_mfa: false,
            ..Settings::default()
        };
        let state = AppState::new(db.store.clone(), settings, HashCost::TEST, keys);
        Self {
            router: haven_server::router(state.clone()),
            state,
            db,
        }
    }

    fn name(&self) -> &'static str {
        self.db.name
    }

    async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// Organizations and accounts are set up in the store: they are staff
    /// data, not what the tour is about.
    async fn org(&self, name: &str, kind: OrgKind) -> OrganizationId {
        let o = Organization {
            id: OrganizationId::new(),
            name: name.into(),
            kind,
            created_at: haven_domain::now(),
        };
        self.db
            .store
            .create_organization(&o, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        o.id
    }

    /// An account, signed in through the sign-in page.
    async fn staff(&self, org: OrganizationId, login: &str, roles: &[Role]) -> Staff {
        let u = User {
            id: UserId::new(),
            organization_id: org,
            login: LoginName::parse(login).unwrap(),
            display_name: format!("Staff {login}"),
            roles: roles.to_vec(),
            password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
            disabled: false,
            created_at: haven_domain::now(),
        };
        self.db
            .store
            .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
            .await
            .unwrap();
        let res = self
            .send(form_req(
                "/sign-in",
                &encode(&[("login", login), ("password", PASSWORD)]),
                None,
            ))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{login} signs in");
        Staff {
            id: u.id,
            cookie: cookie_of(&res),
        }
    }

    async fn page(&self, who: &Staff, path: &str) -> String {
        let res = self.send(get_req(path, &who.cookie)).await;
        assert_eq!(res.status(), StatusCode::OK, "{}: GET {path}", self.name());
        text(res).await
    }

    /// `canary.<who>@example.test`, signed in, and an API token of theirs
    /// with `scopes`.
    async fn member(
        &self,
        org: OrganizationId,
        who: &str,
        roles: &[Role],
        scopes: &[&str],
    ) -> (Staff, String) {
        let staff = self
            .staff(org, &format!("canary.{who}@example.test"), roles)
            .await;
        let token = self.token(&staff, scopes).await;
        (staff, token)
    }

    /// A page form, with the session's CSRF token.
    async fn form(&self, who: &Staff, path: &str, pairs: &[(&str, &str)]) -> Response<Body> {
        let csrf = csrf_in(&self.page(who, "/").await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(pairs);
        self.send(form_req(path, &encode(&all), Some(&who.cookie)))
            .await
    }

    /// An API token made on the account page.
    async fn token(&self, who: &Staff, scopes: &[&str]) -> String {
        let mut fields = vec![("name", "canary tour"), ("days", "30")];
        fields.extend(scopes.iter().map(|s| ("scopes", *s)));
        let res = self.form(who, "/account/tokens", &fields).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}: token", self.name());
        let html = text(res).await;
        let marker = "data-testid=\"new-token\">";
        let at = html.find(marker).unwrap() + marker.len();
        html[at..].split('<').next().unwrap().to_owned()
    }

    /// An API call that must succeed, with a JSON body unless `body` is
    /// null; its JSON answer (null if none).
    async fn api(&self, token: &str, method: &str, path: &str, body: Value) -> Value {
        let b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let req = if body.is_null() {
            b.body(Body::empty())
        } else {
            b.header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
        };
        self.answer(method, path, req.unwrap()).await
    }

    /// Uploads `bytes` as a file (the request body is the file).
    async fn upload(&self, token: &str, path: &str, content_type: &str, bytes: Vec<u8>) -> Value {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes))
            .unwrap();
        self.answer("POST", path, req).await
    }

    async fn answer(&self, method: &str, path: &str, req: Request<Body>) -> Value {
        let res = self.send(req).await;
        let status = res.status();
        let body = text(res).await;
        assert!(
            status.is_success(),
            "{}: {method} {path}: {status} {body}",
            self.name()
        );
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }
}

// ---------------------------------------------------------------- the tour

/// Who takes part.
struct Cast {
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

async fn cast(t: &Tour) -> Cast {
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
async fn register(t: &Tour, c: &Cast) -> String {
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
async fn add_agent(t: &Tour, c: &Cast, case: &str) {
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
async fn entries(t: &Tour, c: &Cast, case: &str) -> String {
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
async fn attachment(t: &Tour, c: &Cast, case: &str) {
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
async fn draft(t: &Tour, c: &Cast) {
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
async fn funds(t: &Tour, c: &Cast, case: &str) {
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
async fn relief_facts(t: &Tour, c: &Cast, case: &str) {
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
async fn document(t: &Tour, c: &Cast, case: &str) {
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
async fn break_glass(t: &Tour, c: &Cast, case: &str) {
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
async fn directory(t: &Tour, c: &Cast) {
    let fixture = include_str!("../../../tests/directory/haven-attributes.json");
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
async fn release(t: &Tour, c: &Cast, case: &str) {
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
async fn referral(t: &Tour, c: &Cast, case: &str, plan_item: &str) {
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
async fn interview(t: &Tour, c: &Cast, case: &str) {
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
async fn notice(t: &Tour, c: &Cast, case: &str) {
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
async fn enrol(t: &Tour, c: &Cast) -> (String, Vec<u8>) {
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

// ---------------------------------------------------------------- the checks

/// `SELECT COUNT(*) FROM table WHERE condition` for each column, on the
/// database directly (as anyone with a copy of it could).
async fn count_rows(db: &TestDb, columns: &[(&Column, String)]) -> Vec<i64> {
    use sqlx::Connection;
    let queries: Vec<String> = columns
        .iter()
        .map(|(c, condition)| format!("SELECT COUNT(*) FROM \"{}\" WHERE {condition}", c.table))
        .collect();
    let mut out = Vec::new();
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for q in queries {
                // Table and column names come from the registry, not from input.
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                out.push(n);
            }
            conn.close().await.unwrap();
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            for q in queries {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                out.push(n);
            }
            conn.close().await.unwrap();
        }
    }
    out
}

/// Every ciphertext column of the registry holds a value; every legacy
/// column is empty.
async fn every_ciphertext_column_is_filled(db: &TestDb) {
    let checks: Vec<(&Column, String)> = COLUMNS
        .iter()
        .filter_map(|c| match c.holds {
            Holds::Ciphertext => Some((c, format!("\"{}\" IS NOT NULL", c.name))),
            Holds::Legacy => Some((c, format!("\"{0}\" IS NOT NULL AND \"{0}\" <> ''", c.name))),
            _ => None,
        })
        .collect();
    assert!(
        checks
            .iter()
            .filter(|(c, _)| c.holds == Holds::Ciphertext)
            .count()
            >= 29,
        "the registry lists the ciphertext columns"
    );
    let counts = count_rows(db, &checks).await;
    let empty: Vec<String> = checks
        .iter()
        .zip(&counts)
        .filter(|((c, _), n)| c.holds == Holds::Ciphertext && **n == 0)
        .map(|((c, _), _)| format!("{}.{}", c.table, c.name))
        .collect();
    assert!(
        empty.is_empty(),
        "{}: the tour wrote nothing into these ciphertext columns: {empty:?}",
        db.name
    );
    let legacy: Vec<String> = checks
        .iter()
        .zip(&counts)
        .filter(|((c, _), n)| c.holds == Holds::Legacy && **n > 0)
        .map(|((c, _), _)| format!("{}.{}", c.table, c.name))
        .collect();
    assert!(
        legacy.is_empty(),
        "{}: new data in legacy plaintext columns: {legacy:?}",
        db.name
    );
}

/// Every byte the database keeps: the SQLite file with its WAL and shared
/// memory, or a `pg_dump` of the PostgreSQL database.
fn database_bytes(db: &TestDb) -> Vec<u8> {
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut all = std::fs::read(path).unwrap();
            for side in ["-wal", "-shm"] {
                if let Ok(b) = std::fs::read(format!("{}{side}", path.display())) {
                    all.extend(b);
                }
            }
            all
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let out = std::process::Command::new(pg_dump_binary())
                .arg("--dbname")
                .arg(url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.len() > 1000);
            out.stdout
        }
    }
}

fn pg_dump_binary() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return std::path::Path::new(&dir).join("pg_dump");
    }
    for dir in std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL client tools are installed")
        .flatten()
    {
        let p = dir.path().join("bin/pg_dump");
        if p.exists() {
            return p;
        }
    }
    panic!("pg_dump not found: the test command installs PostgreSQL");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What must not be found: the canaries (any case), the date of birth, the
/// phone number as typed and as digits, the TOTP secret as shown.
fn needles(secret_shown: &str) -> Vec<Vec<u8>> {
    [
        "zyxwvut",
        "quokkabelle",
        BIRTH_DATE,
        PHONE,
        PHONE_DIGITS,
        secret_shown,
    ]
    .iter()
    .map(|s| s.to_ascii_lowercase().into_bytes())
    .collect()
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Fails, showing the surroundings, when a needle is in `hay` (compared
/// without case).
fn assert_nowhere(hay: &[u8], needles: &[Vec<u8>], what: &str) {
    let folded = hay.to_ascii_lowercase();
    for n in needles {
        if let Some(at) = find(&folded, n) {
            let from = at.saturating_sub(160);
            let to = (at + n.len() + 160).min(hay.len());
            panic!(
                "{what}: {:?} in plaintext, at byte {at}: ...{}...",
                String::from_utf8_lossy(n),
                hay[from..to].escape_ascii()
            );
        }
    }
}

/// Tours Haven on the database `db` opens, then looks for the canaries.
async fn tour_and_check(db: impl std::future::Future<Output = TestDb>) {
    // Capturing starts before the database is even opened.
    let logs = logs();
    let t = Tour::new(db.await).await;
    let c = cast(&t).await;
    let case = register(&t, &c).await;
    add_agent(&t, &c, &case).await;
    let plan_item = entries(&t, &c, &case).await;
    attachment(&t, &c, &case).await;
    draft(&t, &c).await;
    funds(&t, &c, &case).await;
    relief_facts(&t, &c, &case).await;
    document(&t, &c, &case).await;
    break_glass(&t, &c, &case).await;
    directory(&t, &c).await;
    release(&t, &c, &case).await;
    referral(&t, &c, &case, &plan_item).await;
    interview(&t, &c, &case).await;
    notice(&t, &c, &case).await;
    // The background job that turns queued messages into notifications.
    haven_server::features::relief::deliver_messages(&t.state, "canary", haven_domain::now())
        .await
        .unwrap();
    let (secret_shown, secret) = enrol(&t, &c).await;

    // 1. Every ciphertext column of the registry was written.
    every_ciphertext_column_is_filled(&t.db).await;

    // 2. No canary in the database's bytes. A positive control first: plain,
    // non-personal text is found, so the search would find a canary.
    let name = t.name();
    let dump = database_bytes(&t.db);
    assert!(
        find(&dump, b"Canary NGO").is_some() && find(&dump, b"Canary Shelter").is_some(),
        "{name}: the dump was searched"
    );
    let mut needles = needles(&secret_shown);
    assert_nowhere(&dump, &needles, &format!("{name} database"));
    // The raw secret, and PostgreSQL's hex form of bytes (bytea columns)
    // for every needle.
    assert!(
        find(&dump, &secret).is_none(),
        "{name}: the raw TOTP secret"
    );
    let mut hexed: Vec<Vec<u8>> = needles.iter().map(|n| hex(n).into_bytes()).collect();
    for n in [b"Zyxwvut".as_slice(), b"Quokkabelle", &secret] {
        hexed.push(hex(n).into_bytes());
    }
    assert_nowhere(&dump, &hexed, &format!("{name} database (as hex)"));

    // 3. No canary in the logs.
    let logged = logs.0.lock().unwrap().clone();
    assert!(logged.len() > 1000, "the logs were captured");
    assert!(
        String::from_utf8_lossy(&logged).contains("route=/cases"),
        "requests were logged"
    );
    // Nor the secret in hex, nor any e-mail address (the person's, or the
    // staff's sign-in names).
    needles.push(hex(&secret).into_bytes());
    needles.push(b"@example.test".to_vec());
    assert_nowhere(&logged, &needles, &format!("{name} logs"));
}

#[tokio::test]
async fn canary_personal_data_is_nowhere_in_plaintext_sqlite() {
    tour_and_check(testing::sqlite()).await;
}

#[tokio::test]
async fn canary_personal_data_is_nowhere_in_plaintext_postgres() {
    tour_and_check(testing::postgres()).await;
}
