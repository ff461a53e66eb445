//! Cases: register a person (search first), my caseload, the case page. Every
//! read goes through the case policy and is audited before anything is shown;
//! personal fields are decrypted only to be shown.

use crate::AppState;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::pages::history;
use crate::web::pages::{PageError, check_csrf};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_crypto::Binding;
use haven_domain::access::{self, CaseFacts};
use haven_domain::policy::Actor;
use haven_domain::{AuditAction, AuditEntry, CaseId, OrganizationId};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    page: PageFrame,
    name: String,
    rec: crate::features::record::pages::RecordSections,
    consents: String,
    history: Vec<(String, String, String)>,
    /// Emergency openings of this case: when, by whom, reviewed or waiting.
    openings: Vec<(String, String, String)>,
    emergency: bool,
    case_id: CaseId,
    csrf: String,
    consent_ui: Option<ConsentUi>,
    notice: Option<String>,
    consent_error: Option<String>,
    referrals: Vec<crate::features::referrals::pages::CaseReferralRow>,
    funds: crate::features::funds::pages::CaseFunds,
    interviews: crate::features::interviews::pages::CaseInterviews,
    hotlines: Vec<crate::features::directory::hotlines::HotlineLine>,
    notices: crate::features::notices::pages::NoticeSection,
}

pub struct ConsentRow {
    id: haven_domain::ConsentId,
    recipient: String,
    purpose: String,
    fields: String,
    dates: String,
    witness: String,
    status: String,
    active: bool,
}

/// The releases section, for those who may manage releases.
pub struct ConsentUi {
    rows: Vec<ConsentRow>,
    recipients: Vec<crate::web::form::Opt>,
    groups: Vec<crate::web::form::Opt>,
    signers: Vec<crate::web::form::Opt>,
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
    echo: crate::features::record::pages::Echo,
}

/// Messages carried across the redirect after a release form.
#[derive(Deserialize, Default)]
pub struct CaseQuery {
    done: Option<String>,
    consent_error: Option<String>,
    notice_error: Option<String>,
}

pub async fn case(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> Result<Response, PageError> {
    let Ok(case_id) = id.parse::<CaseId>() else {
        return Ok(case_not_found(&state, lang, &me, &id, None));
    };
    Ok(
        match case_page(
            &state,
            lang,
            &me,
            case_id,
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
        },
    )
}

#[derive(Template)]
#[template(path = "cases/case_not_found.html")]
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
    reason: String,
}

/// A case's emergency openings as the case page lists them.
async fn emergency_openings(
    state: &AppState,
    lang: Lang,
    case_id: CaseId,
) -> Result<Vec<(String, String, String)>, AppError> {
    let mut out = Vec::new();
    for e in state.store.emergency_access_for_case(case_id).await? {
        let who = state
            .store
            .user(e.user)
            .await?
            .map_or_else(|| lang.t("history-someone-else"), |u| u.display_name);
        let status = match e.reviewed {
            Some((_, at)) => format!(
                "{} {}",
                lang.t("emergency-reviewed"),
                crate::web::pages::when(at)
            ),
            None => lang.t("emergency-waiting"),
        };
        out.push((crate::web::pages::when(e.at), who, status));
    }
    Ok(out)
}

/// What break glass decides on: the case's facts, the organizations of its
/// team, and the kind of the supervisor's own organization.
async fn emergency_facts(
    state: &AppState,
    me: &Authenticated,
    case_id: CaseId,
) -> Result<Option<(CaseFacts, Vec<OrganizationId>, haven_domain::OrgKind)>, AppError> {
    let Some(facts) = state.store.case_facts(case_id).await? else {
        return Ok(None);
    };
    let mut orgs = Vec::with_capacity(facts.team.len());
    for (u, _) in &facts.team {
        if let Some(user) = state.store.user(*u).await? {
            orgs.push(user.organization_id);
        }
    }
    let kind = state
        .store
        .organization(me.user.organization_id)
        .await?
        .map_or(haven_domain::OrgKind::Ngo, |o| o.kind);
    Ok(Some((facts, orgs, kind)))
}

/// Break glass: a supervisor opens a case outside their scope, with a reason.
pub async fn emergency(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    CsrfForm {
        me,
        form: Form(form),
    }: CsrfForm<Form<EmergencyForm>>,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let Ok(case_id) = id.parse::<CaseId>() else {
        return Ok(case_not_found(&state, lang, &me, &id, None));
    };
    let facts = match emergency_facts(&state, &me, case_id).await {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(case_not_found(&state, lang, &me, &id, None)),
        Err(e) => return Err(PageError::from(e)),
    };
    let ctx = access::EmergencyContext {
        case: &facts.0,
        team_organizations: &facts.1,
        actor_org_kind: facts.2,
    };
    match access::authorize_emergency(&actor, &form.reason, ctx) {
        d if d.is_allowed() => {}
        access::CaseDecision::Deny(access::CaseDeny::EmergencyNeedsReason)
            if me.user.has_role(haven_domain::Role::Supervisor) =>
        {
            return Ok(case_not_found(
                &state,
                lang,
                &me,
                &id,
                Some(lang.t("emergency-error")),
            ));
        }
        _ => {
            // Outside the supervisor's organizations, or a protected record:
            // the same "not found" as a case that does not exist, audited.
            let denied = AuditEntry::new(AuditAction::AccessDenied)
                .by(me.user.id, me.user.organization_id)
                .on("case", case_id)
                .request(rid.clone());
            if let Err(e) = state.store.append_audit(&[denied]).await {
                return Err(PageError::from(AppError::from(e)));
            }
            return Ok(case_not_found(&state, lang, &me, &id, None));
        }
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
        Err(e) => return Err(PageError::from(AppError::Internal(e.to_string()))),
    };
    let record = haven_store::EmergencyAccess {
        id: entry_id,
        case: case_id,
        user: me.user.id,
        organization: me.user.organization_id,
        reason,
        at: haven_domain::now(),
        reviewed: None,
    };
    let audit = AuditEntry::new(AuditAction::EmergencyAccess)
        .by(me.user.id, me.user.organization_id)
        .on("case", case_id)
        .request(rid.clone());
    if let Err(e) = state.store.record_emergency_access(&record, &audit).await {
        return Err(PageError::from(AppError::from(e)));
    }
    Ok(case_page(
        &state,
        lang,
        &me,
        case_id,
        rid,
        CaseView {
            emergency: true,
            ..CaseView::default()
        },
    )
    .await?)
}

/// The case page again after a refused form, with what was typed.
pub async fn case_page_with(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: CaseId,
    echo: crate::features::record::pages::Echo,
    status: StatusCode,
) -> Response {
    let view = CaseView {
        echo,
        ..CaseView::default()
    };
    match case_page(state, lang, me, id, None, view).await {
        Ok(mut res) => {
            *res.status_mut() = status;
            res
        }
        Err(e) => error_page(state, lang, &e),
    }
}

async fn case_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    case_id: CaseId,
    rid: Option<String>,
    view: CaseView,
) -> Result<Response, AppError> {
    let CaseView {
        emergency,
        query: q,
        prefill,
        echo,
    } = view;
    let actor = Actor::of(&me.user);
    // The read's audit entry commits while the rest of the page is read and
    // rendered; the page leaves only once it is durable.
    let (open, audit) =
        crate::case::open_case_pending(state, &actor, case_id, rid, emergency).await?;
    let now = haven_domain::now();
    let person = open.person.as_ref().ok_or(AppError::NotFound)?;
    let person = crate::case::person_view(state, person)
        .await?
        .for_reader(&open);
    let active = open.consents.iter().filter(|c| c.is_active(now)).count();
    let consent_ui = if !emergency && access::may_manage_consent(&actor, &open.facts) {
        let form = prefill.unwrap_or_else(|| ConsentPrefill::empty(now.date()));
        Some(consent_ui(state, lang, &actor, &open.consents, now, form).await?)
    } else {
        None
    };
    let history = if access::may_see_case_history(&actor, &open.facts) {
        history(state, lang, &actor, "case", &case_id.to_string()).await?
    } else {
        Vec::new()
    };
    let openings = if access::may_see_consents(&actor, &open.facts) {
        emergency_openings(state, lang, case_id).await?
    } else {
        Vec::new()
    };
    // The page's rows in one read (one statement on PostgreSQL).
    let team: Vec<haven_domain::UserId> = open.facts.team.iter().map(|(u, _)| *u).collect();
    let mut lists = state
        .store
        .case_lists(haven_store::CasePageQuery {
            case: case_id,
            viewer_organization: actor.organization,
            deliveries: crate::features::notices::CASE_NOTICES_SHOWN,
            timeline: crate::features::record::pages::TIMELINE_SHOWN,
            people: &team,
        })
        .await?;
    let funds = crate::features::funds::pages::case_section(state, lang, &open, &mut lists).await?;
    let interviews =
        crate::features::interviews::pages::case_section(state, &open, &mut lists).await?;
    let rec = crate::features::record::pages::record_sections(
        state, lang, &open, &person, echo, &mut lists,
    )
    .await?;
    let referrals =
        crate::features::referrals::pages::case_referrals(state, lang, &mut lists).await?;
    let hotlines = crate::features::directory::hotlines::hotline_lines(state, lang).await?;
    let notices = crate::features::notices::pages::notice_section(
        state,
        lang,
        &open,
        q.notice_error.as_deref(),
        &mut lists,
    )
    .await?;
    let page = CasePage {
        funds,
        interviews,
        notices,
        referrals,
        hotlines,
        page: PageFrame::new(state, lang, "/cases/", Some(me)),
        name: person.name.clone(),
        rec,
        consents: lang.t1("case-consents", "count", &active.to_string()),
        history,
        openings,
        emergency,
        case_id,
        csrf: me.csrf_token(),
        consent_ui,
        notice: match q.done.as_deref() {
            Some("consent") => Some(lang.t("consents-recorded")),
            Some("revoked") => Some(lang.t("consents-revoked")),
            Some(other) => {
                let key = format!("case-done-{other}");
                let t = lang.t(&key);
                (t != key).then_some(t)
            }
            None => None,
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
    let res = render(&page, StatusCode::OK);
    audit.durable().await?;
    Ok(res)
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
#[template(path = "cases/emergency_review.html")]
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
) -> Result<Response, PageError> {
    if !me.user.has_role(haven_domain::Role::Supervisor) {
        return Err(AppError::NotFound.into());
    }
    Ok(match review_rows(&state, lang, &me, rid).await {
        Ok(rows) => render(
            &ReviewPage {
                page: PageFrame::new(&state, lang, "/review/emergency", Some(&me)),
                rows,
                csrf: me.csrf_token(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    })
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

pub async fn mark_reviewed(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<uuid::Uuid>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    if !me.user.has_role(haven_domain::Role::Supervisor) {
        return Err(AppError::NotFound.into());
    }
    let pending = match state
        .store
        .pending_emergency_access(me.user.organization_id)
        .await
    {
        Ok(p) => p,
        Err(e) => return Err(PageError::from(AppError::from(e))),
    };
    let Some(entry) = pending.iter().find(|p| p.id == id) else {
        return Err(AppError::NotFound.into());
    };
    let audit = AuditEntry::new(AuditAction::EmergencyReviewed)
        .by(me.user.id, me.user.organization_id)
        .on("case", entry.case)
        .request(rid);
    Ok(
        match state
            .store
            .review_emergency_access(id, me.user.id, haven_domain::now(), &audit)
            .await
        {
            Ok(true) => see_other("/review/emergency"),
            Ok(false) => error_page(&state, lang, &AppError::NotFound),
            Err(e) => error_page(&state, lang, &e.into()),
        },
    )
}

async fn consent_ui(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    consents: &[haven_domain::consent::Consent],
    now: time::OffsetDateTime,
    form: ConsentPrefill,
) -> Result<ConsentUi, AppError> {
    use haven_domain::consent::{FieldGroup, Recipient};
    let orgs = state
        .lists
        .organizations
        .get(|| state.store.list_organizations())
        .await?;
    let org_name = |id| {
        orgs.iter()
            .find(|o| o.id == id)
            .map_or_else(|| lang.t("history-someone-else"), |o| o.name.clone())
    };
    let mut rows = Vec::with_capacity(consents.len());
    for c in consents {
        let witness = match c.witnessed_by {
            Some(u) => state
                .store
                .user(u)
                .await?
                .map_or_else(|| lang.t("history-someone-else"), |u| u.display_name),
            None => String::new(),
        };
        rows.push(ConsentRow {
            id: c.id,
            recipient: match c.recipient {
                Recipient::Organization(o) => org_name(o),
                Recipient::Role(r) => lang.t(&format!("role-{}", r.as_str())),
            },
            purpose: crate::features::cases::consents::consent_purpose(state, c).await?,
            fields: c
                .fields
                .iter()
                .map(|f| lang.t(&format!("field-{}", f.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
            dates: format!("{} – {}", c.signed_on, c.expires_on),
            witness,
            status: lang.t(if c.is_active(now) {
                "consents-active"
            } else {
                "consents-ended"
            }),
            active: c.is_active(now),
        });
    }
    // Only recipients the recorder may name: never their own
    // organization or a role they hold.
    let mut recipients: Vec<(String, String)> = orgs
        .iter()
        .filter(|o| access::may_name_recipient(actor, Recipient::Organization(o.id)).is_ok())
        .map(|o| (format!("org:{}", o.id), o.name.clone()))
        .collect();
    recipients.extend(
        haven_domain::Role::ALL
            .iter()
            .filter(|r| access::may_name_recipient(actor, Recipient::Role(**r)).is_ok())
            .map(|r| {
                (
                    format!("role:{}", r.as_str()),
                    lang.t(&format!("role-{}", r.as_str())),
                )
            }),
    );
    Ok(ConsentUi {
        rows,
        recipients: recipients
            .into_iter()
            .map(|(value, label)| crate::web::form::Opt {
                selected: value == form.recipient,
                value,
                label,
            })
            .collect(),
        groups: FieldGroup::ALL
            .iter()
            .map(|g| crate::web::form::Opt {
                value: g.as_str().to_owned(),
                label: lang.t(&format!("field-{}", g.as_str())),
                selected: form.has_field(g.as_str()),
            })
            .collect(),
        signers: ["victim", "parent_or_guardian", "court_guardian"]
            .into_iter()
            .map(|s| crate::web::form::Opt {
                value: s.to_owned(),
                label: lang.t(&format!("signer-{s}")),
                selected: form.has_signer(s),
            })
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
    Id(id): Id<CaseId>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
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
    check_csrf(&me, &one("csrf"))?;
    let facts = match manageable_case(&state, lang, &me, id).await {
        Ok(f) => f,
        Err(res) => return Ok(res),
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
    let input = crate::features::cases::consents::NewConsent {
        parties: many("signers")
            .into_iter()
            .map(|s| crate::features::cases::consents::PartyBody {
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
    let release = match crate::features::cases::consents::release_from_input(
        &state,
        &Actor::of(&me.user),
        &facts,
        input,
    )
    .await
    {
        Ok(r) => r,
        Err(crate::features::cases::consents::ReleaseProblem::Rule(_, code, _)) => {
            // Show the page again with what was typed and the rule it broke.
            let q = CaseQuery {
                done: None,
                consent_error: Some(code.to_owned()),
                notice_error: None,
            };
            return Ok(
                match case_page(
                    &state,
                    lang,
                    &me,
                    id,
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
                },
            );
        }
        Err(crate::features::cases::consents::ReleaseProblem::Failed(e)) => {
            return Err(e.into());
        }
    };
    let audit = AuditEntry::new(AuditAction::ConsentRecorded)
        .by(me.user.id, me.user.organization_id)
        .on("case", facts.id)
        .request(rid);
    Ok(match state.store.add_consent(&release, &audit).await {
        Ok(()) => see_other(&format!("/cases/{}?done=consent#consents", facts.id)),
        Err(e) => error_page(&state, lang, &e.into()),
    })
}

async fn manageable_case(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    case_id: CaseId,
) -> Result<CaseFacts, Response> {
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
    ReqId(rid): ReqId,
    Ids(id, cid): Ids<CaseId, haven_domain::ConsentId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let facts = match manageable_case(&state, lang, &me, id).await {
        Ok(f) => f,
        Err(res) => return Ok(res),
    };
    match state.store.consents_for_case(facts.id).await {
        Ok(list) if list.iter().any(|c| c.id == cid) => {}
        Ok(_) => return Err(PageError::from(AppError::NotFound)),
        Err(e) => return Err(PageError::from(AppError::from(e))),
    }
    let audit = AuditEntry::new(AuditAction::ConsentRevoked)
        .by(me.user.id, me.user.organization_id)
        .on("case", facts.id)
        .request(rid);
    Ok(
        match state
            .store
            .revoke_consent(cid, haven_domain::now(), &audit)
            .await
        {
            Ok(_) => see_other(&format!("/cases/{}?done=revoked#consents", facts.id)),
            Err(e) => error_page(&state, lang, &e.into()),
        },
    )
}
