//! Emergency assistance funds: a budget per organization, requests by
//! specialists, decisions by a supervisor within their approval limit, and
//! disbursement records. The balance can never go negative: the approval
//! takes the amount inside the database transaction (see the store).

use crate::AppState;
use crate::case::OpenCase;
use crate::case::sealed::seal;
use crate::case::sealed::unseal_text;
use crate::web::error::AppError;
use crate::web::problems::Problems;
use haven_domain::access::{self, FundDeny};
use haven_domain::policy::Actor;
use haven_domain::record::{Cents, FundPurpose, FundRequestStatus, Urgency};
use haven_domain::{AuditAction, AuditEntry, FundId, FundRequestId, OrganizationId, Role};
use haven_store::{Decided, Fund, FundRequest};
use serde::Deserialize;

/// Parses an amount of money typed by a person: "150", "150.5", "$1,200.00".
#[must_use]
pub fn parse_amount(raw: &str) -> Option<Cents> {
    let t: String = raw
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// "$1,234.50".
#[must_use]
pub fn money(c: Cents) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let c = c.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

fn audit(actor: &Actor, action: AuditAction, rid: Option<String>) -> AuditEntry {
    AuditEntry::new(action)
        .by(actor.user, actor.organization)
        .request(rid)
}

fn may_manage_funds(actor: &Actor) -> bool {
    actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Supervisor | Role::Administrator))
}

/// Creates a fund for the actor's organization.
///
/// # Errors
/// Not a supervisor or administrator; validation; a name already in use.
pub async fn create_fund(
    state: &AppState,
    actor: &Actor,
    name: &str,
    budget: &str,
    rid: Option<String>,
) -> Result<FundId, AppError> {
    if !may_manage_funds(actor) {
        return Err(AppError::Forbidden(
            "Only supervisors and administrators manage funds.".into(),
        ));
    }
    let mut p = Problems::default();
    let name = p.required("name", name, 100);
    let budget = parse_amount(budget);
    if budget.is_none() {
        p.add(
            "budget",
            "bad_amount",
            "budget must be an amount of money, e.g. 2500 or 2500.00.",
        );
    }
    p.finish()?;
    let budget = budget.unwrap_or(0);
    let fund = Fund {
        id: FundId::new(),
        organization: actor.organization,
        name,
        budget,
        balance: budget,
        created_at: haven_domain::now(),
    };
    let a = audit(actor, AuditAction::FundCreated, rid).on("fund", fund.id);
    state.store.create_fund(&fund, &a).await?;
    Ok(fund.id)
}

/// Adds money to a fund of the actor's organization.
///
/// # Errors
/// Not allowed; not an amount; no such fund.
pub async fn add_to_fund(
    state: &AppState,
    actor: &Actor,
    id: FundId,
    amount: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let fund = own_fund(state, actor, id).await?;
    if !may_manage_funds(actor) {
        return Err(AppError::Forbidden(
            "Only supervisors and administrators manage funds.".into(),
        ));
    }
    let Some(amount) = parse_amount(amount).filter(|a| *a > 0) else {
        return Err(AppError::Invalid {
            code: "bad_amount",
            field: Some("amount"),
            message: "amount must be more than zero, e.g. 500 or 500.00.".into(),
        });
    };
    let a = audit(actor, AuditAction::FundCreated, rid).on("fund", fund.id);
    state.store.add_to_fund(fund.id, amount, &a).await?;
    Ok(())
}

async fn own_fund(state: &AppState, actor: &Actor, id: FundId) -> Result<Fund, AppError> {
    state
        .store
        .fund(id)
        .await?
        .filter(|f| f.organization == actor.organization)
        .ok_or(AppError::NotFound)
}

/// A request for money, as typed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FundRequestInput {
    pub fund_id: Option<uuid::Uuid>,
    /// An amount such as "150" or "150.00" (US dollars).
    pub amount: String,
    /// lodging, food, clothing, transportation, medical, phone, documents,
    /// childcare, relocation or other.
    pub purpose: String,
    /// immediate, high, medium or low.
    pub urgency: String,
    /// What it pays for (kept encrypted).
    pub description: String,
}

/// Asks a fund to pay for something on a case.
///
/// # Errors
/// Validation naming the field; not allowed.
pub async fn request_funds(
    state: &AppState,
    case: &OpenCase,
    input: &FundRequestInput,
    rid: Option<String>,
) -> Result<FundRequestId, AppError> {
    let mut p = Problems::default();
    let fund = match input.fund_id {
        Some(f) => state.store.fund(FundId::from_uuid(f)).await?,
        None => None,
    };
    if fund.is_none() {
        p.add(
            "fund_id",
            "unknown_fund",
            "fund_id must be one of your organization's funds.",
        );
    }
    let amount = parse_amount(&input.amount).filter(|a| *a > 0);
    if amount.is_none() {
        p.add(
            "amount",
            "bad_amount",
            "amount must be more than zero, e.g. 150 or 150.00.",
        );
    }
    let purpose = p.code(
        "purpose",
        &input.purpose,
        FundPurpose::parse,
        FundPurpose::codes,
    );
    if purpose.is_none() && !haven_domain::text::has_visible(&input.purpose) {
        p.add("purpose", "required", "purpose is required.");
    }
    let urgency = p
        .code("urgency", &input.urgency, Urgency::parse, Urgency::codes)
        .unwrap_or(Urgency::Medium);
    let description = p.required("description", &input.description, 2000);
    if let (Some(f), Some(a)) = (&fund, amount)
        && a > f.budget
    {
        p.add(
            "amount",
            "over_budget",
            format!(
                "amount is more than the fund's whole budget ({}).",
                money(f.budget)
            ),
        );
    }
    if let Some(f) = &fund
        && !access::may_request_funds(&case.actor, &case.facts, f.organization)
    {
        return Err(AppError::Forbidden(
            "Fund requests are made by the case's specialists and supervisors, from their own organization's funds."
                .into(),
        ));
    }
    p.finish()?;
    let (Some(fund), Some(amount), Some(purpose)) = (fund, amount, purpose) else {
        return Err(AppError::Internal("checked above".into()));
    };
    let id = FundRequestId::new();
    let request = FundRequest {
        id,
        fund: fund.id,
        case: case.facts.id,
        amount,
        purpose,
        urgency,
        description: seal(
            state,
            "fund_requests",
            "description",
            &id.to_string(),
            description.as_bytes(),
        )?,
        status: FundRequestStatus::Requested,
        requested_by: case.actor.user,
        requested_at: haven_domain::now(),
        decided_by: None,
        decided_at: None,
        decision_note: None,
        disbursed_by: None,
        disbursed_at: None,
        method: None,
    };
    let a = audit(&case.actor, AuditAction::FundRequested, rid).on("case", case.facts.id);
    state.store.request_funds(&request, &a).await?;
    Ok(id)
}

/// Approves or denies a request: a supervisor of the fund's organization,
/// not the requester, within their approval limit.
///
/// # Errors
/// Not allowed (with why); not pending; the balance does not cover it.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: FundRequestId,
    approve: bool,
    note: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let request = state
        .store
        .fund_request(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fund = state
        .store
        .fund(request.fund)
        .await?
        .ok_or(AppError::NotFound)?;
    if fund.organization != actor.organization {
        return Err(AppError::NotFound);
    }
    let limit = state.store.approval_limit(actor.user).await?;
    match access::may_decide_fund_request(
        actor,
        fund.organization,
        request.requested_by,
        request.amount,
        approve,
        limit,
    ) {
        Ok(()) => {}
        Err(FundDeny::NotSupervisor) => {
            return Err(AppError::Forbidden(
                "Fund requests are approved by a supervisor of the fund's organization.".into(),
            ));
        }
        Err(FundDeny::OwnRequest) => {
            return Err(AppError::Forbidden(
                "Nobody approves their own request: another supervisor must decide.".into(),
            ));
        }
        Err(FundDeny::OverLimit) => {
            return Err(AppError::Forbidden(format!(
                "This request is over your approval limit of {}.",
                money(limit)
            )));
        }
    }
    let mut p = Problems::default();
    let note = p.text("note", note, 2000);
    if !approve && note.is_empty() {
        p.add("note", "required", "note: say why the request is denied.");
    }
    p.finish()?;
    let sealed = if note.is_empty() {
        None
    } else {
        Some(seal(
            state,
            "fund_requests",
            "decision_note",
            &id.to_string(),
            note.as_bytes(),
        )?)
    };
    let action = if approve {
        AuditAction::FundApproved
    } else {
        AuditAction::FundDenied
    };
    let a = audit(actor, action, rid).on("fund_request", id);
    match state
        .store
        .decide_fund_request(
            id,
            approve,
            actor.user,
            sealed.as_deref(),
            haven_domain::now(),
            &a,
        )
        .await?
    {
        Decided::Done => Ok(()),
        Decided::NotPending => Err(AppError::Invalid {
            code: "not_pending",
            field: None,
            message: "This request was already decided.".into(),
        }),
        Decided::InsufficientFunds => Err(AppError::Invalid {
            code: "insufficient_funds",
            field: Some("amount"),
            message: format!(
                "The fund's balance ({}) does not cover this request; add money to the fund or deny it.",
                money(fund.balance)
            ),
        }),
    }
}

/// Records that an approved request was paid.
///
/// # Errors
/// Not allowed; not approved; validation.
pub async fn disburse(
    state: &AppState,
    actor: &Actor,
    id: FundRequestId,
    method: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let request = state
        .store
        .fund_request(id)
        .await?
        .ok_or(AppError::NotFound)?;
    own_fund(state, actor, request.fund).await?;
    // Whoever records the payment may change the case it was for.
    let facts = state
        .store
        .case_facts(request.case)
        .await?
        .ok_or(AppError::NotFound)?;
    if !access::may_edit_case(actor, &facts)
        || !actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::Supervisor | Role::VictimSpecialist))
    {
        return Err(AppError::Forbidden(
            "Payments are recorded by the case's specialists and supervisors.".into(),
        ));
    }
    let mut p = Problems::default();
    let method = if method.trim().is_empty() {
        p.add("method", "required", "method: say how it was paid.");
        None
    } else {
        p.code(
            "method",
            method,
            haven_domain::record::PaymentMethod::parse,
            haven_domain::record::PaymentMethod::codes,
        )
    };
    p.finish()?;
    let method = method.map_or("other", haven_domain::record::PaymentMethod::as_str);
    let a = audit(actor, AuditAction::FundDisbursed, rid).on("fund_request", id);
    if state
        .store
        .disburse(id, actor.user, method, haven_domain::now(), &a)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Invalid {
            code: "not_approved",
            field: None,
            message: "Only an approved request can be paid, once.".into(),
        })
    }
}

/// A request with its decrypted description, for display.
pub struct RequestView {
    pub request: FundRequest,
    pub description: String,
    pub note: String,
}

/// Decrypts requests for display.
///
/// # Errors
/// When a value does not decrypt.
pub async fn request_views(
    state: &AppState,
    requests: Vec<FundRequest>,
) -> Result<Vec<RequestView>, AppError> {
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let row = r.id.to_string();
        let description =
            unseal_text(state, "fund_requests", "description", &row, &r.description).await?;
        let note = match &r.decision_note {
            Some(n) => unseal_text(state, "fund_requests", "decision_note", &row, n).await?,
            None => String::new(),
        };
        out.push(RequestView {
            request: r,
            description,
            note,
        });
    }
    Ok(out)
}

/// Requests waiting for a decision in the actor's organization, decrypted.
/// Their descriptions are case details, so showing them is a read of those
/// cases: one audit entry names them, durable before anything is decrypted.
///
/// # Errors
/// Store, audit or decryption failures.
pub async fn pending_views(
    state: &AppState,
    actor: &Actor,
    rid: Option<String>,
) -> Result<Vec<RequestView>, AppError> {
    let pending = state
        .store
        .pending_fund_requests(actor.organization)
        .await?;
    if !pending.is_empty() && state.settings.audit_reads {
        let mut cases: Vec<String> = pending.iter().map(|r| r.case.to_string()).collect();
        cases.sort_unstable();
        cases.dedup();
        state
            .audit_writer
            .record(audit(actor, AuditAction::RecordsListed, rid).on("case_list", cases.join(",")))
            .await?;
    }
    request_views(state, pending).await
}

/// The funds of an organization.
///
/// # Errors
/// Store failures.
pub async fn funds_of(state: &AppState, org: OrganizationId) -> Result<Vec<Fund>, AppError> {
    Ok(state.store.funds(org).await?)
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // cents written as dollars_cents
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_people_type_them() {
        assert_eq!(parse_amount("150"), Some(15_000));
        assert_eq!(parse_amount("150.5"), Some(15_050));
        assert_eq!(parse_amount("$1,200.00"), Some(120_000));
        assert_eq!(parse_amount(".75"), Some(75));
        for bad in ["", "-5", "1.234", "abc", "1e3", "."] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(123_456_78), "$123,456.78");
        assert_eq!(money(5), "$0.05");
        assert_eq!(money(100_000), "$1,000.00");
    }
}
