//! Forensic interviews, one service for pages and API: requests from the
//! case team routed to an interviewing organization, scheduling with
//! conflict checks, the record (summary in a compartment, recordings and
//! documents encrypted in chunks as they stream, SHA-256 and a chain of
//! custody), and the appointment notice to the victim.
//!
//! One interview, not many: a request for a victim who was already
//! interviewed shows the earlier interviews and needs a written reason;
//! another agency can observe an interview instead of repeating it.

use crate::AppState;
use crate::audit::entry as audit;
use crate::case::open_case;
use crate::case::person_view;
use crate::case::sealed::seal;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal;
use crate::case::sealed::unseal_json;
use crate::case::sealed::unseal_text;
use crate::features::notices::{self, NoticeQueued};
use crate::web::error::AppError;
use crate::web::time::{local_text, parse_local};
use axum::body::Bytes;
use haven_domain::access::{Compartment, may_write_compartment};
use haven_domain::interview::{self, CustodyAction, FileKind, InterviewStatus};
use haven_domain::notice::NoticeEvent;
use haven_domain::policy::{Actor, UserScope};
use haven_domain::record::{AgeOn, age_at};
use haven_domain::{
    AuditAction, CaseId, InterviewFileId, InterviewId, MessageId, OrganizationId, Role, UserId,
};
use haven_store::{
    CustodyRow, InterviewChange, InterviewFileRow, InterviewRow, OutboxMessage, ScheduleOutcome,
    ScheduleWrite,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

mod scheduling;
pub use scheduling::*;

mod files;
pub use files::*;

/// Plain size of one stored chunk of a file.
pub const CHUNK: usize = 1024 * 1024;
const TEXT_MAX: usize = 4000;

fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        code,
        field: Some(field),
        message: message.into(),
    }
}

fn text(field: &'static str, raw: &str) -> Result<String, AppError> {
    // Invisible-only text counts as empty (see `haven_domain::text`).
    let t = haven_domain::text::trim_invisible(raw);
    if t.chars().count() > TEXT_MAX || raw.contains('\0') {
        return Err(invalid(
            "too_long",
            field,
            format!("{field} must be at most {TEXT_MAX} characters."),
        ));
    }
    Ok(t.to_owned())
}

/// The request: why, and what the interviewer must know to do it well.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RequestInput {
    pub reason: String,
    /// The planned date (YYYY-MM-DD), for the age at interview; today if empty.
    pub planned_on: String,
    pub traumatized: bool,
    pub trauma_notes: String,
    pub developmental: String,
    pub cultural: String,
    /// ISO 639 code; the person's first language if empty.
    pub language: String,
    pub interpreter_needed: bool,
    /// Who should observe (agencies, roles).
    pub observers_wanted: String,
    /// The interviewing organization; chosen from the case team if empty.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<Uuid>,
    /// Required when the person was interviewed before.
    pub repeat_reason: String,
}

/// The encrypted part of a request.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RequestDetails {
    pub reason: String,
    pub trauma_notes: String,
    pub developmental: String,
    pub cultural: String,
    pub observers_wanted: String,
    pub repeat_reason: String,
}

/// The schedule, as the interviewer sets it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScheduleInput {
    /// Local date and time, "2026-12-08T10:00".
    pub starts_at: String,
    pub minutes: u32,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub interviewer_id: Option<Uuid>,
    /// The victim specialist who accompanies the person.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub specialist_id: Option<Uuid>,
    pub interpreter: String,
    /// ISO 639 code of the interpretation.
    pub interpreter_language: String,
    /// E.g. a child advocacy center's interview room (no home addresses).
    pub place: String,
    pub observers: String,
    pub notes: String,
    /// Send the victim an appointment notice through their safe channel.
    pub notify_victim: bool,
}

/// The encrypted part of a schedule.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScheduleDetails {
    pub place: String,
    pub interpreter: String,
    pub interpreter_language: String,
    pub observers: String,
    pub notes: String,
}

/// The organizations with at least one active forensic interviewer.
async fn interviewers_of(state: &AppState, org: OrganizationId) -> Result<Vec<UserId>, AppError> {
    Ok(state
        .store
        .list_users(UserScope::Organization(org))
        .await?
        .into_iter()
        .filter(|(u, _)| !u.disabled && u.roles.contains(&Role::ForensicInterviewer))
        .map(|(u, _)| u.id)
        .collect())
}

fn message(kind: &str, key: String, user: UserId, payload: serde_json::Value) -> OutboxMessage {
    OutboxMessage {
        id: MessageId::new(),
        dedupe_key: key,
        kind: kind.to_owned(),
        user,
        case: None,
        payload: payload.to_string(),
    }
}

/// An earlier interview of the same person, as a requester sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EarlierInterview {
    #[schema(value_type = String, format = Uuid)]
    pub id: InterviewId,
    pub status: String,
    pub organization: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    /// The requester's organization already observes it.
    pub observing: bool,
}

/// The interviews already requested for the person of a case (any case).
///
/// # Errors
/// Not allowed to read the case.
pub async fn earlier(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    rid: Option<String>,
) -> Result<Vec<EarlierInterview>, AppError> {
    let open = open_case(state, actor, case, rid).await?;
    let rows = match &open.person {
        Some(p) => state.store.interviews_for_person(p.id).await?,
        None => state.store.interviews_for_case(case).await?,
    };
    let mut out = Vec::new();
    for r in rows
        .into_iter()
        .filter(|r| r.status != InterviewStatus::Cancelled)
    {
        let organization = state
            .store
            .organization(r.org)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        out.push(EarlierInterview {
            id: r.id,
            observing: r.observers.contains(&actor.organization),
            status: r.status.as_str().to_owned(),
            organization,
            requested_at: r.requested_at,
            starts_at: r.starts_at,
        });
    }
    Ok(out)
}

/// Requests an interview.
///
/// # Errors
/// Not an agent or specialist who may change the case; a repeat without a
/// reason; an organization without forensic interviewers when one is needed.
pub async fn request(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    input: &RequestInput,
    rid: Option<String>,
) -> Result<InterviewId, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    if !interview::may_request(actor, open.may_edit) {
        return Err(AppError::Forbidden(
            "Interviews are requested by the case's law-enforcement agents and victim specialists."
                .into(),
        ));
    }
    let reason = text("reason", &input.reason)?;
    if reason.is_empty() {
        return Err(invalid(
            "required",
            "reason",
            "Say why the interview is needed.",
        ));
    }
    let now = haven_domain::now();
    let planned = if input.planned_on.trim().is_empty() {
        now.to_offset(state.settings.local_offset()).date()
    } else {
        Date::parse(
            input.planned_on.trim(),
            &time::format_description::well_known::Iso8601::DATE,
        )
        .map_err(|_| {
            invalid(
                "bad_date",
                "planned_on",
                "planned_on must be a date (YYYY-MM-DD).",
            )
        })?
    };
    let person = match &open.person {
        Some(p) => Some(person_view(state, p).await?),
        None => None,
    };
    let age = person.as_ref().and_then(|p| {
        match age_at(p.birth_date, p.profile.estimated_age, planned) {
            AgeOn::Known(a) | AgeOn::Estimated(a) => Some(a),
            AgeOn::Unknown => None,
        }
    });
    let requires = interview::requires_specialist(age, input.traumatized);
    let prior: Vec<InterviewRow> = match &open.person {
        Some(p) => state.store.interviews_for_person(p.id).await?,
        None => state.store.interviews_for_case(case).await?,
    }
    .into_iter()
    .filter(|r| r.status != InterviewStatus::Cancelled)
    .collect();
    let repeat_reason = text("repeat_reason", &input.repeat_reason)?;
    if !prior.is_empty() && repeat_reason.is_empty() {
        return Err(invalid(
            "repeat_needs_reason",
            "repeat_reason",
            format!(
                "This person has {} earlier interview(s). Each retelling can harm them (R-1): observe the earlier interview instead, or say why a new one is needed.",
                prior.len()
            ),
        ));
    }
    // Routing: the organization chosen, else the team's interviewer's, the
    // requester's own, or the team's agent's: the first with interviewers.
    let mut candidates: Vec<OrganizationId> = Vec::new();
    if let Some(o) = input.organization_id {
        candidates.push(OrganizationId::from_uuid(o));
    } else {
        let team_ids: Vec<UserId> = open.facts.team.iter().map(|(u, _)| *u).collect();
        let team = state.store.users_by_ids(&team_ids).await?;
        candidates.extend(
            team.iter()
                .filter(|u| u.roles.contains(&Role::ForensicInterviewer))
                .map(|u| u.organization_id),
        );
        candidates.push(actor.organization);
        candidates.extend(
            team.iter()
                .filter(|u| u.roles.contains(&Role::LawEnforcementAgent))
                .map(|u| u.organization_id),
        );
    }
    let mut routed = None;
    for org in candidates {
        let people = interviewers_of(state, org).await?;
        if !people.is_empty() {
            routed = Some((org, people));
            break;
        }
    }
    let Some((org, interviewers)) = routed else {
        return Err(invalid(
            "no_interviewers",
            "organization_id",
            "No organization on this case has a forensic interview specialist. Choose the organization that will interview (VAP-1).",
        ));
    };
    let language = {
        let l = input.language.trim().to_ascii_lowercase();
        if l.is_empty() {
            person
                .as_ref()
                .and_then(|p| p.profile.languages.first().cloned())
                .unwrap_or_default()
        } else if l.len() <= 3 && l.chars().all(|c| c.is_ascii_lowercase()) {
            l
        } else {
            return Err(invalid(
                "bad_code",
                "language",
                "language must be an ISO 639 code such as es.",
            ));
        }
    };
    let id = InterviewId::new();
    let details = RequestDetails {
        reason,
        trauma_notes: text("trauma_notes", &input.trauma_notes)?,
        developmental: text("developmental", &input.developmental)?,
        cultural: text("cultural", &input.cultural)?,
        observers_wanted: text("observers_wanted", &input.observers_wanted)?,
        repeat_reason,
    };
    let row = InterviewRow {
        id,
        case,
        person: open.person.as_ref().map(|p| p.id),
        org,
        requested_by: actor.user,
        requested_at: now,
        status: InterviewStatus::Requested,
        age_at_interview: age.map(i64::from),
        traumatized: input.traumatized,
        requires_specialist: requires,
        language,
        interpreter_needed: input.interpreter_needed
            || person
                .as_ref()
                .is_some_and(|p| p.profile.interpreter_needed),
        request: seal_json(state, "interviews", "request", &id.to_string(), &details)?,
        prior_count: i64::try_from(prior.len()).unwrap_or(i64::MAX),
        observers: Vec::new(),
        interviewer: None,
        specialist: None,
        starts_at: None,
        ends_at: None,
        schedule: None,
        summary: None,
        summary_compartment: None,
        completed_at: None,
        updated_at: now,
    };
    let messages: Vec<OutboxMessage> = interviewers
        .into_iter()
        .map(|u| {
            message(
                "interview_requested",
                format!("interview-requested:{id}:{u}"),
                u,
                serde_json::json!({"interview": id, "specialist": requires}),
            )
        })
        .collect();
    state
        .store
        .create_interview(
            &row,
            &messages,
            &audit(actor, AuditAction::InterviewRequested, "case", case, rid),
        )
        .await?;
    Ok(id)
}

/// An interview as its readers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InterviewView {
    #[schema(value_type = String, format = Uuid)]
    pub id: InterviewId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    #[schema(value_type = String, format = Uuid)]
    pub organization_id: OrganizationId,
    pub organization: String,
    pub status: String,
    /// The person's name: for the interviewing team and the case team.
    pub person_name: String,
    pub age_at_interview: Option<i64>,
    pub traumatized: bool,
    pub requires_specialist: bool,
    pub language: String,
    pub interpreter_needed: bool,
    pub prior_count: i64,
    pub request: RequestDetails,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub interviewer: Option<String>,
    pub specialist: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    /// Local time, "2026-12-08 10:00".
    pub when: Option<String>,
    pub schedule: Option<ScheduleDetails>,
    pub observers: Vec<String>,
    /// Empty when the reader may not see the summary's compartment.
    pub summary: Option<String>,
    pub summary_compartment: Option<String>,
    pub files: Vec<FileView>,
    /// The reader may schedule, record and store files.
    pub may_handle: bool,
    /// The reader may cancel.
    pub may_cancel: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    #[schema(value_type = String, format = Uuid)]
    pub id: InterviewFileId,
    pub kind: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub custody: Vec<CustodyView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CustodyView {
    pub action: String,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub sha256: String,
    /// A transfer's recipient and purpose.
    pub detail: Option<String>,
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// Who reads an interview, and with which rights.
struct Access {
    row: InterviewRow,
    handle: bool,
    edit_case: bool,
    advocate: bool,
}

async fn access(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    rid: Option<String>,
) -> Result<Access, AppError> {
    let row = state.store.interview(id).await?.ok_or(AppError::NotFound)?;
    if interview::may_see_queue(actor, row.org) {
        return Ok(Access {
            handle: interview::may_handle(actor, row.org),
            edit_case: false,
            advocate: false,
            row,
        });
    }
    // Otherwise through the case (audited, refusals answer "not found").
    let open = open_case(state, actor, row.case, rid).await?;
    Ok(Access {
        handle: false,
        edit_case: open.may_edit,
        advocate: open.advocate,
        row,
    })
}

async fn names(state: &AppState, ids: &[UserId]) -> Result<Vec<(UserId, String)>, AppError> {
    Ok(state.store.display_names(ids).await?.into_iter().collect())
}

/// One interview with its files and their custody.
///
/// # Errors
/// Neither the interviewing organization's nor allowed to read the case.
pub async fn view(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    rid: Option<String>,
) -> Result<InterviewView, AppError> {
    let a = access(state, actor, id, rid.clone()).await?;
    let r = &a.row;
    let rs = r.id.to_string();
    let request: RequestDetails =
        unseal_json(state, "interviews", "request", &rs, &r.request).await?;
    let schedule: Option<ScheduleDetails> = match &r.schedule {
        Some(s) => Some(unseal_json(state, "interviews", "schedule", &rs, s).await?),
        None => None,
    };
    let sees_summary = match r.summary_compartment.as_deref() {
        Some("advocate") => a.advocate,
        _ => true,
    };
    let summary = match (&r.summary, sees_summary) {
        (Some(s), true) => Some(unseal_text(state, "interviews", "summary", &rs, s).await?),
        _ => None,
    };
    let files = state.store.interview_files(id).await?;
    let mut people: Vec<UserId> = vec![r.requested_by];
    people.extend(r.interviewer);
    people.extend(r.specialist);
    people.extend(files.iter().map(|f| f.by));
    let mut custody = Vec::new();
    for f in &files {
        let log = state.store.custody_log(f.id).await?;
        people.extend(log.iter().map(|c| c.by));
        custody.push(log);
    }
    people.sort();
    people.dedup();
    let names = names(state, &people).await?;
    let name = |u: UserId| {
        names
            .iter()
            .find(|(i, _)| *i == u)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let mut file_views = Vec::new();
    for (f, log) in files.iter().zip(custody) {
        let mut cv = Vec::new();
        for c in log {
            let detail = match &c.detail {
                Some(d) => Some(
                    unseal_text(state, "custody_events", "detail", &c.id.to_string(), d).await?,
                ),
                None => None,
            };
            cv.push(CustodyView {
                action: c.action,
                by: name(c.by),
                at: c.at,
                sha256: hex(&c.sha256),
                detail,
            });
        }
        file_views.push(FileView {
            id: f.id,
            kind: f.kind.clone(),
            name: unseal_text(state, "interview_files", "name", &f.id.to_string(), &f.name).await?,
            content_type: f.content_type.clone(),
            size: f.size,
            sha256: f.sha256.as_deref().map(hex).unwrap_or_default(),
            by: name(f.by),
            at: f.at,
            custody: cv,
        });
    }
    let person_name = match state.store.case_bundle(r.case).await? {
        Some(b) => match &b.person {
            Some(p) => person_view(state, p).await?.name,
            None => String::new(),
        },
        None => String::new(),
    };
    if interview::may_see_queue(actor, r.org) {
        // The interviewing organization reads the person's name outside the
        // case: audited like a case read.
        state
            .audit_writer
            .record(audit(
                actor,
                AuditAction::RecordViewed,
                "interview",
                id,
                rid,
            ))
            .await?;
    }
    let mut observers = Vec::new();
    for o in &r.observers {
        if let Some(org) = state.store.organization(*o).await? {
            observers.push(org.name);
        }
    }
    let organization = state
        .store
        .organization(r.org)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let open = matches!(
        r.status,
        InterviewStatus::Requested | InterviewStatus::Scheduled
    );
    Ok(InterviewView {
        id: r.id,
        case_id: r.case,
        organization_id: r.org,
        organization,
        status: r.status.as_str().to_owned(),
        person_name,
        age_at_interview: r.age_at_interview,
        traumatized: r.traumatized,
        requires_specialist: r.requires_specialist,
        language: r.language.clone(),
        interpreter_needed: r.interpreter_needed,
        prior_count: r.prior_count,
        request,
        requested_by: name(r.requested_by),
        requested_at: r.requested_at,
        interviewer: r.interviewer.map(name),
        specialist: r.specialist.map(name),
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        when: r.starts_at.map(|t| local_text(state, t)),
        schedule,
        observers,
        summary,
        summary_compartment: r.summary_compartment.clone().filter(|_| sees_summary),
        files: file_views,
        may_handle: a.handle,
        may_cancel: open && (a.handle || a.edit_case),
    })
}

/// A line of an interview list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InterviewLine {
    #[schema(value_type = String, format = Uuid)]
    pub id: InterviewId,
    #[schema(value_type = String, format = Uuid)]
    pub case_id: CaseId,
    pub status: String,
    pub age_at_interview: Option<i64>,
    pub requires_specialist: bool,
    pub language: String,
    pub interpreter_needed: bool,
    pub prior_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub when: Option<String>,
    pub organization: String,
}

/// The lines of interviews already read.
///
/// # Errors
/// Store and decryption failures.
pub async fn lines(
    state: &AppState,
    rows: Vec<InterviewRow>,
) -> Result<Vec<InterviewLine>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    // A queue is one organization's; a case has few: read each name once.
    let mut orgs: Vec<(OrganizationId, String)> = Vec::new();
    for r in rows {
        let organization = match orgs.iter().find(|(o, _)| *o == r.org) {
            Some((_, n)) => n.clone(),
            None => {
                let n = state
                    .store
                    .organization(r.org)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default();
                orgs.push((r.org, n.clone()));
                n
            }
        };
        out.push(InterviewLine {
            id: r.id,
            case_id: r.case,
            status: r.status.as_str().to_owned(),
            age_at_interview: r.age_at_interview,
            requires_specialist: r.requires_specialist,
            language: r.language,
            interpreter_needed: r.interpreter_needed,
            prior_count: r.prior_count,
            requested_at: r.requested_at,
            when: r.starts_at.map(|t| local_text(state, t)),
            organization,
        });
    }
    Ok(out)
}

/// The interviewing organization's open requests and schedule.
///
/// # Errors
/// Not an interviewer or supervisor.
pub async fn queue(state: &AppState, actor: &Actor) -> Result<Vec<InterviewLine>, AppError> {
    if !interview::may_see_queue(actor, actor.organization) {
        return Err(AppError::NotFound);
    }
    let rows = state.store.interview_queue(actor.organization, 200).await?;
    lines(state, rows).await
}

/// The interviews of a case (the case is already opened by the caller).
///
/// # Errors
/// Store failures.
pub async fn for_case(state: &AppState, case: CaseId) -> Result<Vec<InterviewLine>, AppError> {
    let rows = state.store.interviews_for_case(case).await?;
    lines(state, rows).await
}
