//! Releases of information: recorded and revoked by the
//! victim-services staff of the organization that owns the case, read by its
//! team. The API and the case page's form share `release_from_input`.

use crate::AppState;
use crate::web::api::{ApiCaller, JsonObject, invalid, refused};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::session::ReqId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::{AuditAction, OrganizationId, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct PartyBody {
    /// `victim`, `parent_or_guardian` or `court_guardian`.
    pub signer: String,
    /// The case records this person as the victim's abuser or trafficker.
    #[serde(default)]
    pub recorded_as_abuser: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct NewConsent {
    pub parties: Vec<PartyBody>,
    /// Exactly one of `recipient_organization_id` and `recipient_role`.
    pub recipient_organization_id: Option<uuid::Uuid>,
    pub recipient_role: Option<String>,
    pub purpose: String,
    /// Field groups: identity, contact, location, immigration, health, advocate_records, case_history.
    pub fields: Vec<String>,
    /// YYYY-MM-DD.
    pub signed_on: String,
    /// YYYY-MM-DD, after `signed_on`.
    pub expires_on: String,
    #[serde(default)]
    pub unemancipated_minor: bool,
    #[serde(default)]
    pub minor_may_consent_alone: bool,
    #[serde(default)]
    pub legal_incapacity: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentBody {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub recipient_organization_id: Option<uuid::Uuid>,
    pub recipient_role: Option<String>,
    pub purpose: String,
    pub fields: Vec<String>,
    pub signed_on: String,
    pub expires_on: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub active: bool,
    /// The staff member who witnessed the signature and recorded it.
    pub witnessed_by: Option<uuid::Uuid>,
}

fn consent_body(c: &haven_domain::consent::Consent, purpose: String) -> ConsentBody {
    use haven_domain::consent::Recipient;
    let (org, role) = match c.recipient {
        Recipient::Organization(o) => (Some(*o.as_uuid()), None),
        Recipient::Role(r) => (None, Some(r.as_str().to_owned())),
    };
    ConsentBody {
        id: *c.id.as_uuid(),
        case_id: *c.case.as_uuid(),
        recipient_organization_id: org,
        recipient_role: role,
        purpose,
        fields: c.fields.iter().map(|f| f.as_str().to_owned()).collect(),
        witnessed_by: c.witnessed_by.map(|u| *u.as_uuid()),
        signed_on: c.signed_on.to_string(),
        expires_on: c.expires_on.to_string(),
        revoked_at: c.revoked_at,
        active: c.is_active(haven_domain::now()),
    }
}

/// A release's purpose in plain text (empty for one an older Haven recorded
/// and the start-up has not sealed yet).
///
/// # Errors
/// When it does not decrypt.
pub(crate) async fn consent_purpose(
    state: &AppState,
    c: &haven_domain::consent::Consent,
) -> Result<String, AppError> {
    if c.purpose.is_empty() {
        return Ok(String::new());
    }
    crate::case::sealed::unseal_text(state, "consents", "purpose", &c.id.to_string(), &c.purpose)
        .await
}

/// The case, if the caller may see (`write == false`) or record and revoke
/// (`write == true`) its releases; otherwise not found.
async fn consent_case(
    state: &AppState,
    caller: &ApiCaller,
    case_id: haven_domain::CaseId,
    rid: Option<String>,
    write: bool,
) -> Result<haven_domain::access::CaseFacts, Response> {
    let facts = state
        .store
        .case_facts(case_id)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let allowed = |f: &haven_domain::access::CaseFacts| {
        if write {
            haven_domain::access::may_manage_consent(&caller.actor, f)
        } else {
            haven_domain::access::may_see_consents(&caller.actor, f)
        }
    };
    match facts {
        Some(f) if allowed(&f) => Ok(f),
        Some(_) => Err(refused(state, caller, "case", Some(case_id.to_string()), rid).await),
        None => Err(AppError::NotFound.into_response()),
    }
}

/// Records a release of information for a case: the victim's decision, made
/// with their advocate. Only victim-services staff of the organization that
/// owns the case (its team or supervisors) record one, never naming
/// themselves, their own organization or a role they hold; the recorder is
/// kept as the witness of the signature. Checked against;
/// recording one is never required for any service.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "cases", request_body = NewConsent,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 201, body = ConsentBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_consent(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<haven_domain::CaseId>,
    JsonObject(body): JsonObject<NewConsent>,
) -> Response {
    let facts = match consent_case(&state, &caller, id, rid.clone(), true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let purpose = body.purpose.clone();
    let release = match release_from_input(&state, &caller.actor, &facts, body).await {
        Ok(r) => r,
        Err(ReleaseProblem::Rule(field, code, message)) => return invalid(field, code, &message),
        Err(ReleaseProblem::Failed(e)) => return e.into_response(),
    };
    let audit = caller
        .audit(AuditAction::ConsentRecorded, rid)
        .on("case", facts.id);
    match state.store.add_consent(&release, &audit).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(consent_body(
                &release,
                haven_domain::consent::purpose_text(&purpose).unwrap_or_default(),
            )),
        )
            .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Why a release as entered cannot be recorded.
pub(crate) enum ReleaseProblem {
    /// A broken rule: the field, a stable code, a message citing the rule.
    Rule(&'static str, &'static str, String),
    Failed(AppError),
}

/// A release as entered (API or page), checked against.
pub(crate) async fn release_from_input(
    state: &AppState,
    actor: &haven_domain::policy::Actor,
    facts: &haven_domain::access::CaseFacts,
    b: NewConsent,
) -> Result<haven_domain::consent::Consent, ReleaseProblem> {
    use haven_domain::consent::{
        self, Consent, ConsentContext, ConsentError, FieldGroup, Party, Recipient, Signer,
    };
    let rule = |f: &'static str, c: &'static str, m: &str| ReleaseProblem::Rule(f, c, m.to_owned());
    let mut parties = Vec::new();
    for p in &b.parties {
        let signer = match p.signer.as_str() {
            "victim" => Signer::Victim,
            "parent_or_guardian" => Signer::ParentOrGuardian,
            "court_guardian" => Signer::CourtGuardian,
            _ => {
                return Err(rule(
                    "parties",
                    "unknown_signer",
                    "A signer is victim, parent_or_guardian or court_guardian.",
                ));
            }
        };
        parties.push(Party {
            signer,
            recorded_as_abuser: p.recorded_as_abuser,
        });
    }
    let recipient = match (b.recipient_organization_id, b.recipient_role.as_deref()) {
        (Some(o), None) => Recipient::Organization(OrganizationId::from_uuid(o)),
        (None, Some(r)) => match Role::parse(r) {
            Some(role) => Recipient::Role(role),
            None => {
                return Err(rule(
                    "recipient_role",
                    "unknown_role",
                    "The recipient role must be one of Haven's role names.",
                ));
            }
        },
        _ => {
            return Err(rule(
                "recipient",
                "one_recipient",
                "Name exactly one recipient: an organization or a role (R-6).",
            ));
        }
    };
    match haven_domain::access::may_name_recipient(actor, recipient) {
        Ok(()) => {}
        Err(haven_domain::access::RecipientDeny::OwnOrganization) => {
            return Err(rule(
                "recipient_organization_id",
                "own_organization",
                "A release names someone else: your organization holds the case already (R-4).",
            ));
        }
        Err(haven_domain::access::RecipientDeny::OwnRole) => {
            return Err(rule(
                "recipient_role",
                "own_role",
                "A release cannot name a role you hold: it would release the record to you (R-4).",
            ));
        }
    }
    if let Recipient::Organization(o) = recipient {
        match state.store.organization(o).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(rule(
                    "recipient_organization_id",
                    "unknown_organization",
                    "No organization has this id.",
                ));
            }
            Err(e) => return Err(ReleaseProblem::Failed(e.into())),
        }
    }
    let mut fields = Vec::new();
    for f in &b.fields {
        match FieldGroup::parse(f) {
            Some(g) => fields.push(g),
            None => {
                return Err(rule(
                    "fields",
                    "unknown_field_group",
                    "Field groups are identity, contact, location, immigration, health, advocate_records and case_history.",
                ));
            }
        }
    }
    if b.purpose.contains('\0') || b.purpose.chars().count() > 500 {
        return Err(rule(
            "purpose",
            "bad_text",
            "The purpose is plain text of at most 500 characters.",
        ));
    }
    let purpose = match consent::purpose_text(&b.purpose) {
        Ok(p) => p,
        Err(e) => return Err(ReleaseProblem::Rule("purpose", "no_purpose", e.to_string())),
    };
    let date = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(signed_on) = time::Date::parse(b.signed_on.trim(), date) else {
        return Err(rule("signed_on", "date_format", "Dates are YYYY-MM-DD."));
    };
    let Ok(expires_on) = time::Date::parse(b.expires_on.trim(), date) else {
        return Err(rule(
            "expires_on",
            "date_format",
            "Every release needs an expiry date, YYYY-MM-DD (R-6).",
        ));
    };
    let id = haven_domain::ConsentId::new();
    let purpose = state
        .keyring
        .encrypt(
            purpose.as_bytes(),
            haven_crypto::Binding {
                table: "consents",
                column: "purpose",
                row: &id.to_string(),
            },
        )
        .map_err(|e| ReleaseProblem::Failed(AppError::Internal(e.to_string())))?;
    let release = Consent {
        id,
        case: facts.id,
        parties,
        recipient,
        purpose,
        fields,
        signed_on,
        expires_on,
        revoked_at: None,
        witnessed_by: Some(actor.user),
    };
    let ctx = ConsentContext {
        unemancipated_minor: b.unemancipated_minor,
        minor_may_consent_alone: b.minor_may_consent_alone,
        legal_incapacity: b.legal_incapacity,
    };
    if let Err(e) = consent::validate(&release, ctx, haven_domain::now().date()) {
        let (field, code) = match e {
            ConsentError::NoPurpose => ("purpose", "no_purpose"),
            ConsentError::NoFields => ("fields", "no_fields"),
            ConsentError::ExpiryNotAfterSigning => ("expires_on", "expiry_not_after_signing"),
            ConsentError::AbuserCannotConsent => ("parties", "abuser_cannot_consent"),
            ConsentError::MinorNeedsBoth => ("parties", "minor_needs_guardian"),
            ConsentError::GuardianRequired => ("parties", "court_guardian_required"),
            ConsentError::VictimMustSign => ("parties", "victim_must_sign"),
            ConsentError::AdvocateRecordsToRole => ("fields", "advocate_records_to_role"),
            ConsentError::SignedInFuture => ("signed_on", "signed_in_future"),
            ConsentError::TermTooLong => ("expires_on", "term_too_long"),
        };
        return Err(ReleaseProblem::Rule(field, code, e.to_string()));
    }
    Ok(release)
}

/// The releases of information recorded for a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/consents", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = [ConsentBody]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_consents(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<haven_domain::CaseId>,
) -> Response {
    let facts = match consent_case(&state, &caller, id, rid.clone(), false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    // Releases are case data: the read is durable before they are sent.
    let read = caller
        .audit(AuditAction::RecordViewed, rid)
        .on("case", facts.id);
    if let Err(e) = state.audit_writer.record(read).await {
        return e.into_response();
    }
    let list = match state.store.consents_for_case(facts.id).await {
        Ok(list) => list,
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut out = Vec::with_capacity(list.len());
    for c in &list {
        match consent_purpose(&state, c).await {
            Ok(p) => out.push(consent_body(c, p)),
            Err(e) => return e.into_response(),
        }
    }
    Json(out).into_response()
}

/// Revokes a release at once: every read path stops honoring it immediately.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/consents/{consent_id}", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("consent_id" = uuid::Uuid, Path, description = "The release's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_consent(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Ids(id, cid): Ids<haven_domain::CaseId, haven_domain::ConsentId>,
) -> Response {
    let facts = match consent_case(&state, &caller, id, rid.clone(), true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    match state.store.consents_for_case(facts.id).await {
        Ok(list) if list.iter().any(|c| c.id == cid) => {}
        Ok(_) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    }
    let audit = caller
        .audit(AuditAction::ConsentRevoked, rid)
        .on("case", facts.id);
    match state
        .store
        .revoke_consent(cid, haven_domain::now(), &audit)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The API routes of releases.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_consents, create_consent))
        .routes(routes!(revoke_consent))
}
