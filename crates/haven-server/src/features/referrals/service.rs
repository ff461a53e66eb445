//! Closed-loop referrals: a need on a case's service plan sent to a
//! directory service; the provider accepts or declines and reports the
//! outcome; the specialist sees it on the case; reminders go out when a
//! referral waits too long; loop-closure figures per provider.
//!
//! The provider never opens the case. What it receives is the minimum
//! necessary: the need, urgency, an age range and languages, and the
//! person's name and safe contact details only while a release of
//! information to the provider's organization covers them (checked at every
//! read, so a revocation takes effect at once).

use crate::AppState;
use crate::audit::entry as audit;
use crate::case::OpenCase;
use crate::case::open_case;
use crate::case::person_view;
use crate::case::sealed::seal;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal_json;
use crate::case::sealed::unseal_text;
use crate::features::directory::{self, ServiceView};
use crate::web::error::AppError;
use haven_domain::consent::FieldGroup;
use haven_domain::directory::referral::{self, AgeRange, DeclineReason, ReferralStatus};
use haven_domain::policy::{Actor, UserScope};
use haven_domain::record::{EntryKind, NeedCategory, SafeContact, Urgency};
use haven_domain::{
    AuditAction, CaseId, EntryId, MessageId, OrganizationId, ReferralId, Role, ServiceId,
};
use haven_store::{OutboxMessage, ReferralChange, ReferralEventRow, ReferralRow, ReferralStats};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const NOTE_MAX: usize = 2000;

/// What the sender writes.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SendInput {
    /// The service-plan item the referral serves.
    pub plan_item_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    /// A note to the provider: no more than it needs.
    pub note: String,
    /// Send the person's name and safe contact details (needs a release of
    /// information to the provider's organization).
    pub include_personal: bool,
}

/// Personal details sent with a referral (encrypted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PersonalDetails {
    pub name: String,
    /// Only when the release also covers contact details.
    pub phone: String,
    pub email: String,
    #[schema(value_type = Object)]
    pub safe_contact: Option<SafeContact>,
    pub interpreter_needed: bool,
}

fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        code,
        field: Some(field),
        message: message.into(),
    }
}

/// The people of `org` who answer its referrals.
async fn answerers(
    state: &AppState,
    org: OrganizationId,
) -> Result<Vec<haven_domain::UserId>, AppError> {
    Ok(state
        .store
        .list_users(UserScope::Organization(org))
        .await?
        .into_iter()
        .filter(|(u, _)| {
            !u.disabled
                && u.roles
                    .iter()
                    .any(|r| matches!(r, Role::ProviderStaff | Role::Supervisor))
        })
        .map(|(u, _)| u.id)
        .collect())
}

fn message(
    kind: &str,
    key: String,
    user: haven_domain::UserId,
    case: Option<CaseId>,
    payload: serde_json::Value,
) -> OutboxMessage {
    OutboxMessage {
        id: MessageId::new(),
        dedupe_key: key,
        kind: kind.to_owned(),
        user,
        case,
        payload: payload.to_string(),
    }
}

/// The release that lets personal details go to `org`, if any.
fn release_for(
    open: &OpenCase,
    org: OrganizationId,
    now: OffsetDateTime,
) -> Option<&haven_domain::consent::Consent> {
    open.consents
        .iter()
        .find(|c| c.covers(org, &[Role::ProviderStaff], FieldGroup::Identity, now))
}

/// Sends a referral from a plan item to a service.
///
/// # Errors
/// Not on the case's team; not a plan item; a provider that does not take
/// referrals in Haven; personal details asked for without a release.
pub async fn send(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    input: &SendInput,
    rid: Option<String>,
) -> Result<ReferralId, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    if !referral::may_send(actor, &open.facts) {
        return Err(AppError::Forbidden(
            "Only the case team can send referrals from this case.".into(),
        ));
    }
    let plan_id = input.plan_item_id.ok_or_else(|| {
        invalid(
            "required",
            "plan_item_id",
            "Choose the plan item this referral serves.",
        )
    })?;
    let service_id = input
        .service_id
        .ok_or_else(|| invalid("required", "service_id", "Choose a service."))?;
    let item = state
        .store
        .entry(case, EntryId::from_uuid(plan_id))
        .await?
        .filter(|e| e.kind == EntryKind::PlanItem && open.sees(e.compartment))
        .ok_or_else(|| {
            invalid(
                "not_a_plan_item",
                "plan_item_id",
                "That is not a service-plan item of this case.",
            )
        })?;
    let need = item
        .category
        .as_deref()
        .and_then(NeedCategory::parse)
        .ok_or_else(|| {
            invalid(
                "not_a_plan_item",
                "plan_item_id",
                "The plan item has no need category.",
            )
        })?;
    let service: ServiceView =
        match directory::service_view(state, Some(actor), ServiceId::from_uuid(service_id)).await {
            Ok(v) => v,
            Err(AppError::NotFound) => {
                return Err(invalid(
                    "unknown_service",
                    "service_id",
                    "No such service in the directory.",
                ));
            }
            Err(e) => return Err(e),
        };
    let Some(to_org) = service.receiving_org() else {
        return Err(invalid(
            "not_referable",
            "service_id",
            "This provider does not receive referrals through Haven. Contact them directly with the numbers on the service page.",
        ));
    };
    if service.row.status != "active" {
        return Err(invalid(
            "not_active",
            "service_id",
            "This service is not active.",
        ));
    }
    let note = input.note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(invalid(
            "too_long",
            "note",
            format!("At most {NOTE_MAX} characters."),
        ));
    }
    let now = haven_domain::now();
    let urgency = match item.parent {
        Some(need_id) => match state.store.entry(case, need_id).await? {
            Some(n) => {
                let d: crate::features::record::EntryDetails =
                    unseal_json(state, "case_entries", "body", &n.id.to_string(), &n.body).await?;
                d.urgency
            }
            None => None,
        },
        None => None,
    }
    .unwrap_or(Urgency::Medium);
    let person = match &open.person {
        Some(p) => Some(person_view(state, p).await?),
        None => None,
    };
    let age = person.as_ref().map(|p| match p.age(now.date()) {
        haven_domain::record::AgeOn::Known(a) | haven_domain::record::AgeOn::Estimated(a) => {
            Some(a)
        }
        haven_domain::record::AgeOn::Unknown => None,
    });
    let languages = person
        .as_ref()
        .map(|p| p.profile.languages.join(" "))
        .unwrap_or_default();
    let id = ReferralId::new();
    let row_id = id.to_string();
    let (consent, personal) = if input.include_personal {
        let Some(release) = release_for(&open, to_org, now) else {
            return Err(invalid(
                "no_release",
                "include_personal",
                "No release of information to this provider covers the person's identity (R-4, R-6). Send the referral without personal details, or record a release first.",
            ));
        };
        let contact = release.fields.contains(&FieldGroup::Contact);
        let details = person.as_ref().map(|p| PersonalDetails {
            name: p.name.clone(),
            phone: if contact {
                p.profile.phone.clone()
            } else {
                String::new()
            },
            email: if contact {
                p.profile.email.clone()
            } else {
                String::new()
            },
            safe_contact: contact.then(|| p.profile.safe_contact.clone()),
            interpreter_needed: p.profile.interpreter_needed,
        });
        (
            Some(release.id),
            match details {
                Some(d) => Some(seal_json(state, "referrals", "personal", &row_id, &d)?),
                None => None,
            },
        )
    } else {
        (None, None)
    };
    let consent = consent.filter(|_| personal.is_some());
    let row = ReferralRow {
        id,
        case,
        plan_item: item.id,
        need: need.as_str().to_owned(),
        service: service.row.id,
        from_org: open.facts.organization,
        to_org,
        sent_by: actor.user,
        sent_at: now,
        urgency: urgency.as_str().to_owned(),
        age_range: AgeRange::of(age.flatten()).as_str().to_owned(),
        languages,
        note: if note.is_empty() {
            None
        } else {
            Some(seal(state, "referrals", "note", &row_id, note.as_bytes())?)
        },
        consent,
        personal,
        status: ReferralStatus::Sent.as_str().to_owned(),
        decline_reason: None,
        answered_at: None,
        answered_by: None,
        updated_at: now,
    };
    let event = ReferralEventRow {
        id: Uuid::now_v7(),
        referral: id,
        at: now,
        by: actor.user,
        status: row.status.clone(),
        note: None,
    };
    let messages: Vec<OutboxMessage> = answerers(state, to_org)
        .await?
        .into_iter()
        .map(|u| {
            message(
                "referral_received",
                format!("referral-received:{id}:{u}"),
                u,
                None,
                serde_json::json!({"referral": id, "need": need.as_str(), "urgency": urgency.as_str()}),
            )
        })
        .collect();
    state
        .store
        .create_referral(
            &row,
            &event,
            &messages,
            &audit(actor, AuditAction::ReferralSent, "case", case, rid),
        )
        .await?;
    Ok(id)
}

/// A referral as the case team sees it on the case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseReferral {
    #[schema(value_type = String, format = Uuid)]
    pub id: ReferralId,
    #[schema(value_type = String, format = Uuid)]
    pub plan_item_id: EntryId,
    pub need: String,
    #[schema(value_type = String, format = Uuid)]
    pub service_id: ServiceId,
    pub service_name: String,
    pub provider: String,
    pub status: String,
    pub decline_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// Personal details went with it (a release covered them).
    pub with_personal_details: bool,
    pub history: Vec<EventView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub note: Option<String>,
}

async fn history(state: &AppState, id: ReferralId) -> Result<Vec<EventView>, AppError> {
    let mut out = Vec::new();
    for e in state.store.referral_events(id).await? {
        let note = match &e.note {
            Some(n) => {
                Some(unseal_text(state, "referral_events", "note", &e.id.to_string(), n).await?)
            }
            None => None,
        };
        out.push(EventView {
            status: e.status,
            at: e.at,
            note,
        });
    }
    Ok(out)
}

async fn service_names(
    state: &AppState,
    ids: &[ServiceId],
) -> Result<Vec<(ServiceId, String, String)>, AppError> {
    let mut out = Vec::new();
    for row in state.store.directory_services(ids).await? {
        let provider = match row.organization {
            Some(o) => state
                .store
                .directory_organization(o)
                .await?
                .map(|o| o.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push((row.id, row.name, provider));
    }
    Ok(out)
}

/// The referrals of an opened case (the caller has already authorized and
/// audited the read).
///
/// # Errors
/// Storage; a note that does not decrypt.
pub async fn for_case(state: &AppState, open: &OpenCase) -> Result<Vec<CaseReferral>, AppError> {
    let rows = state.store.referrals_for_case(open.facts.id).await?;
    views(state, rows).await
}

/// [`for_case`] from rows already read (the case page reads them with its
/// other lists).
///
/// # Errors
/// Store failures.
pub async fn views(
    state: &AppState,
    rows: Vec<haven_store::ReferralRow>,
) -> Result<Vec<CaseReferral>, AppError> {
    let mut ids: Vec<ServiceId> = rows.iter().map(|r| r.service).collect();
    ids.sort();
    ids.dedup();
    let names = service_names(state, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (service_name, provider) = names
            .iter()
            .find(|n| n.0 == r.service)
            .map(|n| (n.1.clone(), n.2.clone()))
            .unwrap_or_default();
        out.push(CaseReferral {
            id: r.id,
            plan_item_id: r.plan_item,
            need: r.need,
            service_id: r.service,
            service_name,
            provider,
            status: r.status,
            decline_reason: r.decline_reason,
            sent_at: r.sent_at,
            answered_at: r.answered_at,
            with_personal_details: r.personal.is_some(),
            history: history(state, r.id).await?,
        });
    }
    Ok(out)
}

/// The sender withdraws a referral that is not finished.
///
/// # Errors
/// Not on the case team; already finished.
pub async fn withdraw(
    state: &AppState,
    actor: &Actor,
    id: ReferralId,
    rid: Option<String>,
) -> Result<CaseId, AppError> {
    let r = state.store.referral(id).await?.ok_or(AppError::NotFound)?;
    let open = open_case(state, actor, r.case, rid.clone()).await?;
    if !referral::may_send(actor, &open.facts) {
        return Err(AppError::NotFound);
    }
    let status = ReferralStatus::parse(&r.status)
        .ok_or_else(|| AppError::Internal("referral status".into()))?;
    if status.is_final() {
        return Err(AppError::Conflict { field: "status" });
    }
    let now = haven_domain::now();
    let event = ReferralEventRow {
        id: Uuid::now_v7(),
        referral: id,
        at: now,
        by: actor.user,
        status: ReferralStatus::Withdrawn.as_str().into(),
        note: None,
    };
    let messages: Vec<OutboxMessage> = answerers(state, r.to_org)
        .await?
        .into_iter()
        .map(|u| {
            message(
                "referral_withdrawn",
                format!("referral-withdrawn:{id}:{u}"),
                u,
                None,
                serde_json::json!({"referral": id, "need": r.need}),
            )
        })
        .collect();
    let change = ReferralChange {
        id,
        from_status: &r.status,
        to_status: ReferralStatus::Withdrawn.as_str(),
        decline_reason: None,
        answered: None,
        at: now,
    };
    if state
        .store
        .change_referral(
            &change,
            &event,
            &messages,
            &audit(actor, AuditAction::ReferralUpdated, "case", r.case, rid),
        )
        .await?
    {
        Ok(r.case)
    } else {
        Err(AppError::Conflict { field: "status" })
    }
}

/// A referral as the receiving provider sees it: never the case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Incoming {
    #[schema(value_type = String, format = Uuid)]
    pub id: ReferralId,
    #[schema(value_type = String, format = Uuid)]
    pub service_id: ServiceId,
    pub service_name: String,
    pub need: String,
    pub urgency: String,
    pub age_range: String,
    pub languages: Vec<String>,
    /// The sending organization.
    pub from: String,
    pub note: Option<String>,
    /// Present only while a release of information covers it.
    pub personal: Option<PersonalDetails>,
    pub status: String,
    pub decline_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// Where it can go next.
    pub next: Vec<String>,
    pub history: Vec<EventView>,
}

async fn incoming_view(
    state: &AppState,
    r: ReferralRow,
    full: bool,
    now: OffsetDateTime,
) -> Result<Incoming, AppError> {
    let row_id = r.id.to_string();
    let service_name = state
        .store
        .directory_service(r.service)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let from = state
        .store
        .organization(r.from_org)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    // Personal details only while the release stays in force.
    let personal = match (&r.personal, r.consent, full) {
        (Some(p), Some(consent), true) => {
            // Only the releases are read, not the case.
            let active = state
                .store
                .consents_for_case(r.case)
                .await?
                .iter()
                .any(|c| {
                    c.id == consent
                        && c.covers(r.to_org, &[Role::ProviderStaff], FieldGroup::Identity, now)
                });
            if active {
                Some(unseal_json(state, "referrals", "personal", &row_id, p).await?)
            } else {
                None
            }
        }
        _ => None,
    };
    let note = match (&r.note, full) {
        (Some(n), true) => Some(unseal_text(state, "referrals", "note", &row_id, n).await?),
        _ => None,
    };
    let status = ReferralStatus::parse(&r.status).unwrap_or(ReferralStatus::Sent);
    Ok(Incoming {
        id: r.id,
        service_id: r.service,
        service_name,
        need: r.need,
        urgency: r.urgency,
        age_range: r.age_range,
        languages: r.languages.split_whitespace().map(str::to_owned).collect(),
        from,
        note,
        personal,
        status: r.status,
        decline_reason: r.decline_reason,
        sent_at: r.sent_at,
        next: status
            .provider_next()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        history: if full {
            history(state, r.id).await?
        } else {
            Vec::new()
        },
    })
}

/// The organization's incoming referrals (no notes or personal details in
/// the list: those are read one at a time, audited).
///
/// # Errors
/// Not provider staff or a supervisor.
pub async fn incoming(
    state: &AppState,
    actor: &Actor,
    open_only: bool,
) -> Result<Vec<Incoming>, AppError> {
    if !referral::may_handle_incoming(actor, actor.organization, false) {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    }
    let now = haven_domain::now();
    let mut out = Vec::new();
    for r in state
        .store
        .referrals_to(actor.organization, open_only, 200)
        .await?
    {
        out.push(incoming_view(state, r, false, now).await?);
    }
    Ok(out)
}

/// One incoming referral, with its note and (while a release covers them)
/// the person's details: an audited read.
///
/// # Errors
/// Not found or not the receiving organization's (the same answer).
pub async fn incoming_one(
    state: &AppState,
    actor: &Actor,
    id: ReferralId,
    rid: Option<String>,
) -> Result<Incoming, AppError> {
    let r = state.store.referral(id).await?.ok_or(AppError::NotFound)?;
    if !referral::may_handle_incoming(actor, r.to_org, false) {
        return Err(AppError::NotFound);
    }
    state
        .audit_writer
        .record(audit(actor, AuditAction::ReferralRead, "referral", id, rid))
        .await?;
    incoming_view(state, r, true, haven_domain::now()).await
}

/// The provider's answer or outcome.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Response {
    /// accepted, declined, contacted, services_started, completed or unable_to_contact.
    pub status: String,
    /// When declining: no_capacity, not_eligible, service_not_offered,
    /// language_unavailable, cannot_serve_safely or other.
    pub decline_reason: String,
    pub note: String,
}

/// Moves an incoming referral (accept, decline with a reason, outcome).
///
/// # Errors
/// Not the receiving organization's; a move the loop does not allow; a
/// decline without a reason.
pub async fn respond(
    state: &AppState,
    actor: &Actor,
    id: ReferralId,
    input: &Response,
    rid: Option<String>,
) -> Result<(), AppError> {
    let r = state.store.referral(id).await?.ok_or(AppError::NotFound)?;
    if !referral::may_handle_incoming(actor, r.to_org, true) {
        return Err(AppError::NotFound);
    }
    let from = ReferralStatus::parse(&r.status)
        .ok_or_else(|| AppError::Internal("referral status".into()))?;
    let to = ReferralStatus::parse(input.status.trim()).ok_or_else(|| {
        invalid(
            "not_in_list",
            "status",
            format!(
                "One of: {}.",
                from.provider_next()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if !from.provider_next().contains(&to) {
        return Err(invalid(
            "not_allowed_now",
            "status",
            format!(
                "A referral that is {} cannot become {}.",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    let reason = if to == ReferralStatus::Declined {
        Some(
            DeclineReason::parse(input.decline_reason.trim()).ok_or_else(|| {
                invalid(
                    "required",
                    "decline_reason",
                    format!("Say why: {}.", DeclineReason::codes().join(", ")),
                )
            })?,
        )
    } else {
        None
    };
    let note = input.note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(invalid(
            "too_long",
            "note",
            format!("At most {NOTE_MAX} characters."),
        ));
    }
    let now = haven_domain::now();
    let event_id = Uuid::now_v7();
    let event = ReferralEventRow {
        id: event_id,
        referral: id,
        at: now,
        by: actor.user,
        status: to.as_str().to_owned(),
        note: if note.is_empty() {
            None
        } else {
            Some(seal(
                state,
                "referral_events",
                "note",
                &event_id.to_string(),
                note.as_bytes(),
            )?)
        },
    };
    let messages = vec![message(
        "referral_updated",
        format!("referral-updated:{id}:{}", to.as_str()),
        r.sent_by,
        Some(r.case),
        serde_json::json!({"referral": id, "need": r.need, "status": to.as_str()}),
    )];
    let change = ReferralChange {
        id,
        from_status: from.as_str(),
        to_status: to.as_str(),
        decline_reason: reason.map(DeclineReason::as_str),
        answered: from.is_open().then_some((actor.user, now)),
        at: now,
    };
    if state
        .store
        .change_referral(
            &change,
            &event,
            &messages,
            &audit(actor, AuditAction::ReferralUpdated, "referral", id, rid),
        )
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Conflict { field: "status" })
    }
}

/// Who may see loop-closure figures: supervisors and administrators (any
/// provider), and a provider's own staff (their organization).
///
/// # Errors
/// Not allowed.
pub async fn stats(
    state: &AppState,
    actor: &Actor,
    provider: Option<OrganizationId>,
) -> Result<Vec<ReferralStats>, AppError> {
    let overseer = actor
        .roles
        .iter()
        .any(|r| matches!(r, Role::Supervisor | Role::Administrator | Role::Analyst));
    let scope = if overseer {
        provider
    } else if referral::may_handle_incoming(actor, actor.organization, false) {
        Some(actor.organization)
    } else {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    };
    Ok(state.store.referral_stats(scope).await?)
}

/// Queues reminders for referrals unanswered after `referral_reminder_hours`
/// (each once). Safe to run on every instance: the dedupe keys and the
/// `reminded_at` mark keep it to one reminder per person.
///
/// # Errors
/// Storage.
pub async fn queue_reminders(state: &AppState, now: OffsetDateTime) -> Result<u64, AppError> {
    let before = now - Duration::hours(i64::from(state.settings.referral_reminder_hours));
    Ok(state.store.enqueue_referral_reminders(before, now).await?)
}
