//! The write-authorization matrix: every state-changing route, pages and
//! API, tried by every relationship to one case (its team, the owner's
//! supervisor, a colleague off the team, a partner agency, a release
//! recipient, unrelated organizations, a provider, an analyst, an
//! administrator), with a token of every scope for the API. Each row states
//! exactly who may; everyone else must get "not found" or "forbidden", and a
//! token without the write scope never writes.
//!
//! `every_write_route_is_in_the_matrix` reads the server's route
//! registrations: a new state-changing route fails it until it is listed
//! here, with its allowed set or the test that covers it.

use crate::helpers::{CaseWorld, Person, Recipient, api_req, encode, form_req};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use haven_domain::{OrgKind, Role};
use haven_store::testing::TestDb;

/// Everyone who may try, by name.
pub const PERSONAS: [&str; 11] = [
    "owner",
    "ngo_supervisor",
    "colleague",
    "agent",
    "agency_supervisor",
    "recipient",
    "other_specialist",
    "provider",
    "analyst",
    "admin",
    "certifier",
];

/// Scopes a token may carry that never write.
const READ_SCOPES: [&str; 4] = [
    "cases:read",
    "referrals:read",
    "admin:read",
    "directory:read",
];

const ALL_SCOPES: [&str; 7] = [
    "admin:read",
    "admin:write",
    "cases:read",
    "cases:write",
    "directory:read",
    "referrals:read",
    "referrals:write",
];

pub struct MatrixWorld {
    pub w: CaseWorld,
    pub people: Vec<(&'static str, Person)>,
    pub analyst: Person,
}

impl MatrixWorld {
    pub async fn new(db: TestDb) -> Self {
        let w = CaseWorld::new(db).await;
        let app = &w.app;
        let provider_org = app.org("Cedar House", OrgKind::ServiceProvider).await;
        let provider = app
            .person(provider_org, "staff@cedar.test", &[Role::ProviderStaff])
            .await;
        let analyst = app
            .person(w.ngo, "analyst@ngo.test", &[Role::Analyst])
            .await;
        let admin = app
            .person(w.ngo, "admin@ngo.test", &[Role::Administrator])
            .await;
        // The partner agency's certifying official: signs its documents
        // without being on the case team.
        let certifier = app
            .person(
                w.agency,
                "official@agency.test",
                &[Role::CertifyingOfficial],
            )
            .await;
        // The other agency holds the victim's release: it reads the case.
        let (s, b) = app
            .api(
                &w.owner_token,
                "POST",
                &format!("/api/v1/cases/{}/consents", w.case),
                Some(CaseWorld::release(
                    Recipient::Org(w.other_agency),
                    &["identity", "case_history"],
                )),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let people = vec![
            ("owner", w.specialist.clone()),
            ("ngo_supervisor", w.ngo_supervisor.clone()),
            ("colleague", w.colleague.clone()),
            ("agent", w.agent.clone()),
            ("agency_supervisor", w.agency_supervisor.clone()),
            ("recipient", w.other_agent.clone()),
            ("other_specialist", w.other_specialist.clone()),
            ("provider", provider),
            ("analyst", analyst.clone()),
            ("admin", admin),
            ("certifier", certifier),
        ];
        assert_eq!(people.iter().map(|(n, _)| *n).collect::<Vec<_>>(), PERSONAS);
        Self { w, people, analyst }
    }

    fn case(&self) -> &str {
        &self.w.case
    }

    /// A fresh case whose person gave a safe channel (e-mail) and a phone
    /// number: notices and opt-outs have somewhere to go.
    async fn reachable_case(&self) -> String {
        let b = self
            .setup(
                "POST",
                "/api/v1/cases",
                serde_json::json!({
                    "name": format!("Reachable {}", uuid::Uuid::new_v4().simple()),
                    "birth_date": "1990-03-03",
                    "email": "reachable@example.test",
                    "phone": "+15550104477",
                    "safe_channel": "email",
                    "confirm_duplicate": true,
                }),
            )
            .await;
        let reachable = b["id"].as_str().unwrap().to_owned();
        self.w
            .app
            .add_to_team(&self.w.owner_token, &reachable, self.w.agent.id, "agent")
            .await;
        reachable
    }

    /// A new case for one attempt, with the same relationships as the
    /// world's: the owner's, the agent on its team, the other agency
    /// holding a release. Rows that change the case use one each, so one
    /// persona's success cannot open the way for the next.
    async fn fresh_case(&self) -> String {
        let b = self
            .setup(
                "POST",
                "/api/v1/cases",
                serde_json::json!({"name": format!("Person {}", uuid::Uuid::new_v4().simple()), "birth_date": "1990-02-02", "confirm_duplicate": true}),
            )
            .await;
        let case = b["id"].as_str().unwrap().to_owned();
        if std::env::var_os("MATRIX_DEBUG").is_some() {
            eprintln!("fresh case {case}");
        }
        self.w
            .app
            .add_to_team(&self.w.owner_token, &case, self.w.agent.id, "agent")
            .await;
        self.setup(
            "POST",
            &format!("/api/v1/cases/{case}/consents"),
            CaseWorld::release(
                Recipient::Org(self.w.other_agency),
                &["identity", "case_history"],
            ),
        )
        .await;
        case
    }

    /// The owner's API call, for a row's setup; must succeed.
    async fn setup(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let (s, b) = self
            .w
            .app
            .api(&self.w.owner_token, method, path, Some(body))
            .await;
        assert!(
            s.is_success(),
            "{}: setup {method} {path}: {s} {b}",
            self.w.name()
        );
        b
    }
}

/// One attempt: an API call (body as JSON, or raw bytes with a content
/// type) or a page form.
pub enum Attempt {
    Api(&'static str, String, Option<serde_json::Value>),
    Raw(&'static str, String, &'static str, Vec<u8>),
    Page(String, Vec<(String, String)>),
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Refused,
}

fn classify((status, body, to): (StatusCode, String, String), what: &str) -> Outcome {
    // Some pages answer a refusal with a redirect that says so.
    if status == StatusCode::SEE_OTHER
        && (to.contains("error=not_allowed") || to.contains("error=not_found"))
    {
        return Outcome::Refused;
    }
    // The relief pages send someone refused back to their caseload.
    if status == StatusCode::SEE_OTHER && (to == "/cases" || to == "/") {
        return Outcome::Refused;
    }
    if status == StatusCode::SEE_OTHER && to.contains("error=") {
        panic!("{what}: redirected with {to}: fix the row's request");
    }
    match status {
        s if s.is_success() || s == StatusCode::SEE_OTHER => Outcome::Allowed,
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Outcome::Refused,
        s => panic!("{what}: {s} is neither done nor refused: fix the row's request: {body}"),
    }
}

async fn send_as(
    m: &MatrixWorld,
    who: &Person,
    token: Option<&str>,
    a: Attempt,
) -> (StatusCode, String, String) {
    let app = &m.w.app;
    let req: Request<Body> = match a {
        Attempt::Api(method, path, body) => api_req(method, &path, token, body),
        Attempt::Raw(method, path, ctype, bytes) => Request::builder()
            .method(method)
            .uri(path)
            .header(
                "authorization",
                format!("Bearer {}", token.unwrap_or_default()),
            )
            .header("content-type", ctype)
            .body(Body::from(bytes))
            .unwrap(),
        Attempt::Page(path, pairs) => {
            let csrf = app.csrf(who).await;
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            form_req(&path, &encode(&all), Some(&who.cookie))
        }
    };
    let res = app.send(req).await;
    let status = res.status();
    let to = crate::helpers::location(&res);
    let body = crate::helpers::text(res).await;
    (status, body.chars().take(300).collect(), to)
}

/// Runs one row: every persona with a full-scope token (API) or a session
/// (pages); then every allowed persona with read-only tokens.
pub async fn check<F, Fut>(m: &MatrixWorld, row: &str, allowed: &[&'static str], attempt: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = Attempt>,
{
    let mut seen = Vec::new();
    let mut is_api = false;
    for (name, who) in &m.people {
        let a = attempt(name).await;
        is_api = !matches!(a, Attempt::Page(..));
        let token = if is_api {
            Some(m.w.app.token(who, &ALL_SCOPES).await)
        } else {
            None
        };
        let status = send_as(m, who, token.as_deref(), a).await;
        if std::env::var_os("MATRIX_DEBUG").is_some() {
            eprintln!("{row} {name}: {}", status.0);
        }
        if classify(status, &format!("{row} as {name}")) == Outcome::Allowed {
            seen.push(*name);
        }
    }
    assert_eq!(seen, allowed, "{}: {row}: who may", m.w.name());
    if is_api {
        for name in allowed {
            let who = &m.people.iter().find(|(n, _)| n == name).unwrap().1;
            let token = m.w.app.token(who, &READ_SCOPES).await;
            let a = attempt(name).await;
            let status = send_as(m, who, Some(&token), a).await;
            assert_eq!(
                classify(status, &format!("{row} as {name} with read scopes")),
                Outcome::Refused,
                "{}: {row}: a token without the write scope writes",
                m.w.name()
            );
        }
    }
}

fn today_plus(days: i64) -> String {
    (haven_domain::now().date() + time::Duration::days(days)).to_string()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One matrix row as two tests (`matrix_<row>::sqlite`, `...::postgres`).
macro_rules! row {
    ($name:ident, [$($who:literal),*], |$m:ident, $p:ident| $body:expr) => {
        async fn $name(db: TestDb) {
            let $m = &MatrixWorld::new(db).await;
            check($m, stringify!($name), &[$($who),*], |$p: &'static str| {
                let _ = $p;
                async move { $body }
            })
            .await;
        }
        crate::on_both!($name);
    };
}

mod administration;
mod coverage;
mod funds;
mod record;
mod releases;
