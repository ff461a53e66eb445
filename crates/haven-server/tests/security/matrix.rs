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

// ------------------------------------------------------------------ releases

row!(api_record_release, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/consents", m.case()),
        Some(CaseWorld::release(
            Recipient::Org(m.w.other_ngo),
            &["identity"],
        )),
    )
});

row!(api_revoke_release, ["owner", "ngo_supervisor"], |m, p| {
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/consents", m.case()),
            CaseWorld::release(Recipient::Org(m.w.other_ngo), &["identity"]),
        )
        .await;
    Attempt::Api(
        "DELETE",
        format!(
            "/api/v1/cases/{}/consents/{}",
            m.case(),
            b["id"].as_str().unwrap()
        ),
        None,
    )
});

fn release_form(m: &MatrixWorld) -> Vec<(String, String)> {
    [
        ("recipient", format!("org:{}", m.w.other_ngo)),
        ("purpose", "Housing referral".into()),
        ("fields", "identity".into()),
        ("signed_on", today_plus(0)),
        ("expires_on", today_plus(60)),
        ("signers", "victim".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

row!(page_record_release, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Page(format!("/cases/{}/consents", m.case()), release_form(m))
});

row!(page_revoke_release, ["owner", "ngo_supervisor"], |m, p| {
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/consents", m.case()),
            CaseWorld::release(Recipient::Org(m.w.other_ngo), &["identity"]),
        )
        .await;
    Attempt::Page(
        format!(
            "/cases/{}/consents/{}/revoke",
            m.case(),
            b["id"].as_str().unwrap()
        ),
        Vec::new(),
    )
});

// ------------------------------------------------------------- the record

row!(
    api_add_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/entries", m.case()),
        Some(
            serde_json::json!({"kind": "note", "compartment": "shared", "text": "Met at the clinic"})
        )
    )
);

row!(
    api_add_advocate_note,
    ["owner", "ngo_supervisor"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/entries", m.case()),
        Some(
            serde_json::json!({"kind": "note", "compartment": "advocate", "text": "Confidential"})
        )
    )
);

row!(
    page_add_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/entries", m.case()),
        vec![
            ("kind".into(), "note".into()),
            ("compartment".into(), "shared".into()),
            ("text".into(), "Met at the clinic".into()),
        ]
    )
);

row!(
    api_update_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| {
        let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/entries", m.case()),
            serde_json::json!({"kind": "task", "compartment": "shared", "text": "Call the clinic"}),
        )
        .await;
        Attempt::Api(
            "PATCH",
            format!(
                "/api/v1/cases/{}/entries/{}",
                m.case(),
                b["id"].as_str().unwrap()
            ),
            Some(serde_json::json!({"status": "done"})),
        )
    }
);

row!(
    api_set_cooperation,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/cooperation", m.case()),
        Some(serde_json::json!({"cooperation": "considering"}))
    )
);

row!(
    api_change_stage,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/stage", m.fresh_case().await),
        Some(serde_json::json!({"stage": "stabilizing"}))
    )
);

row!(api_change_team, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/team", m.fresh_case().await),
        Some(
            serde_json::json!({"user_id": m.w.colleague.id.to_string(), "role": "owner_specialist"}),
        ),
    )
});

row!(
    api_attach_file,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Raw(
        "POST",
        format!("/api/v1/cases/{}/attachments?name=letter.txt", m.case()),
        "text/plain",
        b"A letter from the clinic.".to_vec()
    )
);

row!(
    api_relief_facts,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/relief/facts", m.case()),
        Some(
            serde_json::json!({"format": "haven.relief-facts/1", "person": {"in_united_states": true}})
        )
    )
);

row!(api_draft_certification, ["agent"], |m, p| Attempt::Api(
    "POST",
    format!("/api/v1/cases/{}/documents", m.case()),
    Some(serde_json::json!({"kind": "i918b"}))
));

row!(
    page_break_glass,
    ["ngo_supervisor", "agency_supervisor"],
    |m, p| Attempt::Page(
        format!("/cases/{}/emergency", m.case()),
        vec![(
            "reason".into(),
            "Victim in danger tonight; owner unreachable".into()
        )]
    )
);

row!(
    api_open_case,
    [
        "owner",
        "ngo_supervisor",
        "colleague",
        "agent",
        "agency_supervisor",
        "recipient",
        "other_specialist"
    ],
    |m, p| Attempt::Api(
        "POST",
        "/api/v1/cases".into(),
        Some(
            serde_json::json!({"name": format!("Person for {p}"), "birth_date": "1991-05-05", "confirm_duplicate": true})
        )
    )
);

// --------------------------------------------------------------- funds

row!(
    api_create_fund,
    ["ngo_supervisor", "agency_supervisor", "admin"],
    |m, p| Attempt::Api(
        "POST",
        "/api/v1/funds".into(),
        Some(serde_json::json!({"name": format!("Fund of {p}"), "budget": "1000"}))
    )
);

async fn ngo_fund(m: &MatrixWorld) -> String {
    let boss =
        m.w.app
            .token(&m.w.ngo_supervisor, &["cases:read", "cases:write"])
            .await;
    let (s, b) = m
        .w
        .app
        .api(
            &boss,
            "POST",
            "/api/v1/funds",
            Some(serde_json::json!({"name": format!("Emergency {}", uuid::Uuid::new_v4().simple()), "budget": "5000"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

row!(api_request_funds, ["owner", "ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/fund-requests", m.case()),
        Some(
            serde_json::json!({"fund_id": fund, "amount": "120", "purpose": "lodging", "urgency": "high", "description": "Two nights"}),
        ),
    )
});

row!(api_decide_fund_request, ["ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/fund-requests", m.case()),
            serde_json::json!({"fund_id": fund, "amount": "120", "purpose": "lodging", "urgency": "high", "description": "Two nights"}),
        )
        .await;
    Attempt::Api(
        "POST",
        format!(
            "/api/v1/fund-requests/{}/decision",
            b["id"].as_str().unwrap()
        ),
        Some(serde_json::json!({"approve": false, "note": "Covered by the shelter"})),
    )
});

// ------------------------------------------------------- administration

row!(api_create_user, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/users".into(),
    Some(serde_json::json!({
        "name": "New Person",
        "login": format!("new.{p}@ngo.test"),
        "password": "a long enough passphrase",
        "roles": ["victim_specialist"],
    }))
));

row!(api_change_roles, ["admin"], |m, p| Attempt::Api(
    "PATCH",
    format!("/api/v1/users/{}", m.analyst.id),
    Some(serde_json::json!({"roles": ["analyst", "supervisor"]}))
));

row!(api_reset_second_factor, ["admin"], |m, p| Attempt::Api(
    "POST",
    format!("/api/v1/users/{}/mfa-reset", m.analyst.id),
    None
));

row!(api_create_organization, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/organizations".into(),
    Some(serde_json::json!({"name": format!("Org of {p}"), "kind": "ngo"}))
));

row!(page_change_roles, ["admin"], |m, p| Attempt::Page(
    format!("/admin/users/{}/access", m.analyst.id),
    vec![
        ("roles".into(), "analyst".into()),
        ("roles".into(), "supervisor".into())
    ]
));

row!(api_add_hotline, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/hotlines".into(),
    Some(serde_json::json!({
        "position": 1,
        "name_en": format!("Line of {p}"),
        "name_es": format!("Línea de {p}"),
        "phone": "+1 888 373 7888",
        "text_number": "",
        "description_en": "Day and night",
        "description_es": "Día y noche",
    }))
));

// ------------------------------------------------------- the case's pages

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

row!(
    page_change_stage,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/stage", m.fresh_case().await),
        pairs(&[("stage", "stabilizing")])
    )
);

row!(
    page_set_cooperation,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/cooperation", m.case()),
        pairs(&[("cooperation", "considering")])
    )
);

row!(page_change_team, ["owner", "ngo_supervisor"], |m, p| {
    let colleague = m.w.colleague.id.to_string();
    Attempt::Page(
        format!("/cases/{}/team", m.fresh_case().await),
        pairs(&[
            ("op", "add"),
            ("user", &colleague),
            ("role", "owner_specialist"),
        ]),
    )
});

row!(
    page_update_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| {
        let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/entries", m.case()),
            serde_json::json!({"kind": "task", "compartment": "shared", "text": "Call the clinic"}),
        )
        .await;
        let entry = b["id"].as_str().unwrap().to_owned();
        Attempt::Page(
            format!("/cases/{}/entries/update", m.case()),
            pairs(&[("entry", &entry), ("status", "done")]),
        )
    }
);

row!(page_request_funds, ["owner", "ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Page(
        format!("/cases/{}/fund-requests", m.case()),
        pairs(&[
            ("fund_id", &fund),
            ("amount", "80"),
            ("purpose", "food"),
            ("urgency", "high"),
            ("description", "Groceries for a week"),
        ]),
    )
});

row!(page_draft_certification, ["agent"], |m, p| Attempt::Page(
    format!("/cases/{}/documents", m.case()),
    pairs(&[("kind", "i918b")])
));

row!(
    api_notify_victim,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/notices", m.reachable_case().await),
        Some(serde_json::json!({"event": "call_specialist"}))
    )
);

row!(api_opt_out, ["owner", "ngo_supervisor", "agent"], |m, p| {
    Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/opt-outs/sms", m.reachable_case().await),
        None,
    )
});

// -------------------------------------------- declarations and certifications

/// A U certification the agent drafted on the world's case.
async fn drafted(m: &MatrixWorld) -> String {
    let t =
        m.w.app
            .token(&m.w.agent, &["cases:read", "cases:write"])
            .await;
    let (s, b) =
        m.w.app
            .api(
                &t,
                "POST",
                &format!("/api/v1/cases/{}/documents", m.case()),
                Some(serde_json::json!({"kind": "i918b"})),
            )
            .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

// The agency's certifying official edits the draft they are to sign.
row!(api_edit_certification, ["agent", "certifier"], |m, p| {
    let doc = drafted(m).await;
    let t = m.w.app.token(&m.w.agent, &["cases:read"]).await;
    let (_, current) =
        m.w.app
            .api(&t, "GET", &format!("/api/v1/documents/{doc}"), None)
            .await;
    let mut content = current["content"].clone();
    content["description"] = "Held without pay for months".into();
    Attempt::Api("PUT", format!("/api/v1/documents/{doc}"), Some(content))
});

// ------------------------------------------------- administration pages

row!(page_create_user, ["admin"], |m, p| Attempt::Page(
    "/admin/users".into(),
    pairs(&[
        ("name", "New Person"),
        ("login", &format!("page.{p}@ngo.test")),
        ("password", "a long enough passphrase"),
        ("roles", "victim_specialist"),
    ])
));

row!(page_reset_second_factor, ["admin"], |m, p| Attempt::Page(
    format!("/admin/users/{}/reset-mfa", m.analyst.id),
    Vec::new()
));

row!(page_end_sessions, ["admin"], |m, p| {
    let target =
        m.w.app
            .person(
                m.w.ngo,
                &format!("target.{}@ngo.test", uuid::Uuid::new_v4().simple()),
                &[Role::Analyst],
            )
            .await;
    Attempt::Page(
        format!("/admin/users/{}/end-sessions", target.id),
        Vec::new(),
    )
});

row!(api_end_sessions, ["admin"], |m, p| {
    let target =
        m.w.app
            .person(
                m.w.ngo,
                &format!("target.{}@ngo.test", uuid::Uuid::new_v4().simple()),
                &[Role::Analyst],
            )
            .await;
    Attempt::Api(
        "DELETE",
        format!("/api/v1/users/{}/sessions", target.id),
        None,
    )
});

row!(page_create_organization, ["admin"], |m, p| Attempt::Page(
    "/admin/organizations".into(),
    pairs(&[("name", &format!("Org of {p} by page")), ("kind", "ngo")])
));

row!(page_add_hotline, ["admin"], |m, p| Attempt::Page(
    "/hotlines".into(),
    pairs(&[
        ("position", "5"),
        ("name_en", &format!("Line of {p}")),
        ("name_es", &format!("Línea de {p}")),
        ("phone", "+1 888 373 7888"),
        ("description_en", "Day and night"),
        ("description_es", "Día y noche"),
    ])
));

row!(api_notice_template, ["admin"], |m, p| Attempt::Api(
    "PUT",
    "/api/v1/notice-templates/en-US/notice-call_specialist".into(),
    Some(serde_json::json!({"body": "Please call us back when it is safe."}))
));

// --------------------------------------------------------------- funds

row!(
    page_create_fund,
    ["ngo_supervisor", "agency_supervisor", "admin"],
    |m, p| Attempt::Page(
        "/funds".into(),
        pairs(&[("name", &format!("Page fund of {p}")), ("budget", "500")])
    )
);

row!(page_add_to_fund, ["ngo_supervisor", "admin"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Page(format!("/funds/{fund}/add"), pairs(&[("amount", "100")]))
});

row!(page_decide_fund_request, ["ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/fund-requests", m.case()),
            serde_json::json!({"fund_id": fund, "amount": "60", "purpose": "food", "urgency": "high", "description": "Groceries"}),
        )
        .await;
    Attempt::Page(
        format!("/fund-requests/{}/decide", b["id"].as_str().unwrap()),
        pairs(&[("decision", "deny"), ("note", "Covered by the shelter")]),
    )
});

/// State-changing routes the matrix does not try itself, each with where its
/// authorization is tested (or why none applies). Kept in step with the
/// server by `every_write_route_is_in_the_matrix`.
pub const COVERED_ELSEWHERE: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/sign-in",
        "before authentication: tests/http/account.rs sign-in tests; security::twenty_failures_behind_the_proxy_lock_every_user_out",
    ),
    (
        "POST",
        "/sign-in/mfa",
        "the session's own second factor: tests/http/account.rs roles_that_see_personal_data_must_enrol_and_then_use_totp",
    ),
    (
        "POST",
        "/mfa/setup",
        "the session's own second factor: tests/http/account.rs roles_that_see_personal_data_must_enrol_and_then_use_totp",
    ),
    (
        "POST",
        "/sign-out",
        "the session's own: tests/http/account.rs sign_out_needs_the_session_token_and_ends_the_session",
    ),
    (
        "POST",
        "/account/sign-out-everywhere",
        "own sessions: tests/http/account.rs sign_out_everywhere_ends_every_session_of_the_account",
    ),
    (
        "POST",
        "/account/tokens",
        "own tokens, never above the owner: tests/http/account.rs a_token_never_exceeds_its_owner_and_expired_tokens_fail",
    ),
    (
        "POST",
        "/account/tokens/{id}/revoke",
        "own tokens: tests/http/account.rs api_tokens_act_as_their_owner_within_their_scopes_until_revoked",
    ),
    ("POST", "/account/notifications", "own settings"),
    (
        "PUT",
        "/api/v1/account/notification-settings",
        "own settings",
    ),
    (
        "POST",
        "/notifications/{id}/read",
        "own notifications (store checks the reader)",
    ),
    (
        "POST",
        "/api/v1/notifications/{id}/read",
        "own notifications (store checks the reader)",
    ),
    (
        "POST",
        "/cases",
        "access::may_open_case, as api_open_case: tests/http/cases.rs a_registered_case_is_seen_by_its_team_and_supervisors_only",
    ),
    (
        "POST",
        "/cases/drafts/{id}/delete",
        "own drafts: tests/http/cases.rs intake_searches_first_through_the_api_and_drafts_belong_to_their_author",
    ),
    (
        "POST",
        "/api/v1/intake-drafts",
        "may_open_case: security::a_release_recipient_edits_advocate_notes_and_analysts_keep_drafts",
    ),
    (
        "PUT",
        "/api/v1/intake-drafts/{id}",
        "own drafts: tests/http/cases.rs intake_searches_first_through_the_api_and_drafts_belong_to_their_author",
    ),
    (
        "POST",
        "/cases/{id}/hhs-notified",
        "record::mark_hhs_notified (may_edit_case): tests/http/record.rs a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/hhs-notification",
        "record::mark_hhs_notified (may_edit_case): tests/http/record.rs a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock",
    ),
    (
        "POST",
        "/cases/{id}/attachments",
        "store_attachment, as api_attach_file: tests/http/record.rs attachments_are_checked_encrypted_and_come_back_byte_for_byte",
    ),
    (
        "POST",
        "/fund-requests/{id}/disburse",
        "funds::disburse: tests/http/funds.rs fund_decisions_respect_limits_roles_and_the_balance",
    ),
    (
        "POST",
        "/api/v1/fund-requests/{id}/disbursement",
        "funds::disburse: tests/http/funds.rs fund_decisions_respect_limits_roles_and_the_balance",
    ),
    (
        "POST",
        "/cases/{id}/relief/facts/{section}",
        "relief::update_facts, as api_relief_facts; R-3: security::law_enforcement_reads_a_1367_protected_case_s_immigration_information",
    ),
    (
        "POST",
        "/cases/{id}/relief/list/{list}",
        "relief::update_facts, as api_relief_facts",
    ),
    (
        "POST",
        "/documents/{id}/{action}",
        "document policy (may_sign_le_document...): haven-domain access tests; tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/documents/{id}/signature",
        "may_sign_le_document: tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/documents/{id}/withdrawal",
        "may_sign_le_document: tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/relief/evaluate",
        "writes nothing: evaluates posted facts",
    ),
    (
        "POST",
        "/cases/{id}/interviews",
        "interview::may_request: haven-domain interview tests; haven-store tests/interviews.rs",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/interviews",
        "interview::may_request: haven-domain interview tests",
    ),
    (
        "POST",
        "/cases/{id}/interviews/{interview}/observe",
        "interview::may_request",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/interviews/{interview_id}/observers",
        "interview::may_request",
    ),
    (
        "POST",
        "/interviews/{id}/schedule",
        "interview::may_handle / may_conduct",
    ),
    (
        "PUT",
        "/api/v1/interviews/{id}/schedule",
        "interview::may_handle / may_conduct",
    ),
    ("POST", "/interviews/{id}/{action}", "interview::may_handle"),
    (
        "POST",
        "/api/v1/interviews/{id}/cancellation",
        "interview::may_handle or may_edit_case",
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/record",
        "interview::may_handle + may_write_compartment",
    ),
    ("POST", "/interviews/{id}/files", "interview file access"),
    (
        "POST",
        "/api/v1/interviews/{id}/files",
        "interview file access",
    ),
    (
        "POST",
        "/interviews/{id}/files/{file}/{action}",
        "interview file access",
    ),
    (
        "POST",
        "/api/v1/interview-files/{id}/transfers",
        "interview file access",
    ),
    (
        "POST",
        "/api/v1/interview-files/{id}/verification",
        "interview file access",
    ),
    (
        "POST",
        "/cases/{id}/notices",
        "notices::notify (may_edit_case)",
    ),
    (
        "POST",
        "/cases/{id}/opt-outs",
        "notices::set_opt_out (may_edit_case)",
    ),
    (
        "DELETE",
        "/api/v1/cases/{id}/opt-outs/{channel}",
        "notices::set_opt_out (may_edit_case)",
    ),
    (
        "POST",
        "/admin/templates",
        "directory::may_manage (administrators)",
    ),
    (
        "DELETE",
        "/api/v1/notice-templates/{lang}/{key}",
        "directory::may_manage (administrators)",
    ),
    (
        "POST",
        "/api/v1/sms/inbound",
        "the SMS provider's token, not a person: tests/http.rs",
    ),
    (
        "POST",
        "/directory/services/{id}/capacity",
        "directory::may_update_capacity: tests/http/? directory tests",
    ),
    (
        "PUT",
        "/api/v1/directory/services/{id}/capacity",
        "directory::may_update_capacity: tests/http/? directory tests",
    ),
    (
        "POST",
        "/directory/import",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/api/v1/directory/import",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/directory/organizations/{id}/link",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "PUT",
        "/api/v1/directory/organizations/{id}/link",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/hotlines/{id}/delete",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "PUT",
        "/api/v1/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "DELETE",
        "/api/v1/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/cases/{id}/referrals",
        "referral::may_send (may_edit_case): haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/referrals",
        "referral::may_send (may_edit_case): haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/referrals/{id}/withdraw",
        "referral::may_send: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/withdrawal",
        "referral::may_send: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/referrals/{id}",
        "referral::may_handle_incoming: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/referrals/incoming/{id}/responses",
        "referral::may_handle_incoming: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/review/emergency/{id}",
        "the owning organization's other supervisors: tests/http/cases.rs supervisors_break_glass_with_a_reason_and_another_supervisor_reviews_it",
    ),
];

/// The rows above, by method and route, for the coverage check.
pub const IN_MATRIX: &[(&str, &str)] = &[
    ("POST", "/api/v1/cases/{id}/consents"),
    ("DELETE", "/api/v1/cases/{id}/consents/{consent_id}"),
    ("POST", "/cases/{id}/consents"),
    ("POST", "/cases/{id}/consents/{consent_id}/revoke"),
    ("POST", "/api/v1/cases/{id}/entries"),
    ("POST", "/cases/{id}/entries"),
    ("PATCH", "/api/v1/cases/{id}/entries/{entry_id}"),
    ("PUT", "/api/v1/cases/{id}/cooperation"),
    ("POST", "/api/v1/cases/{id}/stage"),
    ("POST", "/api/v1/cases/{id}/team"),
    ("POST", "/api/v1/cases/{id}/attachments"),
    ("PUT", "/api/v1/cases/{id}/relief/facts"),
    ("POST", "/api/v1/cases/{id}/documents"),
    ("POST", "/cases/{id}/emergency"),
    ("POST", "/api/v1/cases"),
    ("POST", "/api/v1/funds"),
    ("POST", "/api/v1/cases/{id}/fund-requests"),
    ("POST", "/api/v1/fund-requests/{id}/decision"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/{id}"),
    ("POST", "/api/v1/users/{id}/mfa-reset"),
    ("POST", "/api/v1/organizations"),
    ("POST", "/admin/users/{id}/access"),
    ("POST", "/api/v1/hotlines"),
    ("POST", "/cases/{id}/stage"),
    ("POST", "/cases/{id}/cooperation"),
    ("POST", "/cases/{id}/team"),
    ("POST", "/cases/{id}/entries/update"),
    ("POST", "/cases/{id}/fund-requests"),
    ("POST", "/cases/{id}/documents"),
    ("POST", "/api/v1/cases/{id}/notices"),
    ("PUT", "/api/v1/cases/{id}/opt-outs/{channel}"),
    ("PUT", "/api/v1/documents/{id}"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{id}/reset-mfa"),
    ("POST", "/admin/users/{id}/end-sessions"),
    ("DELETE", "/api/v1/users/{id}/sessions"),
    ("POST", "/admin/organizations"),
    ("POST", "/hotlines"),
    ("PUT", "/api/v1/notice-templates/{lang}/{key}"),
    ("POST", "/funds"),
    ("POST", "/funds/{id}/add"),
    ("POST", "/fund-requests/{id}/decide"),
];

/// Every `.route("…", …)` registration of the server that answers a state-
/// changing method, read from its source.
fn registered_write_routes() -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(q) = rest.find('"') else { break };
            let after = &rest[q + 1..];
            let Some(end) = after.find('"') else { break };
            let path = after[..end].to_owned();
            // The method router: up to the call's closing parenthesis.
            let mut depth = 1;
            let mut close = 0;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let methods = &rest[..close];
            for (m, needle) in [
                ("POST", "post("),
                ("PUT", "put("),
                ("PATCH", "patch("),
                ("DELETE", "delete("),
            ] {
                let hit = methods.match_indices(needle).any(|(i, _)| {
                    i == 0
                        || !methods.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && methods.as_bytes()[i - 1] != b'_'
                });
                if hit {
                    out.push((m.to_owned(), path.clone()));
                }
            }
            rest = &rest[close..];
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_write_route_is_in_the_matrix() {
    let routes = registered_write_routes();
    assert!(
        routes.len() > 90,
        "the scan found the routes: {}",
        routes.len()
    );
    let listed = |m: &str, p: &str| {
        IN_MATRIX.iter().any(|(lm, lp)| *lm == m && *lp == p)
            || COVERED_ELSEWHERE
                .iter()
                .any(|(lm, lp, _)| *lm == m && *lp == p)
    };
    let missing: Vec<_> = routes.iter().filter(|(m, p)| !listed(m, p)).collect();
    assert!(
        missing.is_empty(),
        "state-changing routes missing from the write matrix (add a row, or say where they are tested): {missing:#?}"
    );
    let stale: Vec<_> = IN_MATRIX
        .iter()
        .map(|(m, p)| (*m, *p))
        .chain(COVERED_ELSEWHERE.iter().map(|(m, p, _)| (*m, *p)))
        .filter(|(m, p)| !routes.iter().any(|(rm, rp)| rm == m && rp == p))
        .collect();
    assert!(
        stale.is_empty(),
        "listed routes that no longer exist: {stale:#?}"
    );
}
