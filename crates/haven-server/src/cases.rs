//! Cases: register a person (search first), my caseload, the case page. Every
//! read goes through the case policy and is audited before anything is shown;
//! personal fields are decrypted only to be shown.

use crate::AppState;
use crate::admin_pages::history;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{PageFrame, error_page, forbidden, render, see_other};
use crate::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_crypto::Binding;
use haven_domain::access::{self, CaseAction, CaseFacts};
use haven_domain::policy::Actor;
use haven_domain::{AuditAction, AuditEntry, CaseId, PersonId};
use haven_store::StoredPerson;
use serde::Deserialize;
use time::Date;

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn field<'a>(column: &'static str, row: &'a str) -> Binding<'a> {
    Binding {
        table: "persons",
        column,
        row,
    }
}

/// A case as the API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CaseBody {
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub person_name: String,
    /// YYYY-MM-DD, when recorded.
    pub person_birth_date: Option<String>,
    /// (user id, team role) pairs.
    pub team: Vec<(uuid::Uuid, String)>,
}

/// Reads one case for `actor`: authorize, audit (before any data is
/// decrypted), decrypt. `None` when it does not exist or is refused.
///
/// # Errors
/// When the database or the audit log fails.
pub async fn read_case(
    state: &AppState,
    actor: &Actor,
    id: CaseId,
    rid: Option<String>,
) -> Result<Option<CaseBody>, AppError> {
    let Some(bundle) = state.store.case_bundle(id).await? else {
        return Ok(None);
    };
    let by = |a| {
        AuditEntry::new(a)
            .by(actor.user, actor.organization)
            .on("case", id)
            .request(rid.clone())
    };
    if !access::authorize_case(
        actor,
        CaseAction::View,
        &bundle.facts,
        &bundle.consents,
        haven_domain::now(),
    )
    .is_allowed()
    {
        state
            .store
            .append_audit(&[by(AuditAction::AccessDenied)])
            .await?;
        return Ok(None);
    }
    if state.settings.audit_reads {
        state
            .audit_writer
            .record(by(AuditAction::RecordViewed))
            .await?;
    }
    let Some(person) = bundle.person else {
        return Ok(None);
    };
    let person_birth_date = match &person.birth_date {
        Some(b) => Some(decrypt_text(state, "birth_date", &person, b).await?),
        None => None,
    };
    Ok(Some(CaseBody {
        id: *id.as_uuid(),
        organization_id: *bundle.facts.organization.as_uuid(),
        person_name: decrypt_text(state, "name", &person, &person.name).await?,
        person_birth_date,
        team: bundle
            .facts
            .team
            .iter()
            .map(|(u, r)| (*u.as_uuid(), r.as_str().to_owned()))
            .collect(),
    }))
}

/// The blind-index input: lower-cased, single-spaced name and the ISO date.
#[must_use]
pub fn name_dob_key(name: &str, dob: Date) -> String {
    let name = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    format!("{name}|{}", dob.format(DATE).unwrap_or_default())
}

async fn decrypt_text(
    state: &AppState,
    column: &'static str,
    person: &StoredPerson,
    bytes: &[u8],
) -> Result<String, AppError> {
    let row = person.id.to_string();
    let plain = state
        .keyring
        .decrypt(&state.store, bytes, field(column, &row))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(plain.to_vec())
        .map_err(|_| AppError::Internal("person field is not text".into()))
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    page: PageFrame,
    can_create: bool,
    rows: Vec<(CaseId, String)>,
}

pub async fn caseload(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
) -> Response {
    match caseload_rows(&state, &me, rid).await {
        Ok(rows) => {
            let page = CasesPage {
                page: PageFrame::new(&state, lang, "/cases", Some(&me)),
                can_create: access::may_open_case(&Actor::of(&me.user)).is_some(),
                rows,
            };
            render(&page, StatusCode::OK)
        }
        Err(e) => error_page(&state, lang, &e),
    }
}

async fn caseload_rows(
    state: &AppState,
    me: &Authenticated,
    rid: Option<String>,
) -> Result<Vec<(CaseId, String)>, AppError> {
    let actor = Actor::of(&me.user);
    let ids = state
        .store
        .list_case_ids(&access::case_filter(&actor), haven_domain::now(), 500)
        .await?;
    // Names are personal data: the list's reads are audited (one commit)
    // before any name is shown.
    let reads: Vec<AuditEntry> = ids
        .iter()
        .map(|id| {
            AuditEntry::new(AuditAction::RecordViewed)
                .by(me.user.id, me.user.organization_id)
                .on("case", id)
                .request(rid.clone())
        })
        .collect();
    if !reads.is_empty() {
        state.store.append_audit(&reads).await?;
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = state.store.case_person(id).await? {
            rows.push((id, decrypt_text(state, "name", &p, &p.name).await?));
        }
    }
    rows.sort_by_key(|r| r.1.to_lowercase());
    Ok(rows)
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    page: PageFrame,
    csrf: String,
    name: String,
    dob: String,
    errors: Vec<(&'static str, String)>,
    duplicate_here: Option<CaseId>,
    duplicate_elsewhere: bool,
}

fn new_case_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    form: &CaseForm,
    errors: Vec<(&'static str, String)>,
    duplicate: (Option<CaseId>, bool),
    status: StatusCode,
) -> Response {
    let page = NewCasePage {
        page: PageFrame::new(state, lang, "/cases/new", Some(me)),
        csrf: me.csrf_token(),
        name: form.name.clone(),
        dob: form.dob.clone(),
        errors,
        duplicate_here: duplicate.0,
        duplicate_elsewhere: duplicate.1,
    };
    render(&page, status)
}

pub async fn new_case(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
) -> Response {
    if access::may_open_case(&Actor::of(&me.user)).is_none() {
        return error_page(&state, lang, &AppError::NotFound);
    }
    let empty = CaseForm {
        csrf: String::new(),
        name: String::new(),
        dob: String::new(),
        confirm: None,
    };
    new_case_page(
        &state,
        lang,
        &me,
        &empty,
        Vec::new(),
        (None, false),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct CaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    dob: String,
    confirm: Option<String>,
}

pub async fn create_case(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Form(form): Form<CaseForm>,
) -> Response {
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let actor = Actor::of(&me.user);
    let Some(team_role) = access::may_open_case(&actor) else {
        return error_page(&state, lang, &AppError::NotFound);
    };
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(("name", lang.t("case-error-name")));
    }
    let dob = if form.dob.trim().is_empty() {
        None
    } else {
        match Date::parse(form.dob.trim(), DATE) {
            Ok(d) if d <= haven_domain::now().date() => Some(d),
            _ => {
                errors.push(("dob", lang.t("case-error-dob")));
                None
            }
        }
    };
    if !errors.is_empty() {
        return new_case_page(
            &state,
            lang,
            &me,
            &form,
            errors,
            (None, false),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let keys = state.keyring.current();
    let index = dob.map(|d| keys.blind_index("person name+dob", &name_dob_key(&name, d)));
    // Search before create: the same name and date of birth in this
    // organization is shown; elsewhere, only that a record may exist.
    if let (Some(ix), None) = (index, form.confirm.as_deref()) {
        let matches = match state.store.persons_by_index(&ix).await {
            Ok(m) => m,
            Err(e) => return error_page(&state, lang, &e.into()),
        };
        let here = matches
            .iter()
            .find(|(p, _)| p.organization == me.user.organization_id)
            .and_then(|(_, c)| *c);
        let elsewhere = matches
            .iter()
            .any(|(p, _)| p.organization != me.user.organization_id);
        if here.is_some() || elsewhere {
            return new_case_page(
                &state,
                lang,
                &me,
                &form,
                Vec::new(),
                (here, elsewhere),
                StatusCode::OK,
            );
        }
    }
    let person_id = PersonId::new();
    let row = person_id.to_string();
    let sealed_name = keys.encrypt(name.as_bytes(), field("name", &row));
    let sealed_dob = dob
        .map(|d| {
            keys.encrypt(
                d.format(DATE).unwrap_or_default().as_bytes(),
                field("birth_date", &row),
            )
        })
        .transpose();
    let (Ok(sealed_name), Ok(sealed_dob)) = (sealed_name, sealed_dob) else {
        return error_page(
            &state,
            lang,
            &AppError::Internal("encryption failed".into()),
        );
    };
    let person = StoredPerson {
        id: person_id,
        organization: me.user.organization_id,
        name: sealed_name,
        birth_date: sealed_dob,
        name_dob_index: index,
    };
    let facts = CaseFacts {
        id: CaseId::new(),
        organization: me.user.organization_id,
        team: vec![(me.user.id, team_role)],
        flag_1367: false,
    };
    let audit = AuditEntry::new(AuditAction::CaseCreated)
        .by(me.user.id, me.user.organization_id)
        .on("case", facts.id)
        .request(rid);
    match state
        .store
        .create_person_case(&person, &facts, haven_domain::now(), &audit)
        .await
    {
        Ok(()) => see_other(&format!("/cases/{}", facts.id)),
        Err(e) => error_page(&state, lang, &e.into()),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    page: PageFrame,
    name: String,
    dob: String,
    team: Vec<String>,
    consents: String,
    history: Vec<(String, String, String)>,
    emergency: bool,
    case_id: CaseId,
    csrf: String,
    consent_ui: Option<ConsentUi>,
    notice: Option<String>,
    consent_error: Option<String>,
}

pub struct ConsentRow {
    id: haven_domain::ConsentId,
    recipient: String,
    purpose: String,
    fields: String,
    dates: String,
    status: String,
    active: bool,
}

/// The releases section, for those who may manage releases.
pub struct ConsentUi {
    rows: Vec<ConsentRow>,
    recipients: Vec<(String, String)>,
    groups: Vec<(&'static str, String)>,
    signers: Vec<(&'static str, String)>,
    form: ConsentPrefill,
}

/// What the release form shows: empty, or what was typed before an error
/// (kept on the server side: nothing personal goes into a URL).
pub struct ConsentPrefill {
    recipient: String,
    purpose: String,
    fields: Vec<String>,
    signed_on: String,
    expires_on: String,
    signers: Vec<String>,
    minor: bool,
    minor_alone: bool,
    incapacity: bool,
}

impl ConsentPrefill {
    fn empty(today: time::Date) -> Self {
        Self {
            recipient: String::new(),
            purpose: String::new(),
            fields: Vec::new(),
            signed_on: today.to_string(),
            expires_on: String::new(),
            signers: vec!["victim".to_owned()],
            minor: false,
            minor_alone: false,
            incapacity: false,
        }
    }

    #[must_use]
    pub fn has_field(&self, f: &str) -> bool {
        self.fields.iter().any(|x| x == f)
    }

    #[must_use]
    pub fn has_signer(&self, s: &str) -> bool {
        self.signers.iter().any(|x| x == s)
    }
}

/// How to show the case page: after an emergency opening, with a message, or
/// with a release form to fill in again.
#[derive(Default)]
pub struct CaseView {
    emergency: bool,
    query: CaseQuery,
    prefill: Option<ConsentPrefill>,
}

/// Messages carried across the redirect after a release form.
#[derive(Deserialize, Default)]
pub struct CaseQuery {
    done: Option<String>,
    consent_error: Option<String>,
}

pub async fn case(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> Response {
    match case_page(
        &state,
        lang,
        &me,
        &id,
        rid,
        CaseView {
            query: q,
            ..CaseView::default()
        },
    )
    .await
    {
        Ok(res) => res,
        Err(AppError::NotFound) => case_not_found(&state, lang, &me, &id, None),
        Err(e) => error_page(&state, lang, &e),
    }
}

#[derive(Template)]
#[template(path = "case_not_found.html")]
struct CaseNotFound {
    page: PageFrame,
    emergency_form: bool,
    action: String,
    csrf: String,
    error: Option<String>,
}

/// "Not found" for a case, whether it is missing or refused. Supervisors also
/// get the emergency form, for every case address alike, so the form itself
/// says nothing about whether the case exists.
fn case_not_found(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: &str,
    error: Option<String>,
) -> Response {
    let page = CaseNotFound {
        page: PageFrame::new(state, lang, "/cases/", Some(me)),
        emergency_form: me.user.has_role(haven_domain::Role::Supervisor),
        action: format!(
            "/cases/{}/emergency",
            id.parse::<CaseId>()
                .map(|c| c.to_string())
                .unwrap_or_default()
        ),
        csrf: me.csrf_token(),
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::NOT_FOUND
    };
    render(&page, status)
}

#[derive(Deserialize)]
pub struct EmergencyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Break glass: a supervisor opens a case outside their scope, with a reason.
pub async fn emergency(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    Form(form): Form<EmergencyForm>,
) -> Response {
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let actor = Actor::of(&me.user);
    if !access::authorize_emergency(&actor, &form.reason).is_allowed() {
        if !me.user.has_role(haven_domain::Role::Supervisor) {
            return error_page(&state, lang, &AppError::NotFound);
        }
        return case_not_found(&state, lang, &me, &id, Some(lang.t("emergency-error")));
    }
    let Ok(case_id) = id.parse::<CaseId>() else {
        return case_not_found(&state, lang, &me, &id, None);
    };
    match state.store.case_facts(case_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return case_not_found(&state, lang, &me, &id, None),
        Err(e) => return error_page(&state, lang, &e.into()),
    }
    let entry_id = uuid::Uuid::now_v7();
    let row = entry_id.to_string();
    let reason = match state.keyring.encrypt(
        form.reason.trim().as_bytes(),
        Binding {
            table: "emergency_access",
            column: "reason",
            row: &row,
        },
    ) {
        Ok(r) => r,
        Err(e) => return error_page(&state, lang, &AppError::Internal(e.to_string())),
    };
    let record = haven_store::EmergencyAccess {
        id: entry_id,
        case: case_id,
        user: me.user.id,
        organization: me.user.organization_id,
        reason,
        at: haven_domain::now(),
    };
    let audit = AuditEntry::new(AuditAction::EmergencyAccess)
        .by(me.user.id, me.user.organization_id)
        .on("case", case_id)
        .request(rid.clone());
    if let Err(e) = state.store.record_emergency_access(&record, &audit).await {
        return error_page(&state, lang, &e.into());
    }
    match case_page(
        &state,
        lang,
        &me,
        &id,
        rid,
        CaseView {
            emergency: true,
            ..CaseView::default()
        },
    )
    .await
    {
        Ok(res) => res,
        Err(e) => error_page(&state, lang, &e),
    }
}

async fn case_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: &str,
    rid: Option<String>,
    view: CaseView,
) -> Result<Response, AppError> {
    let CaseView {
        emergency,
        query: q,
        prefill,
    } = view;
    let Ok(case_id) = id.parse::<CaseId>() else {
        return Err(AppError::NotFound);
    };
    // Facts, releases and person in one round trip, as `read_case` does.
    let Some(haven_store::CaseBundle {
        facts,
        consents,
        person,
    }) = state.store.case_bundle(case_id).await?
    else {
        return Err(AppError::NotFound);
    };
    let now = haven_domain::now();
    let actor = Actor::of(&me.user);
    if !emergency
        && !access::authorize_case(&actor, CaseAction::View, &facts, &consents, now).is_allowed()
    {
        let audit = AuditEntry::new(AuditAction::AccessDenied)
            .by(me.user.id, me.user.organization_id)
            .on("case", case_id)
            .request(rid);
        state.store.append_audit(&[audit]).await?;
        return Err(AppError::NotFound);
    }
    // The read is durable before the person's data leaves the server.
    state
        .audit_writer
        .record(
            AuditEntry::new(AuditAction::RecordViewed)
                .by(me.user.id, me.user.organization_id)
                .on("case", case_id)
                .request(rid),
        )
        .await?;
    let person = person.ok_or(AppError::NotFound)?;
    let name = decrypt_text(state, "name", &person, &person.name).await?;
    let dob = match &person.birth_date {
        Some(b) => decrypt_text(state, "birth_date", &person, b).await?,
        None => lang.t("case-dob-unknown"),
    };
    let names: std::collections::HashMap<_, _> = state
        .store
        .list_users(haven_domain::policy::UserScope::Organization(
            me.user.organization_id,
        ))
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, u.display_name))
        .collect();
    let team = facts
        .team
        .iter()
        .map(|(u, r)| {
            let who = names
                .get(u)
                .cloned()
                .unwrap_or_else(|| lang.t("history-someone-else"));
            format!("{who}: {}", lang.t(&format!("team-{}", r.as_str())))
        })
        .collect();
    let active = consents.iter().filter(|c| c.is_active(now)).count();
    let consent_ui = if access::may_manage_consent(&actor, &facts) {
        let form = prefill.unwrap_or_else(|| ConsentPrefill::empty(now.date()));
        Some(consent_ui(state, lang, &consents, now, form).await?)
    } else {
        None
    };
    let history = if access::may_see_case_history(&actor, &facts) {
        history(state, lang, &actor, "case", &case_id.to_string()).await?
    } else {
        Vec::new()
    };
    let page = CasePage {
        page: PageFrame::new(state, lang, "/cases/", Some(me)),
        name,
        dob,
        team,
        consents: lang.t1("case-consents", "count", &active.to_string()),
        history,
        emergency,
        case_id,
        csrf: me.csrf_token(),
        consent_ui,
        notice: match q.done.as_deref() {
            Some("consent") => Some(lang.t("consents-recorded")),
            Some("revoked") => Some(lang.t("consents-revoked")),
            _ => None,
        },
        consent_error: q.consent_error.map(|code| {
            let key = format!("consent-error-{code}");
            let text = lang.t(&key);
            if text == key {
                lang.t("consent-error-other")
            } else {
                text
            }
        }),
    };
    Ok(render(&page, StatusCode::OK))
}

pub struct ReviewRow {
    id: uuid::Uuid,
    when: String,
    who: String,
    case_id: CaseId,
    reason: String,
    own: bool,
}

#[derive(Template)]
#[template(path = "emergency_review.html")]
struct ReviewPage {
    page: PageFrame,
    rows: Vec<ReviewRow>,
    csrf: String,
}

/// Emergency openings in the supervisor's organization awaiting review.
pub async fn review(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
) -> Response {
    if !me.user.has_role(haven_domain::Role::Supervisor) {
        return error_page(&state, lang, &AppError::NotFound);
    }
    match review_rows(&state, lang, &me, rid).await {
        Ok(rows) => render(
            &ReviewPage {
                page: PageFrame::new(&state, lang, "/review/emergency", Some(&me)),
                rows,
                csrf: me.csrf_token(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    }
}

async fn review_rows(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    rid: Option<String>,
) -> Result<Vec<ReviewRow>, AppError> {
    let pending = state
        .store
        .pending_emergency_access(me.user.organization_id)
        .await?;
    // The reasons may name people: reading them is audited.
    let reads: Vec<AuditEntry> = pending
        .iter()
        .map(|p| {
            AuditEntry::new(AuditAction::RecordViewed)
                .by(me.user.id, me.user.organization_id)
                .on("emergency_access", p.id)
                .request(rid.clone())
        })
        .collect();
    if !reads.is_empty() {
        state.store.append_audit(&reads).await?;
    }
    let names: std::collections::HashMap<_, _> = state
        .store
        .list_users(haven_domain::policy::UserScope::Organization(
            me.user.organization_id,
        ))
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, u.display_name))
        .collect();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let mut rows = Vec::with_capacity(pending.len());
    for p in pending {
        let row = p.id.to_string();
        let reason = state
            .keyring
            .decrypt(
                &state.store,
                &p.reason,
                Binding {
                    table: "emergency_access",
                    column: "reason",
                    row: &row,
                },
            )
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        rows.push(ReviewRow {
            id: p.id,
            when: p.at.format(fmt).unwrap_or_default(),
            who: names
                .get(&p.user)
                .cloned()
                .unwrap_or_else(|| lang.t("history-someone-else")),
            case_id: p.case,
            reason: String::from_utf8_lossy(&reason).into_owned(),
            own: p.user == me.user.id,
        });
    }
    Ok(rows)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn mark_reviewed(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let (true, Ok(id)) = (
        me.user.has_role(haven_domain::Role::Supervisor),
        id.parse::<uuid::Uuid>(),
    ) else {
        return error_page(&state, lang, &AppError::NotFound);
    };
    let pending = match state
        .store
        .pending_emergency_access(me.user.organization_id)
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let Some(entry) = pending.iter().find(|p| p.id == id) else {
        return error_page(&state, lang, &AppError::NotFound);
    };
    let audit = AuditEntry::new(AuditAction::EmergencyReviewed)
        .by(me.user.id, me.user.organization_id)
        .on("case", entry.case)
        .request(rid);
    match state
        .store
        .review_emergency_access(id, me.user.id, haven_domain::now(), &audit)
        .await
    {
        Ok(true) => see_other("/review/emergency"),
        Ok(false) => error_page(&state, lang, &AppError::NotFound),
        Err(e) => error_page(&state, lang, &e.into()),
    }
}

async fn consent_ui(
    state: &AppState,
    lang: Lang,
    consents: &[haven_domain::consent::Consent],
    now: time::OffsetDateTime,
    form: ConsentPrefill,
) -> Result<ConsentUi, AppError> {
    use haven_domain::consent::{FieldGroup, Recipient};
    let orgs = state.store.list_organizations().await?;
    let org_name = |id| {
        orgs.iter()
            .find(|o| o.id == id)
            .map_or_else(|| lang.t("history-someone-else"), |o| o.name.clone())
    };
    let rows = consents
        .iter()
        .map(|c| ConsentRow {
            id: c.id,
            recipient: match c.recipient {
                Recipient::Organization(o) => org_name(o),
                Recipient::Role(r) => lang.t(&format!("role-{}", r.as_str())),
            },
            purpose: c.purpose.clone(),
            fields: c
                .fields
                .iter()
                .map(|f| lang.t(&format!("field-{}", f.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
            dates: format!("{} – {}", c.signed_on, c.expires_on),
            status: lang.t(if c.is_active(now) {
                "consents-active"
            } else {
                "consents-ended"
            }),
            active: c.is_active(now),
        })
        .collect();
    let mut recipients: Vec<(String, String)> = orgs
        .iter()
        .map(|o| (format!("org:{}", o.id), o.name.clone()))
        .collect();
    recipients.extend(haven_domain::Role::ALL.iter().map(|r| {
        (
            format!("role:{}", r.as_str()),
            lang.t(&format!("role-{}", r.as_str())),
        )
    }));
    Ok(ConsentUi {
        rows,
        recipients,
        groups: FieldGroup::ALL
            .iter()
            .map(|g| (g.as_str(), lang.t(&format!("field-{}", g.as_str()))))
            .collect(),
        signers: ["victim", "parent_or_guardian", "court_guardian"]
            .into_iter()
            .map(|s| (s, lang.t(&format!("signer-{s}"))))
            .collect(),
        form,
    })
}

/// Records a release from the case page.
pub async fn record_consent(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let one = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    let many = |k: &str| {
        form.iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    if !me.csrf_matches(&one("csrf")) {
        return forbidden(&state, lang);
    }
    let facts = match manageable_case(&state, lang, &me, &id).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let recipient = one("recipient");
    let prefill = ConsentPrefill {
        recipient: recipient.clone(),
        purpose: one("purpose"),
        fields: many("fields"),
        signed_on: one("signed_on"),
        expires_on: one("expires_on"),
        signers: many("signers"),
        minor: one("minor") == "1",
        minor_alone: one("minor_alone") == "1",
        incapacity: one("incapacity") == "1",
    };
    let (org, role) = match recipient.split_once(':') {
        Some(("org", o)) => (o.parse().ok(), None),
        Some(("role", r)) => (None, Some(r.to_owned())),
        _ => (None, None),
    };
    let input = crate::api::NewConsent {
        parties: many("signers")
            .into_iter()
            .map(|s| crate::api::PartyBody {
                signer: s,
                recorded_as_abuser: false,
            })
            .collect(),
        recipient_organization_id: org,
        recipient_role: role,
        purpose: one("purpose"),
        fields: many("fields"),
        signed_on: one("signed_on"),
        expires_on: one("expires_on"),
        unemancipated_minor: one("minor") == "1",
        minor_may_consent_alone: one("minor_alone") == "1",
        legal_incapacity: one("incapacity") == "1",
    };
    let release = match crate::api::release_from_input(&state, &facts, input).await {
        Ok(r) => r,
        Err(crate::api::ReleaseProblem::Rule(_, code, _)) => {
            // Show the page again with what was typed and the rule it broke.
            let q = CaseQuery {
                done: None,
                consent_error: Some(code.to_owned()),
            };
            return match case_page(
                &state,
                lang,
                &me,
                &id,
                rid,
                CaseView {
                    query: q,
                    prefill: Some(prefill),
                    ..CaseView::default()
                },
            )
            .await
            {
                Ok(mut res) => {
                    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    res
                }
                Err(e) => error_page(&state, lang, &e),
            };
        }
        Err(crate::api::ReleaseProblem::Failed(e)) => return error_page(&state, lang, &e),
    };
    let audit = AuditEntry::new(AuditAction::ConsentRecorded)
        .by(me.user.id, me.user.organization_id)
        .on("case", facts.id)
        .request(rid);
    match state.store.add_consent(&release, &audit).await {
        Ok(()) => see_other(&format!("/cases/{}?done=consent#consents", facts.id)),
        Err(e) => error_page(&state, lang, &e.into()),
    }
}

async fn manageable_case(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: &str,
) -> Result<CaseFacts, Response> {
    let Ok(case_id) = id.parse::<CaseId>() else {
        return Err(error_page(state, lang, &AppError::NotFound));
    };
    match state.store.case_facts(case_id).await {
        Ok(Some(f)) if access::may_manage_consent(&Actor::of(&me.user), &f) => Ok(f),
        Ok(_) => Err(error_page(state, lang, &AppError::NotFound)),
        Err(e) => Err(error_page(state, lang, &e.into())),
    }
}

/// Revokes a release from the case page; it stops applying at once.
pub async fn revoke_consent(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path((id, consent_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let facts = match manageable_case(&state, lang, &me, &id).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let Ok(cid) = consent_id.parse::<haven_domain::ConsentId>() else {
        return error_page(&state, lang, &AppError::NotFound);
    };
    match state.store.consents_for_case(facts.id).await {
        Ok(list) if list.iter().any(|c| c.id == cid) => {}
        Ok(_) => return error_page(&state, lang, &AppError::NotFound),
        Err(e) => return error_page(&state, lang, &e.into()),
    }
    let audit = AuditEntry::new(AuditAction::ConsentRevoked)
        .by(me.user.id, me.user.organization_id)
        .on("case", facts.id)
        .request(rid);
    match state
        .store
        .revoke_consent(cid, haven_domain::now(), &audit)
        .await
    {
        Ok(_) => see_other(&format!("/cases/{}?done=revoked#consents", facts.id)),
        Err(e) => error_page(&state, lang, &e.into()),
    }
}
