//! My caseload: the cases I may see, filtered, ordered and paged; each
//! listed case is an audited read.

use crate::AppState;
use crate::audit::PendingAudit;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::PageError;
use crate::web::pages::{PageFrame, error_page, render};
use crate::web::session::{ReqId, SignedIn};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::access::{self};
use haven_domain::policy::Actor;
use haven_domain::{AuditAction, AuditEntry, CaseId};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "cases/cases.html")]
struct CasesPage {
    page: PageFrame,
    can_create: bool,
    rows: Vec<CaseloadLine>,
    total: u64,
    page_no: u32,
    pages: u32,
    q: CaseloadParams,
    stages: Vec<crate::web::form::Opt>,
    sorts: Vec<crate::web::form::Opt>,
    supervisor: bool,
}

pub struct CaseloadLine {
    pub id: CaseId,
    pub name: String,
    pub stage: String,
    pub next_due: String,
    pub overdue: bool,
    pub updated: String,
    pub hhs_due: Option<String>,
}

/// The caseload's query string: filters, order and page.
#[derive(Deserialize, Default, Clone)]
pub struct CaseloadParams {
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub hhs: String,
    pub page: Option<u32>,
}

impl CaseloadParams {
    /// The query string for another page with the same filters.
    #[must_use]
    pub fn link(&self, page: u32) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("stage", &self.stage),
            ("sort", &self.sort),
            ("scope", &self.scope),
            ("hhs", &self.hhs),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &page.to_string());
        format!("/cases?{}", q.finish())
    }
}

pub const PAGE_SIZE: u32 = 25;

/// The caseload query for `actor` from the page's parameters.
#[must_use]
pub fn caseload_query(actor: &Actor, p: &CaseloadParams) -> haven_store::CaseloadQuery {
    use haven_store::CaseloadSort;
    let page = p.page.unwrap_or(1).clamp(1, 100_000);
    haven_store::CaseloadQuery {
        filter: access::case_filter(actor),
        mine_only: p.scope == "mine",
        stage: haven_domain::record::Stage::parse(&p.stage),
        hhs_pending: p.hhs == "1",
        sort: match p.sort.as_str() {
            "created" => CaseloadSort::Created,
            "stage" => CaseloadSort::Stage,
            "due" => CaseloadSort::NextDue,
            _ => CaseloadSort::Updated,
        },
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        now: haven_domain::now(),
    }
}

/// One page of the caseload, decrypted. Showing names reads each case: the
/// page's reads are audited; the entry commits while the names are decrypted
/// and the page rendered, and the caller awaits the returned [`PendingAudit`]
/// before its response leaves the server.
///
/// # Errors
/// Store or decryption failures.
pub async fn caseload_page(
    state: &AppState,
    actor: &Actor,
    q: &haven_store::CaseloadQuery,
    rid: Option<String>,
) -> Result<(u64, Vec<(haven_store::CaseloadRow, String)>, PendingAudit), AppError> {
    let (total, rows) = state.store.caseload(q).await?;
    // One entry names every case on the page (ids only): a list view is one
    // read of many records, and one row keeps the audit log's growth in step
    // with what people do rather than with page sizes.
    let mut audit = PendingAudit::nothing();
    if !rows.is_empty() && state.settings.audit_reads {
        let ids = rows
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        audit = state
            .audit_writer
            .submit(
                AuditEntry::new(AuditAction::RecordsListed)
                    .by(actor.user, actor.organization)
                    .on("case_list", ids)
                    .request(rid),
            )
            .await?;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name = match (&r.person, &r.name) {
            (Some(p), Some(n)) => {
                crate::case::sealed::unseal_text(state, "persons", "name", &p.to_string(), n)
                    .await?
            }
            _ => String::new(),
        };
        out.push((r, name));
    }
    Ok((total, out, audit))
}

pub async fn caseload(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    axum::extract::Query(p): axum::extract::Query<CaseloadParams>,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let q = caseload_query(&actor, &p);
    let today = haven_domain::now().date();
    Ok(match caseload_page(&state, &actor, &q, rid).await {
        Ok((total, rows, audit)) => {
            let pages = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE))).unwrap_or(u32::MAX);
            let label = |list: &str, code: &str| lang.t(&format!("pick-{list}-{code}"));
            let page = CasesPage {
                page: PageFrame::new(&state, lang, "/cases", Some(&me)),
                can_create: access::may_open_case(&actor).is_some(),
                rows: rows
                    .into_iter()
                    .map(|(r, name)| CaseloadLine {
                        id: r.id,
                        name,
                        stage: label("stage", r.stage.as_str()),
                        next_due: r
                            .next_due
                            .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
                            .unwrap_or_default(),
                        overdue: r.next_due.is_some_and(|d| d < today),
                        updated: crate::web::pages::when(r.updated_at),
                        hhs_due: r.hhs_notice_due_at.map(crate::web::pages::when),
                    })
                    .collect(),
                total,
                page_no: q.offset / PAGE_SIZE + 1,
                pages,
                stages: crate::web::form::choices(
                    lang,
                    "stage",
                    &haven_domain::record::Stage::codes(),
                    std::slice::from_ref(&p.stage),
                ),
                sorts: ["updated", "created", "stage", "due"]
                    .into_iter()
                    .map(|c| crate::web::form::Opt {
                        value: c.to_owned(),
                        label: lang.t(&format!("cases-sort-{c}")),
                        selected: p.sort == c || (p.sort.is_empty() && c == "updated"),
                    })
                    .collect(),
                supervisor: me.user.has_role(haven_domain::Role::Supervisor),
                q: p,
            };
            let res = render(&page, StatusCode::OK);
            match audit.durable().await {
                Ok(()) => res,
                Err(e) => error_page(&state, lang, &e),
            }
        }
        Err(e) => error_page(&state, lang, &e),
    })
}
