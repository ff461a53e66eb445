//! What the canary tour shares: the canaries and the values typed without
//! one, requests, signed-in staff and Haven on one database.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing::TestDb;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// The person's date of birth and telephone number: typed, but no canary
/// fits their format, so they are searched for as they were typed.
pub const BIRTH_DATE: &str = "1987-06-05";

pub const PHONE: &str = "(555) 013-7931";

pub const PHONE_DIGITS: &str = "5550137931";

/// The directory fixture whose shelter location is confidential.
pub const SHELTER_ORG: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e01";

pub const SHELTER_SERVICE: &str = "5b0d7e1a-8f53-4c3e-9a55-0b3c2a1f0e06";

/// A canary: unique text that must never be found in plaintext.
pub fn canary(place: &str) -> String {
    format!("Zyxwvut-{place}-Quokkabelle")
}

// ---------------------------------------------------------------- requests

pub fn encode(pairs: &[(&str, &str)]) -> String {
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

pub fn form_req(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

pub fn get_req(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

pub async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub fn cookie_of(res: &Response<Body>) -> String {
    res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// A string field of a JSON answer.
pub fn field(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

/// RFC 4648 base32 without padding, as the enrolment page shows a secret.
pub fn base32_decode(b32: &str) -> Vec<u8> {
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
pub struct Staff {
    pub id: UserId,
    pub cookie: String,
}

/// Haven on one database, and the requests of the tour.
pub struct Tour {
    pub state: AppState,
    pub router: Router,
    pub db: TestDb,
}

impl Tour {
    pub async fn new(db: TestDb) -> Self {
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

    pub fn name(&self) -> &'static str {
        self.db.name
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// Organizations and accounts are set up in the store: they are staff
    /// data, not what the tour is about.
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

    /// An account, signed in through the sign-in page.
    pub async fn staff(&self, org: OrganizationId, login: &str, roles: &[Role]) -> Staff {
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

    pub async fn page(&self, who: &Staff, path: &str) -> String {
        let res = self.send(get_req(path, &who.cookie)).await;
        assert_eq!(res.status(), StatusCode::OK, "{}: GET {path}", self.name());
        text(res).await
    }

    /// `canary.<who>@example.test`, signed in, and an API token of theirs
    /// with `scopes`.
    pub async fn member(
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
    pub async fn form(&self, who: &Staff, path: &str, pairs: &[(&str, &str)]) -> Response<Body> {
        let csrf = csrf_in(&self.page(who, "/").await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(pairs);
        self.send(form_req(path, &encode(&all), Some(&who.cookie)))
            .await
    }

    /// An API token made on the account page.
    pub async fn token(&self, who: &Staff, scopes: &[&str]) -> String {
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
    pub async fn api(&self, token: &str, method: &str, path: &str, body: Value) -> Value {
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
    pub async fn upload(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes))
            .unwrap();
        self.answer("POST", path, req).await
    }

    pub async fn answer(&self, method: &str, path: &str, req: Request<Body>) -> Value {
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
