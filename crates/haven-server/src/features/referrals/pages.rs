//! Pages for referrals: the referral form on a case, the referrals section
//! of the case page, the provider's incoming referrals and answers, and
//! loop-closure figures.

use crate::AppState;
use crate::features::directory::{self};
use crate::features::referrals::{self, Incoming};
use crate::web::error::AppError;
use crate::web::form::{Opt, languages_text, need_label, opts};
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, error_page, render, see_other, when};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::consent::FieldGroup;
use haven_domain::directory::referral::{self, DeclineReason, ReferralStatus};
use haven_domain::policy::Actor;
use haven_domain::record::EntryKind;
use haven_domain::{CaseId, ReferralId, Role, ServiceId};
use serde::Deserialize;
use uuid::Uuid;

// ---------------------------------------------------------------- referral form

#[derive(Template)]
#[template(path = "referrals/referral_new.html")]
struct ReferralForm {
    page: PageFrame,
    case_id: CaseId,
    service_id: ServiceId,
    service_name: String,
    provider: String,
    plan_items: Vec<Opt>,
    release: bool,
    error: Option<String>,
    note: String,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewReferralParams {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub plan_item: String,
}

/// What the referral form shows again: the chosen service and plan item,
/// the note typed, and why it was refused.
struct Prefill<'a> {
    service: &'a str,
    plan_item: &'a str,
    note: String,
    error: Option<String>,
}

async fn referral_form(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    case_id: CaseId,
    prefill: Prefill<'_>,
    rid: Option<String>,
) -> Result<ReferralForm, AppError> {
    let actor = Actor::of(&me.user);
    let open = crate::case::open_case(state, &actor, case_id, rid).await?;
    if !referral::may_send(&actor, &open.facts) {
        return Err(AppError::Forbidden(lang.t("ref-team-only")));
    }
    let Prefill {
        service,
        plan_item,
        note,
        error,
    } = prefill;
    let service_id = service
        .parse::<ServiceId>()
        .map_err(|_| AppError::NotFound)?;
    let v = directory::service_view(state, Some(&actor), service_id).await?;
    let (entries, _) = crate::features::record::entries_view(state, &open, 0).await?;
    let plan_items = entries
        .iter()
        .filter(|e| e.entry.kind == EntryKind::PlanItem)
        .map(|e| Opt {
            value: e.entry.id.to_string(),
            label: format!(
                "{}: {}",
                e.entry
                    .category
                    .as_deref()
                    .map(|c| need_label(lang, c))
                    .unwrap_or_default(),
                e.details.text
            ),
            selected: e.entry.id.to_string() == plan_item,
        })
        .collect();
    let now = haven_domain::now();
    let release = v.receiving_org().is_some_and(|org| {
        open.consents
            .iter()
            .any(|c| c.covers(org, &[Role::ProviderStaff], FieldGroup::Identity, now))
    });
    Ok(ReferralForm {
        page: PageFrame::new(state, lang, "/cases/", Some(me)),
        case_id,
        service_id,
        service_name: v.row.name.clone(),
        provider: v
            .organization
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        plan_items,
        release,
        error,
        note,
        csrf: me.csrf_token(),
    })
}

pub async fn new_referral(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(case_id): Id<CaseId>,
    Query(q): Query<NewReferralParams>,
) -> Result<Response, PageError> {
    let prefill = Prefill {
        service: &q.service,
        plan_item: &q.plan_item,
        note: String::new(),
        error: None,
    };
    Ok(
        match referral_form(&state, lang, &me, case_id, prefill, rid).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn send_referral(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(case_id): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let input = referrals::SendInput {
        plan_item_id: Uuid::parse_str(&f.one("plan_item")).ok(),
        service_id: Uuid::parse_str(&f.one("service")).ok(),
        note: f.one("note"),
        include_personal: f.flag("include_personal"),
    };
    Ok(
        match referrals::send(&state, &Actor::of(&me.user), case_id, &input, rid.clone()).await {
            Ok(_) => see_other(&format!("/cases/{case_id}?done=referral#referrals")),
            Err(AppError::Invalid { message, .. }) => {
                let (service, plan_item) = (f.one("service"), f.one("plan_item"));
                let prefill = Prefill {
                    service: &service,
                    plan_item: &plan_item,
                    note: input.note,
                    error: Some(message),
                };
                match referral_form(&state, lang, &me, case_id, prefill, rid).await {
                    Ok(p) => render(&p, StatusCode::UNPROCESSABLE_ENTITY),
                    Err(e) => error_page(&state, lang, &e),
                }
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn withdraw_referral(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    Ok(
        match referrals::withdraw(&state, &Actor::of(&me.user), id, rid).await {
            Ok(case) => see_other(&format!("/cases/{case}?done=referral-withdrawn#referrals")),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

/// A referral line on the case page.
pub struct CaseReferralRow {
    pub id: ReferralId,
    pub service_id: ServiceId,
    pub service: String,
    pub provider: String,
    pub need: String,
    pub status: String,
    pub status_code: String,
    pub sent: String,
    pub personal: bool,
    pub history: Vec<(String, String, String)>,
    pub open: bool,
}

/// The case page's referrals, in the reader's language.
///
/// # Errors
/// Storage.
pub async fn case_referrals(
    state: &AppState,
    lang: Lang,
    lists: &mut haven_store::CaseLists,
) -> Result<Vec<CaseReferralRow>, AppError> {
    Ok(
        referrals::views(state, std::mem::take(&mut lists.referrals))
            .await?
            .into_iter()
            .map(|r| {
                let status = ReferralStatus::parse(&r.status).unwrap_or(ReferralStatus::Sent);
                CaseReferralRow {
                    id: r.id,
                    service_id: r.service_id,
                    service: r.service_name,
                    provider: r.provider,
                    need: need_label(lang, &r.need),
                    status: match &r.decline_reason {
                        Some(reason) => format!(
                            "{} ({})",
                            lang.t(&format!("ref-status-{}", r.status)),
                            lang.t(&format!("ref-decline-{reason}"))
                        ),
                        None => lang.t(&format!("ref-status-{}", r.status)),
                    },
                    status_code: r.status.clone(),
                    sent: when(r.sent_at),
                    personal: r.with_personal_details,
                    history: r
                        .history
                        .iter()
                        .map(|e| {
                            (
                                when(e.at),
                                lang.t(&format!("ref-status-{}", e.status)),
                                e.note.clone().unwrap_or_default(),
                            )
                        })
                        .collect(),
                    open: !status.is_final(),
                }
            })
            .collect(),
    )
}

// ---------------------------------------------------------------- provider

pub struct IncomingRow {
    pub id: ReferralId,
    pub service: String,
    pub need: String,
    pub urgency: String,
    pub urgency_code: String,
    pub age: String,
    pub languages: String,
    pub from: String,
    pub status: String,
    pub sent: String,
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct IncomingPage {
    page: PageFrame,
    rows: Vec<IncomingRow>,
    all: bool,
}

fn incoming_row(lang: Lang, r: &Incoming) -> IncomingRow {
    IncomingRow {
        id: r.id,
        service: r.service_name.clone(),
        need: need_label(lang, &r.need),
        urgency: lang.t(&format!("pick-urgency-{}", r.urgency)),
        urgency_code: r.urgency.clone(),
        age: lang.t(&format!("ref-age-{}", r.age_range)),
        languages: languages_text(&r.languages),
        from: r.from.clone(),
        status: lang.t(&format!("ref-status-{}", r.status)),
        sent: when(r.sent_at),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct IncomingParams {
    #[serde(default)]
    pub all: String,
}

pub async fn incoming_page(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(q): Query<IncomingParams>,
) -> Result<Response, PageError> {
    let all = q.all == "1";
    Ok(
        match referrals::incoming(&state, &Actor::of(&me.user), !all).await {
            Ok(list) => render(
                &IncomingPage {
                    page: PageFrame::new(&state, lang, "/referrals", Some(&me)),
                    rows: list.iter().map(|r| incoming_row(lang, r)).collect(),
                    all,
                },
                StatusCode::OK,
            ),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

#[derive(Template)]
#[template(path = "referrals/referral.html")]
struct IncomingDetail {
    page: PageFrame,
    r: IncomingRow,
    note: String,
    personal: Option<referrals::PersonalDetails>,
    safe_contact: Vec<(String, String)>,
    next: Vec<Opt>,
    reasons: Vec<Opt>,
    may_decline: bool,
    history: Vec<(String, String, String)>,
    error: Option<String>,
    notice: Option<String>,
    csrf: String,
}

async fn incoming_detail(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: ReferralId,
    error: Option<String>,
    notice: Option<String>,
    rid: Option<String>,
) -> Result<IncomingDetail, AppError> {
    let r = referrals::incoming_one(state, &Actor::of(&me.user), id, rid).await?;
    let may_decline = r.next.iter().any(|s| s == "declined");
    let safe_contact = r
        .personal
        .as_ref()
        .and_then(|p| p.safe_contact.as_ref())
        .map(|s| {
            let mut v = Vec::new();
            if let Some(c) = s.channel {
                v.push((
                    lang.t("ref-safe-channel"),
                    lang.t(&format!("pick-channel-{}", c.as_str())),
                ));
            }
            if !s.safe_times.is_empty() {
                v.push((lang.t("ref-safe-times"), s.safe_times.clone()));
            }
            v.push((
                lang.t("ref-may-leave-message"),
                lang.t(if s.may_leave_message { "yes" } else { "no" }),
            ));
            if !s.code_word.is_empty() {
                v.push((lang.t("ref-code-word"), s.code_word.clone()));
            }
            v
        })
        .unwrap_or_default();
    Ok(IncomingDetail {
        page: PageFrame::new(state, lang, "/referrals", Some(me)),
        r: incoming_row(lang, &r),
        note: r.note.clone().unwrap_or_default(),
        safe_contact,
        next: r
            .next
            .iter()
            .filter(|s| *s != "declined")
            .map(|s| Opt {
                value: s.clone(),
                label: lang.t(&format!("ref-action-{s}")),
                selected: false,
            })
            .collect(),
        reasons: opts(
            DeclineReason::ALL,
            DeclineReason::as_str,
            |c| lang.t(&format!("ref-decline-{c}")),
            "",
        ),
        may_decline,
        history: r
            .history
            .iter()
            .map(|e| {
                (
                    when(e.at),
                    lang.t(&format!("ref-status-{}", e.status)),
                    e.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        personal: r.personal,
        error,
        notice,
        csrf: me.csrf_token(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneParams {
    #[serde(default)]
    pub done: String,
}

pub async fn incoming_one(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
    Query(q): Query<DoneParams>,
) -> Result<Response, PageError> {
    let notice = (q.done == "1").then(|| lang.t("ref-answer-saved"));
    Ok(
        match incoming_detail(&state, lang, &me, id, None, notice, rid).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn respond(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let input = referrals::Response {
        status: f.one("status"),
        decline_reason: f.one("decline_reason"),
        note: f.one("note"),
    };
    Ok(
        match referrals::respond(&state, &Actor::of(&me.user), id, &input, rid.clone()).await {
            Ok(()) => see_other(&format!("/referrals/{id}?done=1")),
            Err(AppError::Invalid { message, .. }) => {
                match incoming_detail(&state, lang, &me, id, Some(message), None, rid).await {
                    Ok(p) => render(&p, StatusCode::UNPROCESSABLE_ENTITY),
                    Err(e) => error_page(&state, lang, &e),
                }
            }
            Err(AppError::Conflict { .. }) => {
                match incoming_detail(&state, lang, &me, id, Some(lang.t("ref-moved")), None, rid)
                    .await
                {
                    Ok(p) => render(&p, StatusCode::CONFLICT),
                    Err(e) => error_page(&state, lang, &e),
                }
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub struct StatsRow {
    pub provider: String,
    pub total: i64,
    pub waiting: i64,
    pub accepted: String,
    pub completed: String,
    pub declined: String,
    pub answer_hours: String,
    pub accept_hours: String,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "referrals/referral_stats.html")]
struct StatsPage {
    page: PageFrame,
    rows: Vec<StatsRow>,
}

fn share(part: i64, total: i64) -> String {
    if total == 0 {
        "—".to_owned()
    } else {
        format!("{part} ({:.0}%)", part as f64 * 100.0 / total as f64)
    }
}

pub async fn stats_page(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
) -> Result<Response, PageError> {
    let r = async {
        let stats = referrals::stats(&state, &Actor::of(&me.user), None).await?;
        let mut rows = Vec::new();
        for s in stats {
            let provider = match s.to_org {
                Some(o) => state
                    .store
                    .organization(o)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            rows.push(StatsRow {
                provider,
                total: s.total,
                waiting: s.waiting,
                accepted: share(s.accepted, s.total),
                completed: share(s.completed, s.total),
                declined: share(s.declined, s.total),
                answer_hours: s
                    .mean_hours_to_answer
                    .map(|h| format!("{h:.1}"))
                    .unwrap_or_else(|| "—".into()),
                accept_hours: s
                    .median_hours_to_accept
                    .map(|h| format!("{h:.1}"))
                    .unwrap_or_else(|| "—".into()),
                reasons: s
                    .decline_reasons
                    .iter()
                    .map(|(r, n)| format!("{} ({n})", lang.t(&format!("ref-decline-{r}"))))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok::<_, AppError>(rows)
    }
    .await;
    Ok(match r {
        Ok(rows) => render(
            &StatsPage {
                page: PageFrame::new(&state, lang, "/referrals", Some(&me)),
                rows,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    })
}
