//! The attacker's test world: organizations, people in every relationship to
//! one case, and the requests they send, through pages and the API.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing::TestDb;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct App {
    pub state: AppState,
    pub router: Router,
    pub db: TestDb,
}

impl App {
    pub async fn new(db: TestDb) -> Self {
        Self::with(db, no_mfa()).await
    }

    pub async fn with(db: TestDb, settings: Settings) -> Self {
        let keys = KeyringHandle::load(&db.store, haven_crypto::SecretKey::generate())
            .await
            .unwrap();
        let state = AppState::new(db.store.clone(), settings, HashCost::TEST, keys);
        Self {
            router: haven_server::router(state.clone()),
            state,
            db,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    pub async fn org(&self, name: &str, kind: OrgKind) -> OrganizationId {
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

    /// A staff account, signed in: its id and session cookie.
    pub async fn person(&self, org: OrganizationId, login: &str, roles: &[Role]) -> Person {
        let u = User {
            id: UserId::new(),
            organization_id: org,
            login: LoginName::parse(login).unwrap(),
            display_name: format!("Person {login}"),
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
        Person {
            id: u.id,
            cookie: cookie_of(&res),
        }
    }

    /// The CSRF token of a session.
    pub async fn csrf(&self, p: &Person) -> String {
        let html = text(self.send(get_req("/", Some(&p.cookie))).await).await;
        let marker = "name=\"csrf\" value=\"";
        let at = html.find(marker).expect("csrf field") + marker.len();
        html[at..].split('"').next().unwrap().to_owned()
    }

    pub async fn get(&self, p: &Person, path: &str) -> Response<Body> {
        self.send(get_req(path, Some(&p.cookie))).await
    }

    /// A page form post with the session's CSRF token added.
    pub async fn post(&self, p: &Person, path: &str, pairs: &[(&str, &str)]) -> Response<Body> {
        let csrf = self.csrf(p).await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(pairs);
        self.send(form_req(path, &encode(&all), Some(&p.cookie)))
            .await
    }

    /// Makes an API token for `p` with `scopes`.
    pub async fn token(&self, p: &Person, scopes: &[&str]) -> String {
        let mut fields = vec![("name", "integration"), ("days", "30")];
        for s in scopes {
            fields.push(("scopes", s));
        }
        let res = self.post(p, "/account/tokens", &fields).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let html = text(res).await;
        let marker = "data-testid=\"new-token\">";
        let at = html.find(marker).unwrap() + marker.len();
        html[at..].split('<').next().unwrap().to_owned()
    }

    /// An API call with a bearer token: status and JSON body (null if none).
    pub async fn api(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let res = self.send(api_req(method, path, Some(token), body)).await;
        let status = res.status();
        let t = text(res).await;
        (
            status,
            serde_json::from_str(&t).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Registers a person through the intake page; returns the case id.
    pub async fn register(&self, p: &Person, name: &str, dob: &str) -> String {
        let res = self
            .post(
                p,
                "/cases",
                &[
                    ("name", name),
                    ("birth_date", dob),
                    ("action", "register"),
                    ("confirm_duplicate", "1"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}: register",
            self.db.name
        );
        location(&res).trim_start_matches("/cases/").to_owned()
    }

    pub async fn add_to_team(&self, owner_token: &str, case: &str, user: UserId, role: &str) {
        let (s, b) = self
            .api(
                owner_token,
                "POST",
                &format!("/api/v1/cases/{case}/team"),
                Some(
                    serde_json::json!({"user_id": user.to_string(), "role": role, "remove": false}),
                ),
            )
            .await;
        assert!(s.is_success(), "{}: team {s} {b}", self.db.name);
    }

    /// Audit actions recorded about a resource.
    pub async fn trail(&self, kind: &str, id: &str) -> Vec<String> {
        self.db
            .store
            .audit_for_resource(kind, id, 500)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: UserId,
    pub cookie: String,
}

pub fn no_mfa() -> Settings {
    Settings {
        require_mfa: false,
        ..Settings::default()
    }
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn get_req(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn form_req(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

pub fn api_req(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(json) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

pub async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub fn cookie_of(res: &Response<Body>) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

pub fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The cast of one case: an NGO owns it; its specialist and a partner
/// agency's agent are on the team; around them, everyone an attack may come
/// from.
pub struct CaseWorld {
    pub app: App,
    pub ngo: OrganizationId,
    pub agency: OrganizationId,
    pub other_agency: OrganizationId,
    pub other_ngo: OrganizationId,
    pub specialist: Person,
    pub ngo_supervisor: Person,
    pub agent: Person,
    pub agency_supervisor: Person,
    pub other_agent: Person,
    pub other_specialist: Person,
    pub colleague: Person,
    pub case: String,
    /// The specialist's token with cases:read and cases:write.
    pub owner_token: String,
}

impl CaseWorld {
    pub async fn new(db: TestDb) -> Self {
        let app = App::new(db).await;
        let ngo = app.org("Safe Harbor", OrgKind::Ngo).await;
        let agency = app.org("County Task Force", OrgKind::LawEnforcement).await;
        let other_agency = app.org("State Police", OrgKind::LawEnforcement).await;
        let other_ngo = app.org("Elsewhere Services", OrgKind::Ngo).await;
        let specialist = app
            .person(ngo, "specialist@ngo.test", &[Role::VictimSpecialist])
            .await;
        let ngo_supervisor = app
            .person(ngo, "supervisor@ngo.test", &[Role::Supervisor])
            .await;
        let colleague = app
            .person(ngo, "colleague@ngo.test", &[Role::VictimSpecialist])
            .await;
        let agent = app
            .person(agency, "agent@agency.test", &[Role::LawEnforcementAgent])
            .await;
        let agency_supervisor = app
            .person(agency, "boss@agency.test", &[Role::Supervisor])
            .await;
        let other_agent = app
            .person(
                other_agency,
                "agent@police.test",
                &[Role::LawEnforcementAgent],
            )
            .await;
        let other_specialist = app
            .person(
                other_ngo,
                "specialist@elsewhere.test",
                &[Role::VictimSpecialist],
            )
            .await;
        let case = app
            .register(&specialist, "Marisol Quintero", "1994-03-02")
            .await;
        let owner_token = app.token(&specialist, &["cases:read", "cases:write"]).await;
        app.add_to_team(&owner_token, &case, agent.id, "agent")
            .await;
        Self {
            app,
            ngo,
            agency,
            other_agency,
            other_ngo,
            specialist,
            ngo_supervisor,
            agent,
            agency_supervisor,
            other_agent,
            other_specialist,
            colleague,
            case,
            owner_token,
        }
    }

    pub fn name(&self) -> &'static str {
        self.app.db.name
    }

    /// Writes an advocate-confidential note on the case (as the specialist)
    /// and returns its text.
    pub async fn advocate_note(&self) -> String {
        let note = format!("Advocate note {}", uuid::Uuid::new_v4().simple());
        let (s, b) = self
            .app
            .api(
                &self.owner_token,
                "POST",
                &format!("/api/v1/cases/{}/entries", self.case),
                Some(serde_json::json!({
                    "kind": "note",
                    "compartment": "advocate",
                    "text": note,
                })),
            )
            .await;
        assert!(s.is_success(), "{}: note {s} {b}", self.name());
        note
    }

    /// A release body to `recipient` (an organization id or a role name).
    pub fn release(recipient: Recipient<'_>, fields: &[&str]) -> serde_json::Value {
        let today = haven_domain::now().date();
        let mut body = serde_json::json!({
            "parties": [{"signer": "victim"}],
            "purpose": "Continued Presence request",
            "fields": fields,
            "signed_on": today.to_string(),
            "expires_on": (today + time::Duration::days(60)).to_string(),
        });
        match recipient {
            Recipient::Org(o) => body["recipient_organization_id"] = o.to_string().into(),
            Recipient::Role(r) => body["recipient_role"] = r.into(),
        }
        body
    }
}

pub enum Recipient<'a> {
    Org(OrganizationId),
    Role(&'a str),
}

/// Runs SQL on the database directly: what someone with write access to the
/// database (or a copy of it) can do, with no key.
pub async fn tamper(db: &TestDb, sql: &[&str]) {
    use sqlx::Connection;
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for q in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*q))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for q in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*q))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
    }
}
