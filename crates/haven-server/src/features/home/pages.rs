//! The home page: what waits for me today (my caseload's count, documents
//! to sign, reminders) and where to go next.

use crate::AppState;
use crate::features::notices::reminder_text;
use crate::web::i18n::Lang;
use crate::web::pages::{PageFrame, error_page, render};
use crate::web::session::SignedIn;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    page: PageFrame,
    welcome: String,
    organization: String,
    roles: Vec<String>,
    mfa_on: bool,
    /// Emergency openings awaiting review (supervisors).
    to_review: Option<String>,
    /// HHS-5 notifications still due on cases the user may see.
    hhs_pending: u64,
    /// Fund requests waiting for a decision (supervisors).
    funds_pending: usize,
    /// Staff notifications (deadline reminders), newest first.
    reminders: Vec<ReminderView>,
    /// Declarations and certifications waiting for the user's signature.
    to_sign: usize,
    csrf: String,
}

pub struct ReminderView {
    pub id: haven_domain::MessageId,
    pub href: Option<String>,
    pub text: String,
    pub unread: bool,
}

/// Where a reminder leads: the case's relief tab, the case's referrals, or
/// (for a provider, who never opens the case) the referral itself.
fn reminder_href(kind: &str, case: Option<haven_domain::CaseId>, payload: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let referral = v
        .get("referral")
        .and_then(|x| x.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    if kind.starts_with("interview")
        && let Some(i) = v.get("interview").and_then(|x| x.as_str())
    {
        return Some(format!("/interviews/{i}"));
    }
    match (kind, case, referral) {
        ("role_granted", _, _) => Some("/access".to_owned()),
        ("deadline_reminder", Some(c), _) => Some(format!("/cases/{c}/relief")),
        (k, Some(c), _) if k.starts_with("referral") => Some(format!("/cases/{c}#referrals")),
        (k, None, Some(r)) if k.starts_with("referral") => Some(format!("/referrals/{r}")),
        (_, Some(c), _) => Some(format!("/cases/{c}")),
        _ => None,
    }
}

pub async fn home(State(state): State<AppState>, lang: Lang, SignedIn(me): SignedIn) -> Response {
    let mfa_on = match state.store.mfa(me.user.id).await {
        Ok(r) => r.is_some_and(|r| r.enabled_at.is_some()),
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let to_review = if me.user.has_role(haven_domain::Role::Supervisor) {
        match state
            .store
            .pending_emergency_access(me.user.organization_id)
            .await
        {
            Ok(p) if !p.is_empty() => Some(lang.t1("home-review", "count", &p.len().to_string())),
            Ok(_) => None,
            Err(e) => return error_page(&state, lang, &e.into()),
        }
    } else {
        None
    };
    // Counts only (no names): the lists behind them are audited reads.
    let actor = haven_domain::policy::Actor::of(&me.user);
    let mut q = crate::features::cases::caseload::caseload_query(
        &actor,
        &crate::features::cases::caseload::CaseloadParams::default(),
    );
    q.hhs_pending = true;
    q.limit = 1;
    let hhs_pending = match state.store.caseload(&q).await {
        Ok((n, _)) => n,
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let funds_pending = if me.user.has_role(haven_domain::Role::Supervisor) {
        match state
            .store
            .pending_fund_requests(me.user.organization_id)
            .await
        {
            Ok(p) => p.len(),
            Err(e) => return error_page(&state, lang, &e.into()),
        }
    } else {
        0
    };
    let reminders = match state.store.notifications(me.user.id, 10).await {
        Ok(n) => n
            .into_iter()
            .map(|n| ReminderView {
                id: n.id,
                href: reminder_href(&n.kind, n.case, &n.payload),
                text: reminder_text(lang, &n.kind, &n.payload),
                unread: n.read_at.is_none(),
            })
            .collect(),
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let to_sign = match crate::features::relief::awaiting_signature(&state, &actor).await {
        Ok(d) => d.len(),
        Err(e) => return error_page(&state, lang, &e),
    };
    let page = HomePage {
        hhs_pending,
        funds_pending,
        reminders,
        to_sign,
        csrf: me.csrf_token(),
        page: PageFrame::new(&state, lang, "/", Some(&me)),
        welcome: lang.t1("home-welcome", "name", &me.user.display_name),
        organization: me.organization.name.clone(),
        roles: me
            .user
            .roles
            .iter()
            .map(|r| lang.t(&format!("role-{}", r.as_str())))
            .collect(),
        mfa_on,
        to_review,
    };
    render(&page, StatusCode::OK)
}
