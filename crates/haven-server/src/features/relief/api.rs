//! Relief and benefits in the JSON API: the same service as the pages
//! (`relief`). The facts and results use the documented formats
//! (docs/relief-facts.md, `haven.relief-facts/1` and
//! `haven.relief-result/1`); the OpenAPI document describes them as objects
//! and points there, where the JSON Schema is.

use crate::AppState;
use crate::features::relief;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject};
use crate::web::api::{answer, done, may_read, require_write as may_write};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::relief::documents::{DocumentContent, DocumentKind};
use haven_domain::relief::{Facts, Parameters};
use haven_domain::{CaseId, DocumentId, MessageId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Reads a facts document, naming the path of the first bad field.
fn facts_from(value: serde_json::Value) -> Result<Facts, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| AppError::InvalidAt {
        code: "invalid_facts",
        path: e.path().to_string(),
        message: e.inner().to_string().chars().take(300).collect(),
    })
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// A case's relief and benefits.
#[derive(Serialize, ToSchema)]
pub struct ReliefBody {
    /// The facts (`haven.relief-facts/1`), with the person's date of birth and
    /// citizenship, the kind of exploitation and the HHS-5 times taken from
    /// the case record.
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// The evaluation as of today (`haven.relief-result/1`).
    #[schema(value_type = Object)]
    pub evaluation: serde_json::Value,
    pub documents: Vec<DocumentSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: uuid::Uuid,
    /// i914b or i918b.
    pub kind: String,
    /// draft, signed or withdrawn.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub drafted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signed_at: Option<OffsetDateTime>,
}

fn summary(d: &haven_store::StoredDocument) -> DocumentSummary {
    DocumentSummary {
        id: *d.id.as_uuid(),
        kind: d.kind.as_str().into(),
        status: d.status.as_str().into(),
        drafted_at: d.drafted_at,
        signed_at: d.signed_at,
    }
}

/// A case's relief facts, every pathway's evaluation, and its declarations and certifications (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{id}/relief", tag = "relief",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = ReliefBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_relief(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let v = relief::relief_view(&state, &caller.actor, id, rid).await?;
        Ok(ReliefBody {
            facts: to_value(&v.facts)?,
            evaluation: to_value(&v.evaluation)?,
            documents: v.documents.iter().map(summary).collect(),
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Replaces the case's tracker facts (a `haven.relief-facts/1` document; the fields the case record owns are taken from it) and answers the new evaluation. An impossible fact is refused naming its path; nothing is written.
#[utoipa::path(put, path = "/api/v1/cases/{id}/relief/facts", tag = "relief",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    request_body(content = Object, description = "A haven.relief-facts/1 document (docs/relief-facts.schema.json)"),
    responses((status = 200, body = Object, description = "The evaluation (haven.relief-result/1)"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_facts(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    JsonObject(body): JsonObject<serde_json::Value>,
) -> Response {
    let r = async {
        may_write(&caller)?;
        let facts = facts_from(body)?;
        let e = relief::save_facts(&state, &caller.actor, case, facts, rid).await?;
        to_value(&e)
    }
    .await;
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluateParams {
    /// The evaluation date, YYYY-MM-DD (default: today).
    pub as_of: Option<String>,
}

/// Evaluates a facts document without storing anything (for checking the engine; no case is read).
#[utoipa::path(post, path = "/api/v1/relief/evaluate", tag = "relief", params(EvaluateParams),
    request_body(content = Object, description = "A haven.relief-facts/1 document (docs/relief-facts.schema.json)"),
    responses((status = 200, body = Object, description = "The evaluation (haven.relief-result/1)"), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evaluate(
    _caller: ApiCaller,
    ApiQuery(p): ApiQuery<EvaluateParams>,
    JsonObject(body): JsonObject<serde_json::Value>,
) -> Response {
    let r = (|| {
        let as_of = match p.as_of.as_deref() {
            Some(s) => {
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| AppError::Invalid {
                        code: "invalid_date",
                        field: Some("as_of"),
                        message: "The date must be YYYY-MM-DD.".into(),
                    })?
            }
            None => relief::today(),
        };
        let facts = facts_from(body)?;
        facts.validate(as_of).map_err(|e| AppError::InvalidAt {
            code: "impossible_facts",
            path: e.field,
            message: e.message,
        })?;
        to_value(&haven_domain::relief::evaluate(
            &facts,
            as_of,
            &Parameters::default(),
        ))
    })();
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineParams {
    /// How many days ahead (1 to 366; default 30).
    pub days: Option<u32>,
    /// "mine": only cases whose team includes you.
    pub scope: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineLine {
    pub case_id: uuid::Uuid,
    pub person_name: String,
    /// A deadline kind (docs/relief-facts.md), e.g. u_file_by.
    pub kind: String,
    pub pathway: String,
    /// The family member's label, or empty.
    pub family_member: String,
    /// Who acts: victim, advocate, law_enforcement, uscis or hhs.
    pub actor: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
}

/// Upcoming relief deadlines on the cases you may see, soonest first (an audited read naming the cases).
#[utoipa::path(get, path = "/api/v1/relief/deadlines", tag = "relief", params(DeadlineParams),
    responses((status = 200, body = Vec<DeadlineLine>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deadlines(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    ApiQuery(p): ApiQuery<DeadlineParams>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let days = p.days.unwrap_or(30);
        if !(1..=366).contains(&days) {
            return Err(AppError::Invalid {
                code: "out_of_range",
                field: Some("days"),
                message: "Between 1 and 366 days.".into(),
            });
        }
        let mine = match p.scope.as_deref() {
            None | Some("" | "all") => false,
            Some("mine") => true,
            Some(_) => {
                return Err(AppError::Invalid {
                    code: "invalid",
                    field: Some("scope"),
                    message: "Use mine or all.".into(),
                });
            }
        };
        let rows = relief::upcoming(&state, &caller.actor, days, mine, rid).await?;
        Ok(rows
            .into_iter()
            .map(|u| DeadlineLine {
                case_id: *u.row.case.as_uuid(),
                person_name: u.name,
                kind: u.row.kind,
                pathway: u.row.pathway,
                family_member: u.row.family_member,
                actor: u.row.actor,
                due_on: u.row.due_on.to_string(),
                due_at: u.row.due_at,
            })
            .collect::<Vec<_>>())
    }
    .await;
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    /// i918b (U certification) or i914b (T declaration).
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedDocument {
    pub id: uuid::Uuid,
}

/// Drafts a declaration (I-914 B) or certification (I-918 B) from the case (law-enforcement staff on the case team).
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "relief", request_body = NewDocument,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 201, body = CreatedDocument), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_document(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    JsonObject(body): JsonObject<NewDocument>,
) -> Response {
    let r = async {
        may_write(&caller)?;
        let kind = DocumentKind::parse(&body.kind).ok_or(AppError::Invalid {
            code: "invalid",
            field: Some("kind"),
            message: "Use i918b or i914b.".into(),
        })?;
        relief::draft_document(&state, &caller.actor, case, kind, rid)
            .await
            .map(|id| CreatedDocument { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

#[derive(Serialize, ToSchema)]
pub struct DocumentBody {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub kind: String,
    pub status: String,
    pub agency_id: uuid::Uuid,
    /// The content: agency_name, victim_name, victim_date_of_birth, crimes, crime_from, crime_to, crime_location, statutes, description, injuries, helpfulness, and the statements (signer_authorized, agency_responsible, victim_of_the_crime, possesses_information, helpful, occurred_in_united_states).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// Hex SHA-256 of the content taken at signing.
    pub content_sha256: Option<String>,
    /// The content still matches that hash.
    pub content_verified: Option<bool>,
    pub drafted_by: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub drafted_at: OffsetDateTime,
    pub signed_by: Option<uuid::Uuid>,
    pub signer_role: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    pub withdrawal_reason: Option<String>,
    /// What you may do with it now.
    pub may_edit: bool,
    pub may_sign: bool,
    pub may_withdraw: bool,
}

/// A declaration or certification (the case team, and the certifying officials of its agency; an audited read).
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "relief",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 200, body = DocumentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<DocumentId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let v = relief::open_document(&state, &caller.actor, id, rid).await?;
        Ok(DocumentBody {
            id: *v.doc.id.as_uuid(),
            case_id: *v.doc.case.as_uuid(),
            kind: v.doc.kind.as_str().into(),
            status: v.doc.status.as_str().into(),
            agency_id: *v.doc.agency.as_uuid(),
            content: to_value(&v.content)?,
            content_sha256: v.doc.content_sha256.as_deref().map(relief::hex),
            content_verified: v.hash_verified,
            drafted_by: *v.doc.drafted_by.as_uuid(),
            drafted_at: v.doc.drafted_at,
            signed_by: v.doc.signed_by.map(|u| *u.as_uuid()),
            signer_role: v.doc.signer_role.clone(),
            signed_at: v.doc.signed_at,
            withdrawn_at: v.doc.withdrawn_at,
            withdrawal_reason: v.withdrawal_reason.clone(),
            may_edit: v.may_edit,
            may_sign: v.may_sign,
            may_withdraw: v.may_withdraw,
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Replaces a draft's content (a signed document never changes).
#[utoipa::path(put, path = "/api/v1/documents/{id}", tag = "relief",
    request_body(content = Object, description = "The content (see DocumentBody.content)"),
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_document(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<DocumentId>,
    JsonObject(body): JsonObject<serde_json::Value>,
) -> Response {
    let r = async {
        may_write(&caller)?;
        let content: DocumentContent =
            serde_path_to_error::deserialize(body).map_err(|e| AppError::InvalidAt {
                code: "invalid",
                path: e.path().to_string(),
                message: e.inner().to_string().chars().take(300).collect(),
            })?;
        relief::save_document(&state, &caller.actor, id, &content, rid).await
    }
    .await;
    done(r)
}

#[derive(Serialize, ToSchema)]
pub struct Signed {
    /// YYYY-MM-DD: the U six-month filing window starts here (U-7).
    pub signed_on: String,
}

/// Signs a draft (a certifying official of its agency; every required statement made, U-6).
#[utoipa::path(post, path = "/api/v1/documents/{id}/signature", tag = "relief",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 200, body = Signed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<DocumentId>,
) -> Response {
    let r = async {
        may_write(&caller)?;
        relief::sign_document(&state, &caller.actor, id, rid)
            .await
            .map(|d| Signed {
                signed_on: d.to_string(),
            })
    }
    .await;
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// The written explanation USCIS receives (T-5, U-13).
    pub reason: String,
}

/// Withdraws (disavows) a signed document with a written explanation.
#[utoipa::path(post, path = "/api/v1/documents/{id}/withdrawal", tag = "relief", request_body = Withdrawal,
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<DocumentId>,
    JsonObject(body): JsonObject<Withdrawal>,
) -> Response {
    let r = async {
        may_write(&caller)?;
        relief::withdraw_document(&state, &caller.actor, id, &body.reason, rid).await
    }
    .await;
    done(r)
}

#[derive(Serialize, ToSchema)]
pub struct NotificationBody {
    pub id: uuid::Uuid,
    pub case_id: Option<uuid::Uuid>,
    /// e.g. deadline_reminder.
    pub kind: String,
    /// Codes and dates only (for a reminder: kind, pathway, family_member, due_on, actor).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

/// Your notifications (deadline reminders), newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "relief",
    responses((status = 200, body = Vec<NotificationBody>), (status = 401, body = ErrorBody)))]
pub async fn notifications(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let r = async {
        Ok::<_, AppError>(
            state
                .store
                .notifications(caller.actor.user, 50)
                .await?
                .into_iter()
                .map(|n| NotificationBody {
                    id: *n.id.as_uuid(),
                    case_id: n.case.map(|c| *c.as_uuid()),
                    kind: n.kind,
                    payload: serde_json::from_str(&n.payload).unwrap_or_default(),
                    created_at: n.created_at,
                    read_at: n.read_at,
                })
                .collect::<Vec<_>>(),
        )
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Marks one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "relief",
    params(("id" = uuid::Uuid, Path, description = "The notification's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<MessageId>,
) -> Response {
    let r = async { relief::mark_read(&state, &caller.actor, id).await }.await;
    done(r)
}

/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_relief))
        .routes(routes!(put_facts))
        .routes(routes!(evaluate))
        .routes(routes!(deadlines))
        .routes(routes!(create_document))
        .routes(routes!(get_document, put_document))
        .routes(routes!(sign))
        .routes(routes!(withdraw))
        .routes(routes!(notifications))
        .routes(routes!(read))
}
