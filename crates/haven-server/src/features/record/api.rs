//! The case record in the JSON API: the same operations as the pages, the
//! same policy, the same audit. Reads need the
//! `cases:read` scope; changes also `cases:write` (for API tokens).

use crate::AppState;
use crate::case::OpenCase;
use crate::features::record::{self, EntryInput, EntryPatch, entries_view};
use crate::web::api::{ApiCaller, ApiQuery, JsonObject, answer, done, may_write, no_write};
use crate::web::api::{Created, open};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::session::ReqId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::AttachmentId;
use haven_domain::CaseId;
use haven_domain::EntryId;
use haven_domain::record::AgeOn;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

// ---------------------------------------------------------------- one case

#[derive(Serialize, ToSchema)]
pub struct EntryBody {
    pub id: uuid::Uuid,
    /// contact, service, court, interview, note, status_change, need,
    /// plan_item, task, rights or screening.
    pub kind: String,
    pub compartment: String,
    pub category: Option<String>,
    pub status: Option<String>,
    pub due_on: Option<String>,
    pub assignee: Option<uuid::Uuid>,
    pub parent_id: Option<uuid::Uuid>,
    pub by: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The entry's text and kind-specific details (rights items, screening
    /// answers, stage change).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentBody {
    pub id: uuid::Uuid,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub compartment: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A case as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct CaseBody {
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub person_id: uuid::Uuid,
    pub person_name: String,
    /// YYYY-MM-DD, when recorded.
    pub person_birth_date: Option<String>,
    /// Age today in years (D-6), from the date of birth or the estimate.
    pub age: Option<u8>,
    pub age_estimated: bool,
    /// Under 18 today (D-6); null when the age is unknown.
    pub minor: Option<bool>,
    /// Aliases, gender, citizenship, languages, contact and safe-contact
    /// preferences, safety and location.
    #[schema(value_type = Object)]
    pub person_profile: serde_json::Value,
    /// Exploitation type, means of control, recruiter relation, country,
    /// industry, identification source.
    #[schema(value_type = Object)]
    pub trafficking_profile: serde_json::Value,
    pub stage: String,
    pub closed_reason: Option<String>,
    /// Recorded, never a condition for any service.
    pub cooperation: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub hhs_notice_due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub hhs_notice_met_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// (user id, team role) pairs.
    pub team: Vec<(uuid::Uuid, String)>,
    /// Needs, plan items, tasks, rights notices, screenings and the newest
    /// 100 timeline events you may see.
    pub entries: Vec<EntryBody>,
    pub timeline_total: u64,
    pub attachments: Vec<AttachmentBody>,
    /// You may change this case.
    pub may_edit: bool,
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Reads one case for the API: authorized, audited, then decrypted.
///
/// # Errors
/// Not found (missing or refused); store and decryption failures.
pub async fn read_case(state: &AppState, case: &OpenCase) -> Result<CaseBody, AppError> {
    let person = case.person.as_ref().ok_or(AppError::NotFound)?;
    let person = crate::case::person_view(state, person)
        .await?
        .for_reader(case);
    let trafficking = crate::case::trafficking_view(state, case).await?;
    let (entries, timeline_total) = entries_view(state, case, 100).await?;
    let mut attachments = Vec::new();
    for a in state.store.attachments(case.facts.id).await? {
        if !case.sees(a.compartment) {
            continue;
        }
        attachments.push(AttachmentBody {
            id: *a.id.as_uuid(),
            name: crate::case::sealed::unseal_text(
                state,
                "case_attachments",
                "name",
                &a.id.to_string(),
                &a.name,
            )
            .await?,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256.iter().map(|b| format!("{b:02x}")).collect(),
            compartment: compartment(a.compartment).into(),
            at: a.at,
        });
    }
    let age = person.age(haven_domain::now().date());
    let h = &case.header;
    Ok(CaseBody {
        id: *case.facts.id.as_uuid(),
        organization_id: *case.facts.organization.as_uuid(),
        person_id: *person.id.as_uuid(),
        person_name: person.name.clone(),
        person_birth_date: person.birth_date.map(|d| d.to_string()),
        age: match age {
            AgeOn::Known(a) | AgeOn::Estimated(a) => Some(a),
            AgeOn::Unknown => None,
        },
        age_estimated: matches!(age, AgeOn::Estimated(_)),
        minor: age.is_minor(),
        person_profile: to_json(&person.profile)?,
        trafficking_profile: to_json(&trafficking)?,
        stage: h.stage.as_str().into(),
        closed_reason: h.closed_reason.map(|r| r.as_str().into()),
        cooperation: h.cooperation.as_str().into(),
        hhs_notice_due_at: h.hhs_notice_due_at,
        hhs_notice_met_at: h.hhs_notice_met_at,
        created_at: h.created_at,
        updated_at: h.updated_at,
        team: case
            .facts
            .team
            .iter()
            .map(|(u, r)| (*u.as_uuid(), r.as_str().to_owned()))
            .collect(),
        entries: entries
            .into_iter()
            .map(|e| {
                Ok(EntryBody {
                    id: *e.entry.id.as_uuid(),
                    kind: e.entry.kind.as_str().into(),
                    compartment: compartment(e.entry.compartment).into(),
                    category: e.entry.category,
                    status: e.entry.status,
                    due_on: e.entry.due_on.map(|d| d.to_string()),
                    assignee: e.entry.assignee.map(|u| *u.as_uuid()),
                    parent_id: e.entry.parent.map(|p| *p.as_uuid()),
                    by: *e.entry.by.as_uuid(),
                    at: e.entry.at,
                    updated_at: e.entry.updated_at,
                    details: to_json(&e.details)?,
                })
            })
            .collect::<Result<_, AppError>>()?,
        timeline_total,
        attachments,
        may_edit: case.may_edit,
    })
}

fn compartment(c: haven_domain::access::Compartment) -> &'static str {
    match c {
        haven_domain::access::Compartment::Advocate => "advocate",
        haven_domain::access::Compartment::Shared => "shared",
    }
}

/// One case with its record: authorized by the case policy, audited,
/// decrypted (scope `cases:read`). Advocate entries appear only to those
/// who may see them.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = CaseBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
) -> Response {
    let r = async {
        let case = open(&state, &caller, id, rid).await?;
        read_case(&state, &case).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Records an entry: a need, plan item, task, timeline event, note or rights notice.
#[utoipa::path(post, path = "/api/v1/cases/{id}/entries", tag = "cases", request_body = EntryInput,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(input): JsonObject<EntryInput>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    let r = async {
        let case = open(&state, &caller, id, rid.clone()).await?;
        let id = record::record_entry(&state, &case, &input, rid).await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// Changes a plan item's or task's status, date, assignee or text.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/entries/{entry_id}", tag = "cases", request_body = EntryPatch,
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("entry_id" = uuid::Uuid, Path, description = "The entry's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Ids(id, entry): Ids<CaseId, EntryId>,
    JsonObject(patch): JsonObject<EntryPatch>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        async {
            let case = open(&state, &caller, id, rid.clone()).await?;
            record::update_entry(&state, &case, entry, &patch, rid).await
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct StageChange {
    /// identified, stabilizing, receiving_services, long_term_support, closed or reopened.
    pub stage: String,
    /// Required to close: goals_met, lost_contact, declined_services,
    /// transferred, relocated, deceased or other.
    pub closed_reason: String,
    pub note: String,
}

/// Moves the case to another stage (closing needs a reason; a closed case only reopens).
#[utoipa::path(post, path = "/api/v1/cases/{id}/stage", tag = "cases", request_body = StageChange,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_stage(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(body): JsonObject<StageChange>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        async {
            let case = open(&state, &caller, id, rid.clone()).await?;
            record::change_stage(
                &state,
                &case,
                &body.stage,
                &body.closed_reason,
                &body.note,
                rid,
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CooperationBody {
    /// unknown, cooperating, considering or declined.
    pub cooperation: String,
}

/// Records the victim's stance on cooperating with law enforcement. It is
/// never a condition for a need, plan item, referral, fund or benefit.
#[utoipa::path(put, path = "/api/v1/cases/{id}/cooperation", tag = "cases", request_body = CooperationBody,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_cooperation(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(body): JsonObject<CooperationBody>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        async {
            let case = open(&state, &caller, id, rid.clone()).await?;
            record::set_cooperation(&state, &case, &body.cooperation, rid).await
        }
        .await,
    )
}

/// Records that HHS was notified (HHS-5), which ends the 24-hour deadline.
#[utoipa::path(post, path = "/api/v1/cases/{id}/hhs-notification", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hhs_notified(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        async {
            let case = open(&state, &caller, id, rid.clone()).await?;
            record::mark_hhs_notified(&state, &case, rid).await
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct TeamChange {
    pub user_id: String,
    /// owner_specialist, agent, interviewer or supervisor.
    pub role: String,
    /// Remove instead of add.
    pub remove: bool,
}

/// Adds or removes a team member (the owner specialist and supervisors).
#[utoipa::path(post, path = "/api/v1/cases/{id}/team", tag = "cases", request_body = TeamChange,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_team(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(body): JsonObject<TeamChange>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        async {
            let case = open(&state, &caller, id, rid.clone()).await?;
            crate::features::record::pages::set_team(
                &state,
                &case,
                &body.user_id,
                &body.role,
                !body.remove,
                rid,
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name.
    pub name: String,
    /// advocate or shared (default).
    pub compartment: Option<String>,
}

/// Attaches a file (PDF, PNG, JPEG or plain text; the body is the file).
/// Stored encrypted with its SHA-256.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    let r = async {
        let case = open(&state, &caller, id, rid.clone()).await?;
        let id = crate::features::record::pages::store_attachment(
            &state,
            &case,
            &p.name,
            p.compartment.as_deref().unwrap_or("shared"),
            &body,
            rid,
        )
        .await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// Downloads an attachment (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{attachment_id}", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("attachment_id" = uuid::Uuid, Path, description = "The attachment's id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Ids(id, attachment): Ids<CaseId, AttachmentId>,
) -> Response {
    let r = async {
        let case = open(&state, &caller, id, rid).await?;
        crate::features::record::pages::attachment_bytes(&state, &case, attachment).await
    }
    .await;
    match r {
        Ok((name, kind, bytes)) => {
            crate::features::record::pages::attachment_response(&name, &kind, bytes)
        }
        Err(e) => e.into_response(),
    }
}

/// The API routes of the case record.
/// This feature's API: each route with its OpenAPI description.
pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_case))
        .routes(routes!(add_entry))
        .routes(routes!(update_entry))
        .routes(routes!(change_stage))
        .routes(routes!(set_cooperation))
        .routes(routes!(hhs_notified))
        .routes(routes!(change_team))
        .routes(crate::web::api::layered(
            routes!(upload_attachment),
            axum::extract::DefaultBodyLimit::max(upload_limit),
        ))
        .routes(routes!(download_attachment))
}
