//! The funds page: budgets and balances, requests waiting for a decision,
//! approved requests waiting to be paid, and spending by category.
//! Supervisors decide; administrators see balances and spending only.

use crate::AppState;
use crate::features::funds::{self, money};
use crate::web::error::AppError;
use crate::web::form::error_text;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, render, see_other, when};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::policy::{Actor, UserScope};
use haven_domain::{CaseId, FundId, FundRequestId, Role, UserId};
use std::collections::HashMap;

pub struct FundView {
    pub id: FundId,
    pub name: String,
    pub budget: String,
    pub balance: String,
    pub spending: Vec<(String, u64, String, String)>,
}

pub struct PendingView {
    pub id: FundRequestId,
    pub case: CaseId,
    pub fund: String,
    pub amount: String,
    pub purpose: String,
    pub urgency: String,
    pub description: String,
    pub requested: String,
    pub own: bool,
}

#[derive(Template)]
#[template(path = "funds/funds.html")]
struct FundsPage {
    page: PageFrame,
    csrf: String,
    supervisor: bool,
    limit: String,
    funds: Vec<FundView>,
    pending: Vec<PendingView>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct FundsQuery {
    done: Option<String>,
    error: Option<String>,
}

fn may_see(me: &Authenticated) -> bool {
    me.user.has_role(Role::Supervisor) || me.user.has_role(Role::Administrator)
}

async fn funds_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    q: FundsQuery,
    rid: Option<String>,
) -> Result<Response, AppError> {
    let org = me.user.organization_id;
    let supervisor = me.user.has_role(Role::Supervisor);
    let names: HashMap<UserId, String> = state
        .store
        .list_users(UserScope::Organization(org))
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, u.display_name))
        .collect();
    let mut funds = Vec::new();
    let mut fund_names = HashMap::new();
    for f in state.store.funds(org).await? {
        fund_names.insert(f.id, f.name.clone());
        let spending = state
            .store
            .spending(f.id)
            .await?
            .into_iter()
            .map(|s| {
                (
                    lang.t(&format!("pick-purpose-{}", s.purpose.as_str())),
                    s.requests,
                    money(s.committed),
                    money(s.disbursed),
                )
            })
            .collect();
        funds.push(FundView {
            id: f.id,
            name: f.name,
            budget: money(f.budget),
            balance: money(f.balance),
            spending,
        });
    }
    // Request descriptions are case details: supervisors only.
    let pending = if supervisor {
        funds::pending_views(state, &Actor::of(&me.user), rid)
            .await?
            .into_iter()
            .map(|r| PendingView {
                id: r.request.id,
                case: r.request.case,
                fund: fund_names.get(&r.request.fund).cloned().unwrap_or_default(),
                amount: money(r.request.amount),
                purpose: lang.t(&format!("pick-purpose-{}", r.request.purpose.as_str())),
                urgency: lang.t(&format!("pick-urgency-{}", r.request.urgency.as_str())),
                description: r.description,
                requested: format!(
                    "{} — {}",
                    when(r.request.requested_at),
                    names
                        .get(&r.request.requested_by)
                        .cloned()
                        .unwrap_or_default()
                ),
                own: r.request.requested_by == me.user.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    let limit = money(state.store.approval_limit(me.user.id).await?);
    let page = FundsPage {
        page: PageFrame::new(state, lang, "/funds", Some(me)),
        csrf: me.csrf_token(),
        supervisor,
        limit,
        funds,
        pending,
        notice: q.done.map(|d| lang.t(&format!("funds-done-{d}"))),
        error: q.error.map(|c| error_text(lang, &c)),
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Query(q): Query<FundsQuery>,
) -> Result<Response, PageError> {
    if !may_see(&me) {
        return Err(AppError::NotFound.into());
    }
    Ok(funds_page(&state, lang, &me, q, rid).await?)
}

/// Back to the funds page with a result or a reason.
fn back(result: Result<(), AppError>, done: &str) -> Response {
    match result {
        Ok(()) => see_other(&format!("/funds?done={done}")),
        Err(AppError::InvalidMany(first, _)) => back(Err(*first), done),
        Err(AppError::Invalid { code, .. }) => see_other(&format!("/funds?error={code}")),
        Err(AppError::Forbidden(_)) => see_other("/funds?error=not_allowed"),
        Err(AppError::NotFound) => see_other("/funds?error=not_found"),
        Err(e) => see_other(&format!(
            "/funds?error={}",
            if matches!(e, AppError::Conflict { .. }) {
                "name_taken"
            } else {
                "other"
            }
        )),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let r = funds::create_fund(
        &state,
        &Actor::of(&me.user),
        &f.one("name"),
        &f.one("budget"),
        rid,
    )
    .await
    .map(|_| ());
    Ok(back(r, "created"))
}

pub async fn add(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Id(id): Id<FundId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let r = funds::add_to_fund(&state, &Actor::of(&me.user), id, &f.one("amount"), rid).await;
    Ok(back(r, "added"))
}

pub async fn decide(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Id(id): Id<FundRequestId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let approve = f.one("decision") == "approve";
    let r = funds::decide(
        &state,
        &Actor::of(&me.user),
        id,
        approve,
        &f.one("note"),
        rid,
    )
    .await;
    Ok(back(r, if approve { "approved" } else { "denied" }))
}

/// Records a payment; posted from the case page.
pub async fn disburse(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Id(id): Id<FundRequestId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let case = f.one("case");
    Ok(
        match funds::disburse(&state, &Actor::of(&me.user), id, &f.one("method"), rid).await {
            Ok(()) if !case.is_empty() => see_other(&format!("/cases/{case}?done=paid#funds")),
            r => back(r, "paid"),
        },
    )
}

// ---------------------------------------------------------------- on the case page

pub struct FundRow {
    pub id: FundRequestId,
    pub amount: String,
    pub purpose: String,
    pub urgency: String,
    pub description: String,
    pub status: String,
    pub status_code: &'static str,
    pub requested: String,
    pub note: String,
}

/// The emergency-fund section of a case page: its requests, and the request
/// form for those who may ask.
pub struct CaseFunds {
    pub requests: Vec<FundRow>,
    /// How a payment can be made: code and label.
    pub payment_methods: Vec<crate::web::form::Opt>,
    pub funds: Vec<(FundId, String)>,
    pub may_request: bool,
    pub purposes: Vec<crate::web::form::Opt>,
}

fn label(lang: Lang, list: &str, code: &str) -> String {
    lang.t(&format!("pick-{list}-{code}"))
}

/// The case page's fund section, from the rows the case page read.
///
/// # Errors
/// Store or decryption failures.
pub async fn case_section(
    state: &AppState,
    lang: Lang,
    case: &crate::case::OpenCase,
    lists: &mut haven_store::CaseLists,
) -> Result<CaseFunds, AppError> {
    let stored_requests = std::mem::take(&mut lists.fund_requests);
    let name = |u: UserId| {
        lists
            .names
            .get(&u)
            .map_or_else(|| lang.t("history-someone-else"), Clone::clone)
    };
    let requests = funds::request_views(state, stored_requests).await?;
    let requests = requests
        .into_iter()
        .map(|r| FundRow {
            id: r.request.id,
            amount: money(r.request.amount),
            purpose: label(lang, "purpose", r.request.purpose.as_str()),
            urgency: label(lang, "urgency", r.request.urgency.as_str()),
            description: r.description,
            status: label(lang, "fundstatus", r.request.status.as_str()),
            status_code: r.request.status.as_str(),
            requested: format!(
                "{} — {}",
                when(r.request.requested_at),
                name(r.request.requested_by)
            ),
            note: r.note,
        })
        .collect();
    let org_funds = std::mem::take(&mut lists.funds);
    let may_request = org_funds.first().is_some_and(|f| {
        haven_domain::access::may_request_funds(&case.actor, &case.facts, f.organization)
    });
    Ok(CaseFunds {
        requests,
        payment_methods: haven_domain::record::PaymentMethod::ALL
            .iter()
            .map(|m| crate::web::form::Opt {
                value: m.as_str().to_owned(),
                label: lang.t(&format!("funds-method-{}", m.as_str())),
                selected: false,
            })
            .collect(),
        funds: org_funds
            .iter()
            .map(|f| {
                (
                    f.id,
                    format!(
                        "{} ({})",
                        f.name,
                        lang.t1("fund-balance", "count", &money(f.balance))
                    ),
                )
            })
            .collect(),
        may_request,
        purposes: crate::web::form::choices(
            lang,
            "purpose",
            &haven_domain::record::FundPurpose::codes(),
            &[],
        ),
    })
}
